import Analysis
import DICOM
import Imaging

/// Writes the BINARY SEG of a segment plan on the source grid through `DICOM.Segmentation`:
/// one DICOM segment per planned segment, in plan order (so the plan's numbers are the SEG's),
/// every frame at its source slice's stated position.
enum SegmentationWriter {
    static func write(plan: SegmentPlan, source: LoadedVolume, plane: ImagePlane, frameOfReferenceUID: String,
                      identity: ResultIdentity, contentLabel: String, algorithmName: String, algorithmVersion: String,
                      algorithmFamily: Code, dimensionOrganizationUID: String, path: String) throws(DICOMError) {
        let segments = plan.segments.map { s in
            Segmentation.Segment(
                label: s.label, description: s.description, category: s.category, type: s.type,
                anatomicRegion: s.anatomicRegion, anatomicRegionModifier: s.anatomicModifier,
                algorithmName: algorithmName, algorithmVersion: algorithmVersion, algorithmFamily: algorithmFamily,
                trackingID: s.trackingID, trackingUID: s.trackingUID, color: SIMD3(s.rgb.0, s.rgb.1, s.rgb.2),
                box: s.mask.box, voxels: s.mask.mask)
        }
        let seg = Segmentation(
            identity: identity, contentLabel: contentLabel, contentDescription: "\(algorithmName) \(algorithmVersion)",
            frameOfReferenceUID: frameOfReferenceUID, dimensionOrganizationUID: dimensionOrganizationUID,
            sourceSeriesUID: source.seriesInstanceUID, plane: plane, sources: source.sources, segments: segments,
            segmentsOverlap: plan.overlaps)
        try seg.write(to: path, study: source.study)
    }
}

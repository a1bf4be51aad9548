import Analysis
import DICOM
import Dispatch
import Foundation
import Imaging

/// Turns an analyzer's result into the DICOM objects that go back to the PACS (DESIGN §7):
/// `seg.dcm` (BINARY SEG: the organ, then one segment per finding), `sr.dcm` (Comprehensive
/// 3D SR, TID 1500, one measurement group per segment plus the case numbers; "no findings"
/// stated explicitly) and, unless disabled, `sc-<n>.dcm` (a Secondary Capture key image of
/// finding n). All join the source study with cleaned patient/study attributes; all UIDs are
/// derived from the source series, analyzer and version, so a re-run replaces its files and
/// its objects in the PACS.
public enum ResultWriter {
    /// Writes the objects into `outputDirectory` (created if needed) and returns them, SEG
    /// first. `source` is the volume the result was computed on (its primary series), with the
    /// cleaned patient/study attributes and slice positions `VolumeLoader` read from its
    /// headers: no source file is opened again. Throws `DICOMError` (`.invalidInput` when the
    /// result does not belong to `source`; when the source has no valid StudyInstanceUID).
    public static func write(result: AnalysisResult, source: LoadedVolume, outputDirectory: URL,
                             options: ResultOptions = ResultOptions()) throws(DICOMError) -> [WrittenObject] {
        try DICOMToolkit.initialize()
        try check(result, against: source)
        let study = source.study
        try study.requireStudyInstanceUID()
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw DICOMError(.invalidInput, "cannot create \(outputDirectory.path): \(error.localizedDescription)")
        }
        let uids = ResultUIDs(sourceSeriesUID: source.seriesInstanceUID, analyzer: result.analyzer, version: result.version)
        let plan = SegmentPlan(result: result, uids: uids)
        let naming = Naming(result: result, study: study, options: options)
        let g = source.volume.geometry
        let thickness = study.sliceThickness.flatMap { $0 > 0 ? $0 : nil } ?? g.spacing.slice
        let plane = ImagePlane(geometry: g, dimensions: source.volume.dimensions, sliceThickness: thickness)
        let frameOfReference = study.frameOfReferenceUID.isEmpty
            ? UID.derived(source.seriesInstanceUID, "frame-of-reference") : study.frameOfReferenceUID
        var written: [WrittenObject] = []
        let file = { (name: String) in outputDirectory.appendingPathComponent(name).path }
        removeStale(in: outputDirectory)

        var segmentation: (series: String, instance: String)?
        var clock = Clock()
        if !plan.segments.isEmpty {
            let identity = naming.identity(series: uids.segSeries, instance: uids.segInstance, kind: .seg, number: 1)
            try SegmentationWriter.write(
                plan: plan, source: source, plane: plane, frameOfReferenceUID: frameOfReference, identity: identity,
                contentLabel: naming.contentLabel, algorithmName: naming.algorithmName, algorithmVersion: result.version,
                algorithmFamily: FindingCoding.algorithmFamily(of: result.analyzer),
                dimensionOrganizationUID: uids.dimensionOrganization, path: file("seg.dcm"))
            segmentation = (uids.segSeries, uids.segInstance)
            written.append(WrittenObject(kind: .seg, path: file("seg.dcm"), sopClassUID: WrittenObject.segmentationStorage,
                                         sopInstanceUID: uids.segInstance, seriesInstanceUID: uids.segSeries,
                                         seconds: clock.lap()))
        }

        let context = ReportWriter.Context(
            identity: naming.identity(series: uids.srSeries, instance: uids.srInstance, kind: .sr, number: 1),
            procedure: FindingCoding.procedure(modality: source.modality), deviceUID: uids.device,
            deviceName: naming.algorithmName, algorithmName: naming.algorithmName, algorithmVersion: result.version,
            frameOfReferenceUID: frameOfReference, plane: plane, segmentation: segmentation)
        try ReportWriter.write(ReportContent(result: result, plan: plan, uids: uids), context: context, source: source,
                               path: file("sr.dcm"))
        written.append(WrittenObject(kind: .sr, path: file("sr.dcm"), sopClassUID: WrittenObject.comprehensive3DSRStorage,
                                     sopInstanceUID: uids.srInstance, seriesInstanceUID: uids.srSeries,
                                     seconds: clock.lap()))

        guard options.keyImages else { return written }
        let orientation = KeyImageRenderer.patientOrientation(g)
        for f in result.findings where f.mask.voxelCount > 0 {
            let slice = KeyImageRenderer.keySlice(f.mask, spacing: g.spacing)
            let d = source.volume.dimensions
            let values = source.volume.voxels[(slice * d.sliceSize)..<((slice + 1) * d.sliceSize)]
            let window = KeyImageRenderer.window(analyzer: result.analyzer, units: source.units, slice: values)
            let caption = KeyImageRenderer.caption(for: f, analyzer: result.analyzer, version: result.version)
            let image = KeyImageRenderer.render(volume: source.volume, slice: slice, mask: f.mask, window: window,
                                                caption: caption)
            let name = "sc-\(f.number).dcm"
            let instance = uids.scInstance(finding: f.number)
            try KeyImageWriter.write(
                image, identity: naming.identity(series: uids.scSeries, instance: instance, kind: .sc, number: f.number),
                source: source.sources[slice], orientation: orientation,
                laterality: f.laterality.map { ["right": "R", "left": "L", "bilateral": "B"][$0.rawValue]! } ?? "U",
                description: "\(naming.algorithmName) \(result.version): outline of \(FindingCoding.noun(of: f.kind).lowercased()) "
                    + "\(f.number) on its largest cross-section",
                comments: ([caption.joined(separator: "; ")] + (f.reason.isEmpty ? [] : [f.reason])).joined(separator: ". "),
                study: study, path: file(name))
            written.append(WrittenObject(kind: .sc, path: file(name), sopClassUID: WrittenObject.secondaryCaptureStorage,
                                         sopInstanceUID: instance, seriesInstanceUID: uids.scSeries, findingNumber: f.number,
                                         seconds: clock.lap()))
        }
        return written
    }

    /// The result must be on the source's grid and about the source's series.
    static func check(_ result: AnalysisResult, against source: LoadedVolume) throws(DICOMError) {
        let d = source.volume.dimensions
        guard result.dimensions == d else {
            throw DICOMError(.invalidInput, "the result's grid \(result.dimensions) is not the source's \(d)")
        }
        guard source.sources.count == d.slices else {
            throw DICOMError(.invalidInput, "the source lists \(source.sources.count) slice sources for \(d.slices) slices")
        }
        if !result.seriesInstanceUID.isEmpty, result.seriesInstanceUID != source.seriesInstanceUID {
            throw DICOMError(.invalidInput, "the result is about series \(result.seriesInstanceUID), the source is "
                                 + source.seriesInstanceUID)
        }
        for m in [result.organ].compactMap({ $0 }) + result.findings.map(\.mask) where m.gridDimensions != d {
            throw DICOMError(.invalidInput, "a mask lives on a \(m.gridDimensions) grid, the source is \(d)")
        }
        guard d.rows <= Int(UInt16.max), d.columns <= Int(UInt16.max) else {
            throw DICOMError(.invalidInput, "\(d.rows)×\(d.columns) slices are too large for DICOM")
        }
    }

    /// Removes what an earlier run wrote that this run will not rewrite (a re-run with fewer
    /// findings must not leave their key images behind).
    static func removeStale(in dir: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for n in names where n == "seg.dcm" || (n.hasPrefix("sc-") && n.hasSuffix(".dcm")
                                                && Int(n.dropFirst(3).dropLast(4)) != nil) {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(n))
        }
    }
}

/// Seconds since the last lap.
private struct Clock {
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}

import Analysis
import CDcmtk
import DICOM
import Imaging

/// Writes the Comprehensive 3D SR (TID 1500) of a result: device observer, procedure
/// reported, image library of the source images, the measurement groups of `ReportContent`
/// referencing the SEG's segments, and the evidence of every referenced instance.
enum ReportWriter {
    struct Context {
        var identity: ResultIdentity
        var procedure: Code
        var deviceUID: String
        var deviceName: String
        var algorithmName: String
        var algorithmVersion: String
        var sourceSeriesUID: String
        var sourceModality: String
        var frameOfReferenceUID: String
        var geometry: Geometry
        var dimensions: Dimensions
        var sliceThickness: Double
        /// Source instances, each once, in slice order.
        var images: [(sopClassUID: String, sopInstanceUID: String)]
        /// (series, instance) of the SEG, nil when none was written.
        var segmentation: (series: String, instance: String)?
    }

    static func write(_ content: ReportContent, context x: Context, study: SourceStudy, path: String) throws(DICOMError) {
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        var keep: [AnyObject] = []
        defer { withExtendedLifetime(keep) {} }

        func evaluations(_ list: [ReportContent.Evaluation]) -> CArray<dk_sr_evaluation> {
            let a = CArray(list.map {
                dk_sr_evaluation(concept: strings.code($0.concept), code: strings.code($0.code), text: strings($0.text))
            })
            keep.append(a)
            return a
        }
        let groups = CArray(content.groups.map { g -> dk_sr_group in
            let items = CArray(g.measurements.map {
                dk_sr_measurement(concept: strings.code($0.concept), derivation: strings.code($0.derivation),
                                  value: strings(decimalString($0.value)), unit: strings.code($0.unit),
                                  finding_site: strings.code($0.site), laterality: strings.code($0.laterality))
            })
            keep.append(items)
            let evals = evaluations(g.evaluations)
            return dk_sr_group(kind: Int32(g.volumetric ? DK_SR_GROUP_VOLUMETRIC : DK_SR_GROUP_INDIVIDUAL),
                               tracking_id: strings(g.trackingID), tracking_uid: strings(g.trackingUID),
                               finding: strings.code(g.finding), finding_site: strings.code(g.findingSite),
                               laterality: strings.code(g.laterality), segment_number: UInt16(g.segmentNumber),
                               measurements: UnsafePointer(items.pointer), measurement_count: items.count,
                               evaluations: UnsafePointer(evals.pointer), evaluation_count: evals.count)
        })
        let documentEvaluations = evaluations(content.evaluations)
        let images = CArray(x.images.map {
            dk_sr_image(sop_class_uid: strings($0.sopClassUID), sop_instance_uid: strings($0.sopInstanceUID))
        })
        defer { withExtendedLifetime((groups, documentEvaluations, images)) {} }
        let g = x.geometry
        var spec = dk_sr_spec(
            identity: x.identity.c(strings), procedure: strings.code(x.procedure), device_uid: strings(x.deviceUID),
            device_name: strings(x.deviceName), device_manufacturer: strings(x.identity.manufacturer),
            device_model: strings(x.identity.modelName), algorithm_name: strings(x.algorithmName),
            algorithm_version: strings(x.algorithmVersion), source_series_uid: strings(x.sourceSeriesUID),
            source_modality: strings(x.sourceModality), frame_of_reference_uid: strings(x.frameOfReferenceUID),
            rows: UInt16(x.dimensions.rows), columns: UInt16(x.dimensions.columns),
            pixel_spacing: (g.spacing.row, g.spacing.column),
            orientation: (g.columnDirection.x, g.columnDirection.y, g.columnDirection.z,
                          g.rowDirection.x, g.rowDirection.y, g.rowDirection.z),
            slice_thickness: x.sliceThickness, images: UnsafePointer(images.pointer), image_count: images.count,
            seg_series_uid: strings.optional(x.segmentation?.series),
            seg_sop_instance_uid: strings.optional(x.segmentation?.instance),
            groups: UnsafePointer(groups.pointer), group_count: groups.count,
            evaluations: UnsafePointer(documentEvaluations.pointer), evaluation_count: documentEvaluations.count,
            private_scheme: strings(Code.privateScheme), private_scheme_name: strings(Code.privateSchemeName))
        try withResultsBridge("cannot write the SR \(path)") { dk_sr_write(study.handle, &spec, path) }
    }
}

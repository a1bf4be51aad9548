import Analysis
import DICOM
import Imaging

/// Writes the Comprehensive 3D SR (TID 1500) of a result through `DICOM.MeasurementReport`:
/// device observer, procedure reported, image library of the source images, the measurement
/// groups of `ReportContent` referencing the SEG's segments, and the evidence of every
/// referenced instance.
enum ReportWriter {
    struct Context {
        var identity: ResultIdentity
        var procedure: Code
        var deviceUID: String
        var deviceName: String
        var algorithmName: String
        var algorithmVersion: String
        var frameOfReferenceUID: String
        var plane: ImagePlane
        /// (series, instance) of the SEG, nil when none was written.
        var segmentation: (series: String, instance: String)?
    }

    static func write(_ content: ReportContent, context x: Context, source: LoadedVolume, path: String) throws(DICOMError) {
        let report = MeasurementReport(
            identity: x.identity, procedure: x.procedure, deviceUID: x.deviceUID, deviceName: x.deviceName,
            algorithmName: x.algorithmName, algorithmVersion: x.algorithmVersion,
            sourceSeriesUID: source.seriesInstanceUID, sourceModality: source.modality,
            frameOfReferenceUID: x.frameOfReferenceUID, plane: x.plane, sources: source.sources,
            segmentation: x.segmentation.map { (seriesUID: $0.series, instanceUID: $0.instance) },
            groups: content.groups, evaluations: content.evaluations, privateScheme: Code.autosegScheme)
        try report.write(to: path, study: source.study)
    }
}

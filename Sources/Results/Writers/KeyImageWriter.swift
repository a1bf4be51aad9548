import DICOM
import Imaging

/// Writes a rendered `KeyImage` as a Secondary Capture Image referencing its source slice.
enum KeyImageWriter {
    static func write(_ image: KeyImage, identity: ResultIdentity, source: SliceSource, orientation: String,
                      laterality: String, description: String, comments: String, study: StudyAttributes,
                      path: String) throws(DICOMError) {
        let sc = SecondaryCaptureImage(
            identity: identity, rows: image.rows, columns: image.columns, pixels: image.pixels,
            patientOrientation: orientation, imageLaterality: laterality, source: source,
            derivationDescription: description, imageComments: comments)
        try sc.write(to: path, study: study)
    }
}

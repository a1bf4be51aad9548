import CDcmtk
import DICOM
import Imaging

/// Writes a rendered `KeyImage` as a Secondary Capture Image referencing its source slice.
enum KeyImageWriter {
    static func write(_ image: KeyImage, identity: ResultIdentity, source: SliceSource, orientation: String,
                      laterality: String, description: String, comments: String, study: SourceStudy, path: String) throws(DICOMError) {
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        try image.pixels.withUnsafeBufferPointer { (px) throws(DICOMError) in
            var spec = dk_sc_spec(
                identity: identity.c(strings), rows: UInt16(image.rows), columns: UInt16(image.columns),
                pixels: px.baseAddress, patient_orientation: strings(orientation),
                image_laterality: strings(laterality), pixel_spacing: (0, 0),
                source_sop_class_uid: strings(source.sopClassUID), source_sop_instance_uid: strings(source.sopInstanceUID),
                source_frame_number: source.isMultiFrame ? UInt32(source.frameNumber) : 0,
                derivation_description: strings(String(description.prefix(1024))),
                image_comments: strings(String(comments.prefix(10240))))
            try withResultsBridge("cannot write the key image \(path)") { dk_sc_write(study.handle, &spec, path) }
        }
    }
}

import CDcmtk

/// A Secondary Capture Image: 8-bit MONOCHROME2, annotation burned in (Modality OT,
/// Conversion Type WSD, Image Type DERIVED\SECONDARY), referencing the slice it was made from.
public struct SecondaryCaptureImage: Sendable {
    public var identity: ResultIdentity
    public var rows: Int
    public var columns: Int
    /// rows × columns, row-major.
    public var pixels: [UInt8]
    /// PatientOrientation, e.g. "L\\P".
    public var patientOrientation: String
    /// ImageLaterality: "R", "L", "B" or "U".
    public var imageLaterality: String
    /// The Source Image Sequence item (with its frame for a multi-frame source).
    public var source: SliceSource
    /// Written as its first 1024 characters (ST).
    public var derivationDescription: String
    /// Written as its first 10240 characters (LT).
    public var imageComments: String

    public init(identity: ResultIdentity, rows: Int, columns: Int, pixels: [UInt8], patientOrientation: String,
                imageLaterality: String, source: SliceSource, derivationDescription: String, imageComments: String) {
        self.identity = identity
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.patientOrientation = patientOrientation
        self.imageLaterality = imageLaterality
        self.source = source
        self.derivationDescription = derivationDescription
        self.imageComments = imageComments
    }

    /// Encodes the image with the source study's cleaned attributes and writes it to `path`
    /// (Explicit VR Little Endian, whole or not at all).
    public func write(to path: String, study: StudyAttributes) throws(DICOMError) {
        guard rows > 0, columns > 0, rows <= Int(UInt16.max), columns <= Int(UInt16.max), pixels.count == rows * columns else {
            throw DICOMError(.invalidInput, "a \(rows)×\(columns) key image with \(pixels.count) pixels cannot be encoded")
        }
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        try pixels.withUnsafeBufferPointer { (px) throws(DICOMError) in
            var spec = dk_sc_spec(
                identity: identity.c(strings), rows: UInt16(rows), columns: UInt16(columns),
                pixels: px.baseAddress, patient_orientation: strings(patientOrientation),
                image_laterality: strings(imageLaterality), pixel_spacing: (0, 0),
                source_sop_class_uid: strings(source.sopClassUID), source_sop_instance_uid: strings(source.sopInstanceUID),
                source_frame_number: source.isMultiFrame ? UInt32(source.frameNumber) : 0,
                derivation_description: strings(String(derivationDescription.prefix(1024))),
                image_comments: strings(String(imageComments.prefix(10240))))
            try study.withElements { (elements, count) throws(DICOMError) in
                try withDCMTK("cannot write the key image \(path)") { dk_sc_write(elements, count, &spec, path) }
            }
        }
    }
}

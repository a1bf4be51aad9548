/// One DICOM object `ResultWriter` wrote.
public struct WrittenObject: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// DICOM Segmentation (`seg.dcm`).
        case seg
        /// Comprehensive 3D SR, TID 1500 (`sr.dcm`).
        case sr
        /// Secondary Capture key image of one finding (`sc-<n>.dcm`).
        case sc
    }

    public var kind: Kind
    public var path: String
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    /// The finding a key image shows (sc only).
    public var findingNumber: Int?
    /// Time taken to build and write the object, seconds.
    public var seconds: Double

    public init(kind: Kind, path: String, sopClassUID: String, sopInstanceUID: String, seriesInstanceUID: String,
                findingNumber: Int? = nil, seconds: Double = 0) {
        self.kind = kind
        self.path = path
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.findingNumber = findingNumber
        self.seconds = seconds
    }

    public static let segmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4"
    public static let comprehensive3DSRStorage = "1.2.840.10008.5.1.4.1.1.88.34"
    public static let secondaryCaptureStorage = "1.2.840.10008.5.1.4.1.1.7"
}

/// What `ResultWriter` does besides the SEG and SR.
public struct ResultOptions: Sendable, Equatable {
    /// Write one Secondary Capture key image per finding (for PACS that cannot show a SEG).
    public var keyImages: Bool
    /// Manufacturer (0008,0070) of the result objects.
    public var manufacturer: String

    public init(keyImages: Bool = true, manufacturer: String = "AutoSeg") {
        self.keyImages = keyImages
        self.manufacturer = manufacturer
    }
}

/// Why a set of files cannot be loaded as one volume (DESIGN §6: gaps, mixed orientations
/// or sizes are reported, never silently resampled). Match on `code`; `message` names the
/// files and values involved.
public struct VolumeError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: Sendable, Equatable {
        /// ImagePositionPatient, ImageOrientationPatient or PixelSpacing absent (or degenerate).
        case missingGeometry
        /// Slices with different ImageOrientationPatient.
        case mixedOrientation
        /// Slices with different Rows/Columns or PixelSpacing.
        case mixedSize
        /// Two slices at the same position along the slice normal.
        case duplicatePosition
        /// The distance between sorted slices `index` and `index + 1` is `size` mm, more than
        /// 1.5× the `median` spacing (mm).
        case gap(index: Int, size: Double, median: Double)
        /// Fewer than two slices.
        case tooFewSlices
        /// Files of more than one SeriesInstanceUID.
        case multipleSeries
        /// Pixel data this loader does not decode (colour, 1-bit, float, JPEG 2000, ...).
        case unsupportedPixelData
        /// A file that cannot be read or decoded.
        case unreadable
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}

extension VolumeError.Code {
    /// A short stable name, for logs and metrics.
    public var name: String {
        switch self {
        case .missingGeometry: "missing geometry"
        case .mixedOrientation: "mixed orientation"
        case .mixedSize: "mixed size"
        case .duplicatePosition: "duplicate position"
        case .gap: "gap"
        case .tooFewSlices: "too few slices"
        case .multipleSeries: "multiple series"
        case .unsupportedPixelData: "unsupported pixel data"
        case .unreadable: "unreadable"
        }
    }
}

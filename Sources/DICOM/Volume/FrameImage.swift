import CDcmtk

/// One grayscale frame of an image file, decoded and mapped to 8 bits for display (the web
/// console's key-image thumbnails). Stored values of 8 bits or fewer (our key images: 8-bit
/// MONOCHROME2 with the outline at 255) are kept as they are; wider ones are stretched from
/// their minimum to their maximum. MONOCHROME1 is inverted so that bright means dense, as
/// in MONOCHROME2.
public struct FrameImage: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// rows × columns, row-major, 0 black … 255 white.
    public var pixels: [UInt8]

    public init(rows: Int, columns: Int, pixels: [UInt8]) {
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
    }

    /// Decodes frame `frame` (0-based) of `path` through DCMTK's codecs.
    public static func read(path: String, frame: Int = 0) throws(VolumeError) -> FrameImage {
        let header = try ImageHeader.read(path: path)
        if let reason = header.unsupportedReason { throw VolumeError(.unsupportedPixelData, "\(path): \(reason)") }
        guard frame >= 0, frame < header.frames.count else {
            throw VolumeError(.unsupportedPixelData, "\(path): no frame \(frame) (\(header.frames.count) frames)")
        }
        let count = header.rows * header.columns
        var values = [Float](repeating: 0, count: count)
        do throws(DICOMError) {
            try withDCMTK {
                values.withUnsafeMutableBufferPointer { buffer in
                    var destination: UnsafeMutablePointer<Float>? = buffer.baseAddress
                    return dk_image_decode_frames(path, UInt32(frame), 1, &destination, count)
                }
            }
        } catch {
            throw VolumeError(.unreadable, "\(path): \(error.description)")
        }
        // Rescale (slope, intercept) is applied by the bridge; for display only the stored
        // range matters, so 8-bit images keep their values and wider ones are stretched.
        var low = values.min() ?? 0, high = values.max() ?? 0
        if header.bitsStored <= 8 && header.pixelRepresentation == 0 && header.frames[frame].rescaleSlope == 1
            && header.frames[frame].rescaleIntercept == 0 {
            low = 0
            high = 255
        }
        let scale = high > low ? 255 / (high - low) : 0
        let invert = header.photometricInterpretation == "MONOCHROME1"
        let pixels = values.map { v -> UInt8 in
            let g = UInt8(max(0, min(255, ((v - low) * scale).rounded())))
            return invert ? 255 - g : g
        }
        return FrameImage(rows: header.rows, columns: header.columns, pixels: pixels)
    }
}

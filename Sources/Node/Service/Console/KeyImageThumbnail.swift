import DICOM
import Results

/// A key image (`sc-<n>.dcm`, 8-bit MONOCHROME2, the outline burned in at 255) as a PNG
/// thumbnail for the console: decoded through the DICOM module, shrunk by an integer factor
/// to at most `maxSide` pixels a side.
enum KeyImageThumbnail {
    /// A side of 256 shows a 512² CT slice at half size, enough to see the outline; larger
    /// images are what the SEG and SC objects are for.
    static let maxSide = 256

    static func png(path: String) throws(VolumeError) -> [UInt8] {
        let image = try FrameImage.read(path: path)
        let small = shrink(image, maxSide: maxSide)
        return PNGEncoder.grayscale(rows: small.rows, columns: small.columns, pixels: small.pixels)
    }

    /// Box-averages `factor` × `factor` blocks, except that a block holding an annotation pixel
    /// (`KeyImageRenderer.annotation`, the outline's value and no anatomy's) takes that value,
    /// so a one-pixel outline survives the shrinking.
    static func shrink(_ image: FrameImage, maxSide: Int) -> FrameImage {
        let factor = max(1, (max(image.rows, image.columns) + maxSide - 1) / maxSide)
        guard factor > 1 else { return image }
        let rows = image.rows / factor, columns = image.columns / factor
        guard rows > 0, columns > 0 else { return image }
        var out = [UInt8](repeating: 0, count: rows * columns)
        let annotation = KeyImageRenderer.annotation
        for r in 0..<rows {
            for c in 0..<columns {
                var sum = 0
                var marked = false
                for y in (r * factor)..<((r + 1) * factor) {
                    for x in (c * factor)..<((c + 1) * factor) {
                        let v = image.pixels[y * image.columns + x]
                        sum += Int(v)
                        if v == annotation { marked = true }
                    }
                }
                out[r * columns + c] = marked ? annotation : UInt8(min(Int(annotation) - 1, sum / (factor * factor)))
            }
        }
        return FrameImage(rows: rows, columns: columns, pixels: out)
    }
}

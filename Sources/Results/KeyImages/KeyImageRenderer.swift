import Analysis
import DICOM
import Foundation
import Imaging

/// An 8-bit key image of one finding: the source slice through its largest cross-section,
/// windowed to 0…254, the finding's outline at 255 (the only pixels that bright apart from the
/// caption), and a caption with its size and volume.
public struct KeyImage: Sendable {
    /// Index of the source slice shown (volume slice order).
    public var slice: Int
    public var rows: Int
    public var columns: Int
    /// rows × columns, row-major, MONOCHROME2.
    public var pixels: [UInt8]
    public var caption: [String]
}

/// Renders key images (pure Swift, no DICOM).
public enum KeyImageRenderer {
    /// The value of the outline and the caption.
    public static let annotation: UInt8 = 255

    /// The slice with the most voxels of `mask` (the lowest such slice on ties).
    public static func largestSection(_ mask: RegionMask) -> Int {
        let bd = mask.box.dimensions
        var best = 0, bestCount = -1
        for s in 0..<bd.slices {
            var n = 0
            for i in (s * bd.sliceSize)..<((s + 1) * bd.sliceSize) where mask.mask[i] != 0 { n += 1 }
            if n > bestCount { best = s; bestCount = n }
        }
        return mask.box.lower.slice + best
    }

    /// The slice a key image shows: where the caliper long axis is greatest (the slice the
    /// long and short axis are measured on, `AxialDiameters`), so the outline and the caption's
    /// axes agree; the largest section when the mask has no extent in plane.
    public static func keySlice(_ mask: RegionMask, spacing: Spacing) -> Int {
        var box = Mask(dimensions: mask.box.dimensions,
                       geometry: Geometry(origin: .zero, spacing: spacing), repeating: 0)
        box.voxels = mask.mask
        guard let axes = AxialDiameters.measure(box) else { return largestSection(mask) }
        return mask.box.lower.slice + axes.slice
    }

    /// Display window (low, high): the usual CT windows in HU (lung −1350…150, soft tissue
    /// −140…260), otherwise the 1st…99th percentile of the slice's non-zero values (maps).
    public static func window(analyzer: AnalyzerKind, units: String, slice values: ArraySlice<Float>) -> (Float, Float) {
        if units == "HU" {
            return analyzer == .lung ? (-1350, 150) : (-140, 260)
        }
        let sorted = values.filter { $0 != 0 && $0.isFinite }.sorted()
        guard sorted.count > 1 else { return (0, 1) }
        let lo = sorted[sorted.count / 100], hi = sorted[(sorted.count * 99) / 100]
        return hi > lo ? (lo, hi) : (lo, lo + 1)
    }

    /// Renders finding `mask` on slice `slice` of `volume`.
    public static func render(volume: Volume<Float>, slice: Int, mask: RegionMask, window: (Float, Float),
                              caption: [String]) -> KeyImage {
        let d = volume.dimensions
        let base = slice * d.sliceSize
        let (low, high) = window
        let scale = 254 / max(1e-6, high - low)
        var pixels = [UInt8](repeating: 0, count: d.sliceSize)
        for i in 0..<d.sliceSize {
            let v = (volume.voxels[base + i] - low) * scale
            pixels[i] = v.isFinite ? UInt8(max(0, min(254, v.rounded()))) : 0
        }
        // Outline: pixels outside the finding that touch it (8-neighbourhood), so the finding
        // itself stays visible.
        let b = mask.box
        for r in max(0, b.lower.row - 1)...min(d.rows - 1, b.upper.row + 1) {
            for c in max(0, b.lower.column - 1)...min(d.columns - 1, b.upper.column + 1) where !mask.contains(slice, r, c) {
                var touches = false
                for dr in -1...1 where !touches {
                    for dc in -1...1 where (dr != 0 || dc != 0) && mask.contains(slice, r + dr, c + dc) {
                        touches = true
                        break
                    }
                }
                if touches { pixels[r * d.columns + c] = annotation }
            }
        }
        let textScale = max(1, min(d.rows, d.columns) / 256)
        BitmapFont.draw(caption, x: 2 * textScale, y: 2 * textScale, scale: textScale, value: annotation,
                        into: &pixels, rows: d.rows, columns: d.columns)
        return KeyImage(slice: slice, rows: d.rows, columns: d.columns, pixels: pixels, caption: caption)
    }

    /// The caption of a finding: what it is and its assessments, its caliper axes (long, short
    /// and, for nodules, the Lung-RADS mean diameter) and volume, and who found it — the same
    /// numbers, rounded the same way, as the SR and findings.json.
    public static func caption(for f: Finding, analyzer: AnalyzerKind, version: String) -> [String] {
        var first = "\(FindingCoding.noun(of: f.kind)) \(f.number)"
        if !f.category.isEmpty && f.category.lowercased() != f.kind.rawValue { first += " \(f.category)" }
        if let rads = f.assessment(.lungRADS) { first += "  LUNG-RADS \(rads)" }
        let mm = { (x: Double) in String(format: "%.1f", x) }
        var size: [String] = []
        if let l = f.measurement(.longAxis) {
            var axes = "LA \(mm(l))"
            if let s = f.measurement(.shortAxis) { axes += " SA \(mm(s))" }
            if let m = f.measurement(.meanDiameter) { axes += " MEAN \(mm(m))" }
            size.append(axes + " MM")
        } else if let d = f.measurement(.equivalentDiameter) {
            size.append("EQ DIAM \(mm(d)) MM")
        }
        if let v = f.measurement(.volume) {
            size.append("V \(String(format: v < 10 ? "%.2f" : "%.1f", v)) ML")
        }
        return [first.uppercased(), size.joined(separator: "  "), "AUTOSEG \(analyzer.rawValue) \(version)".uppercased()]
            .map(ASCIIText.clean).filter { !$0.isEmpty }
    }

    /// Patient Orientation (0020,0020) of a slice: the patient directions of increasing
    /// column and increasing row, each as up to three letters by decreasing weight.
    public static func patientOrientation(_ g: Geometry) -> String {
        func letters(_ v: SIMD3<Double>) -> String {
            let names: [(Character, Character)] = [("L", "R"), ("P", "A"), ("H", "F")]
            let parts = (0..<3).map { (abs(v[$0]), v[$0] >= 0 ? names[$0].0 : names[$0].1) }
                .filter { $0.0 >= 0.25 }.sorted { $0.0 > $1.0 }
            return String(parts.map(\.1))
        }
        return "\(letters(g.columnDirection))\\\(letters(g.rowDirection))"
    }
}

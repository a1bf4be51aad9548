import Imaging

/// One shape painted onto the phantom canvas: its distance bound, a ball that contains it
/// (limits the voxels visited), the value and how it combines, and the label it writes.
struct Stroke: Sendable {
    var sdf: SDF
    var center: SIMD3<Double>
    var radius: Double
    var value: Float
    var blend: PhantomCanvas.Blend = .replace
    var label: UInt16? = nil
    var onlyInto: Set<UInt16>? = nil

    /// Paints it; returns the voxels labelled.
    @discardableResult
    func paint(_ canvas: inout PhantomCanvas) -> Int {
        canvas.paint(center: center, radius: radius, value: value, blend: blend, label: label,
                     onlyLabelInto: onlyInto, sdf: sdf)
    }

    /// An ellipsoid (ball radius from its largest semi-axis).
    static func ellipsoid(_ c: SIMD3<Double>, _ r: SIMD3<Double>, frame: Frame = .identity, value: Float,
                          label: UInt16? = nil) -> Stroke {
        Stroke(sdf: LiverShapes.ellipsoid(c, r, frame: frame), center: c, radius: r.max() + 1, value: value,
               label: label)
    }

    /// A capsule from `a` to `b`, optionally clipped to `inside` (e.g. a vessel kept within the liver).
    static func capsule(_ a: SIMD3<Double>, _ b: SIMD3<Double>, radius: Double, value: Float,
                        clip inside: SDF? = nil, label: UInt16? = nil) -> Stroke {
        let tube = Shapes.capsule(from: a, to: b, radius: radius)
        let half = ((b - a) * (b - a)).sum().squareRoot() / 2
        // The clip is only evaluated near the tube (the tube's bound alone is a valid bound farther out).
        var sdf: SDF = tube
        if let clip = inside {
            sdf = { p in
                let t = tube(p)
                return t > 2 ? t : max(t, clip(p))
            }
        }
        return Stroke(sdf: sdf, center: (a + b) / 2, radius: half + radius + 1, value: value, label: label)
    }

    /// A vertical elliptic column through (cx, cy) from `z0` to `z1`, as overlapping slabs of
    /// at most 40 mm (so each slab only visits voxels near it; equal values make the seams exact).
    static func column(cx: Double, cy: Double, rx: Double, ry: Double, z0: Double, z1: Double, value: Float,
                       overlap: Double, label: UInt16? = nil) -> [Stroke] {
        let cyl = LiverShapes.ellipticCylinder(cx: cx, cy: cy, rx: rx, ry: ry)
        let n = max(1, Int(((z1 - z0) / 40).rounded(.up)))
        let step = (z1 - z0) / Double(n)
        return (0..<n).map { i in
            let lo = z0 + Double(i) * step - (i == 0 ? 0 : overlap)
            let hi = z0 + Double(i + 1) * step
            let zc = (lo + hi) / 2, h = (hi - lo) / 2
            return Stroke(sdf: { p in max(cyl(p), abs(p.z - zc) - h) }, center: [cx, cy, zc],
                          radius: (rx * rx + ry * ry + h * h).squareRoot() + 1, value: value, label: label)
        }
    }
}

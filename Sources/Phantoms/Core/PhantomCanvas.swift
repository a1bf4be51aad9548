import Foundation
import Imaging

/// Drawing surface for phantoms: an intensity volume and a label volume on one grid, shapes
/// given in patient millimetres with partial volume at their edges, and spatially correlated
/// noise. All cores; the result depends only on the inputs (never on the thread count).
public struct PhantomCanvas: Sendable {
    public var intensity: Volume<Float>
    public var labels: Volume<UInt16>

    public init(dimensions: Dimensions, geometry: Geometry, background: Float) {
        intensity = Volume(dimensions: dimensions, geometry: geometry, repeating: background)
        labels = Volume(dimensions: dimensions, geometry: geometry, repeating: 0)
    }

    public var geometry: Geometry { intensity.geometry }
    public var dimensions: Dimensions { intensity.dimensions }

    /// How a shape's value combines with what is already there, per voxel, with `f` the
    /// fraction of the voxel inside the shape.
    public enum Blend: Sendable {
        /// v ← v·(1 − f) + value·f (an object replacing what was there).
        case replace
        /// v ← v + value·f (e.g. contrast enhancement on top of tissue).
        case add
        /// v ← max(v, value·f + v·(1 − f)) (only ever brightens).
        case maximum
    }

    /// Paints the shape whose signed distance (mm, negative inside) is `sdf`, within a ball of
    /// `radius` mm around `center`. `sdf` must not overestimate distances (a lower bound of
    /// the true distance is fine): voxels whose centre is nearer the surface than half a
    /// voxel diagonal are supersampled 4×4×4 for partial volume. Voxels more than half inside
    /// get `label` (if given; `onlyLabelInto` restricts which existing labels may be
    /// overwritten, e.g. `[0]` to never overwrite another lesion). `within` restricts painting
    /// to voxels whose label is in the set (e.g. a lesion only inside the organ's label).
    /// Returns the number of voxels labelled.
    @discardableResult
    public mutating func paint(center: SIMD3<Double>, radius: Double, value: Float, blend: Blend = .replace,
                               label: UInt16? = nil, onlyLabelInto: Set<UInt16>? = nil,
                               sdf: @escaping @Sendable (SIMD3<Double>) -> Double) -> Int {
        let g = geometry, d = dimensions
        // Index box of the bounding ball (conservative for any direction matrix).
        var lo = SIMD3<Double>(repeating: .infinity), hi = SIMD3<Double>(repeating: -.infinity)
        for corner in 0..<8 {
            let o = SIMD3<Double>(corner & 1 == 0 ? -radius : radius, corner & 2 == 0 ? -radius : radius,
                                  corner & 4 == 0 ? -radius : radius)
            let i = g.index(of: center + o)
            let v = SIMD3(i.slice, i.row, i.column)
            lo = pointwiseMin(lo, v)
            hi = pointwiseMax(hi, v)
        }
        let s0 = max(0, Int(lo.x.rounded(.down))), s1 = min(d.slices - 1, Int(hi.x.rounded(.up)))
        let r0 = max(0, Int(lo.y.rounded(.down))), r1 = min(d.rows - 1, Int(hi.y.rounded(.up)))
        let c0 = max(0, Int(lo.z.rounded(.down))), c1 = min(d.columns - 1, Int(hi.z.rounded(.up)))
        guard s0 <= s1, r0 <= r1, c0 <= c1 else { return 0 }

        let sp = g.spacing
        let halfDiagonal = 0.5 * (sp.slice * sp.slice + sp.row * sp.row + sp.column * sp.column).squareRoot()
        let sub = 4
        let offsets: [Double] = (0..<sub).map { (Double($0) + 0.5) / Double(sub) - 0.5 }
        let labelsOK = onlyLabelInto
        let counted = Counter()
        intensity.voxels.withUnsafeMutableBufferPointer { iv in
            labels.voxels.withUnsafeMutableBufferPointer { lv in
                let ib = UnsafeSendableBuffer(iv.baseAddress!), lb = UnsafeSendableBuffer(lv.baseAddress!)
                Parallelism.forEachChunk(s1 - s0 + 1) { chunk in
                    var n = 0
                    for s in (s0 + chunk.lowerBound)..<(s0 + chunk.upperBound) {
                        for r in r0...r1 {
                            for c in c0...c1 {
                                let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
                                let dist = sdf(p)
                                var f: Double
                                if dist >= halfDiagonal { continue }
                                if dist <= -halfDiagonal {
                                    f = 1
                                } else {
                                    var inside = 0
                                    for a in offsets {
                                        for b in offsets {
                                            for e in offsets {
                                                let q = g.point(slice: Double(s) + a, row: Double(r) + b, column: Double(c) + e)
                                                if sdf(q) < 0 { inside += 1 }
                                            }
                                        }
                                    }
                                    f = Double(inside) / Double(sub * sub * sub)
                                    if f == 0 { continue }
                                }
                                let i = d.index(s, r, c)
                                let old = ib[i], ff = Float(f)
                                switch blend {
                                case .replace: ib.base[i] = old * (1 - ff) + value * ff
                                case .add: ib.base[i] = old + value * ff
                                case .maximum: ib.base[i] = max(old, old * (1 - ff) + value * ff)
                                }
                                if let label, f > 0.5, labelsOK?.contains(lb[i]) ?? true {
                                    lb.base[i] = label
                                    n += 1
                                }
                            }
                        }
                    }
                    counted.add(n)
                }
            }
        }
        return counted.value
    }

    /// An ellipsoid with semi-axes `radii` along the orthonormal `axes` (default: patient x, y, z).
    @discardableResult
    public mutating func paintEllipsoid(center: SIMD3<Double>, radii: SIMD3<Double>,
                                        axes: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) = ([1, 0, 0], [0, 1, 0], [0, 0, 1]),
                                        value: Float, blend: Blend = .replace, label: UInt16? = nil,
                                        onlyLabelInto: Set<UInt16>? = nil) -> Int {
        let sdf = Shapes.ellipsoid(center: center, radii: radii, axes: axes)
        return paint(center: center, radius: radii.max() + 1, value: value, blend: blend, label: label,
                     onlyLabelInto: onlyLabelInto, sdf: sdf)
    }

    /// A capsule (tube with round ends) from `a` to `b` (vessels, bronchi, ribs).
    @discardableResult
    public mutating func paintCapsule(from a: SIMD3<Double>, to b: SIMD3<Double>, radius: Double, value: Float,
                                      blend: Blend = .replace, label: UInt16? = nil,
                                      onlyLabelInto: Set<UInt16>? = nil) -> Int {
        let centre = (a + b) / 2
        let half = ((b - a) * (b - a)).sum().squareRoot() / 2
        return paint(center: centre, radius: half + radius + 1, value: value, blend: blend, label: label,
                     onlyLabelInto: onlyLabelInto, sdf: Shapes.capsule(from: a, to: b, radius: radius))
    }

    /// Adds Gaussian noise of standard deviation `sd`, spatially correlated by a Gaussian of
    /// `correlationMM` (0: white), scaled so the final standard deviation is `sd`. `where`
    /// limits it to voxels whose intensity passes (e.g. not the air outside the body).
    public mutating func addCorrelatedNoise(sd: Double, correlationMM: Double, seed: UInt64,
                                            where include: (@Sendable (Float) -> Bool)? = nil) {
        let d = dimensions
        var noise = Volume<Float>(dimensions: d, geometry: geometry, repeating: 0)
        noise.voxels.withUnsafeMutableBufferPointer { nv in
            let nb = UnsafeSendableBuffer(nv.baseAddress!)
            Parallelism.forEachChunk(d.slices) { chunk in
                for s in chunk {
                    var g = SplitMix64(state: seed).derived(UInt64(s) &+ 1)
                    let base = s * d.sliceSize
                    for i in 0..<d.sliceSize { nb.base[base + i] = Float(g.gaussian()) }
                }
            }
        }
        if correlationMM > 0 { noise = Gaussian.smooth(noise, sigma: correlationMM) }
        // Measured SD of the smoothed field (mean is ~0), so the result has exactly `sd`.
        var sum = 0.0, sum2 = 0.0
        for v in noise.voxels { sum += Double(v); sum2 += Double(v) * Double(v) }
        let n = Double(noise.voxels.count)
        let measured = max(1e-12, (sum2 / n - (sum / n) * (sum / n)).squareRoot())
        let scale = Float(sd / measured)
        intensity.voxels.withUnsafeMutableBufferPointer { iv in
            noise.voxels.withUnsafeBufferPointer { nv in
                let ib = UnsafeSendableBuffer(iv.baseAddress!)
                let nb = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: nv.baseAddress!))
                Parallelism.forEachChunk(d.count, minimumChunk: 1 << 16) { range in
                    for i in range where include?(ib[i]) ?? true { ib.base[i] += nb[i] * scale }
                }
            }
        }
    }

    /// Volume (mL) and voxel count of `label`.
    public func labelVolume(_ label: UInt16) -> (voxels: Int, ml: Double) {
        let n = labels.voxels.reduce(0) { $0 + ($1 == label ? 1 : 0) }
        return (n, Double(n) * geometry.spacing.voxelVolume / 1000)
    }
}

/// Signed distance functions (mm, negative inside; lower bounds of the true distance, which is
/// what `PhantomCanvas.paint` needs) for phantom shapes.
public enum Shapes {
    /// Ellipsoid: (|q/r| − 1)·min(r) bounds the distance from below on both sides.
    public static func ellipsoid(center: SIMD3<Double>, radii: SIMD3<Double>,
                                 axes: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)) -> @Sendable (SIMD3<Double>) -> Double {
        let rmin = radii.min()
        return { p in
            let v = p - center
            let q = SIMD3((v * axes.0).sum(), (v * axes.1).sum(), (v * axes.2).sum()) / radii
            return ((q * q).sum().squareRoot() - 1) * rmin
        }
    }

    /// Capsule from `a` to `b` with `radius` (exact distance).
    public static func capsule(from a: SIMD3<Double>, to b: SIMD3<Double>, radius: Double) -> @Sendable (SIMD3<Double>) -> Double {
        let ab = b - a
        let len2 = max(1e-12, (ab * ab).sum())
        return { p in
            let t = min(1, max(0, ((p - a) * ab).sum() / len2))
            let e = p - (a + t * ab)
            return (e * e).sum().squareRoot() - radius
        }
    }
}

/// A thread-safe running sum.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}

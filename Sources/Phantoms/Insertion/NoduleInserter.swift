import Analysis
import Foundation
import Imaging

/// A synthetic nodule to insert into a real CT (hybrid evaluation: the lesion is known, the
/// anatomy, noise and blur around it are the scanner's).
public struct InsertedNoduleSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case solid, partSolid = "part-solid", groundGlass = "ground-glass"
    }

    /// Patient mm (LPS).
    public var center: SIMD3<Double>
    public var diameterMM: Double
    public var kind: Kind
    /// HU of the nodule body: solid, or the ground glass of ground-glass and part-solid nodules.
    public var densityHU: Float
    /// Part-solid only: the solid core's diameter (mm) and HU (centred in the body).
    public var coreDiameterMM: Double
    public var coreHU: Float

    public init(center: SIMD3<Double>, diameterMM: Double, kind: Kind, densityHU: Float,
                coreDiameterMM: Double = 0, coreHU: Float = 0) {
        self.center = center
        self.diameterMM = diameterMM
        self.kind = kind
        self.densityHU = densityHU
        self.coreDiameterMM = kind == .partSolid ? coreDiameterMM : 0
        self.coreHU = coreHU
    }

    /// Solid attenuation of a nodule: soft tissue, about 0…+60 HU on unenhanced CT (Fleischner
    /// Society glossary: solid = obscures vessels and bronchial walls, soft-tissue density).
    public static let solidHU: ClosedRange<Double> = 0...60
    /// Ground-glass attenuation of a subsolid nodule: hazy, vessels still visible, about
    /// −700…−500 HU (the range of pure ground-glass nodules in quantitative CT studies).
    public static let groundGlassHU: ClosedRange<Double> = -700 ... -500
    /// Solid core of a part-solid nodule as a share of its diameter: Fleischner 2017 manages
    /// part-solid nodules by the solid component, which is typically a third to two thirds of
    /// the whole; the middle of that range keeps both parts measurable at 8 mm and up.
    public static let coreShare: ClosedRange<Double> = 0.4...0.6

    /// A spec with densities drawn from the ranges above.
    public static func random(kind: Kind, diameterMM: Double, center: SIMD3<Double>,
                              rng: inout SplitMix64) -> InsertedNoduleSpec {
        switch kind {
        case .solid:
            return .init(center: center, diameterMM: diameterMM, kind: .solid, densityHU: Float(rng.uniform(solidHU)))
        case .groundGlass:
            return .init(center: center, diameterMM: diameterMM, kind: .groundGlass,
                         densityHU: Float(rng.uniform(groundGlassHU)))
        case .partSolid:
            let gg = Float(rng.uniform(groundGlassHU)), share = rng.uniform(coreShare)
            return .init(center: center, diameterMM: diameterMM, kind: .partSolid, densityHU: gg,
                         coreDiameterMM: share * diameterMM, coreHU: Float(rng.uniform(solidHU)))
        }
    }
}

/// What an insertion drew, with its truth.
public struct Insertion: Sendable {
    public var spec: InsertedNoduleSpec
    /// The visible part of the nodule on the volume's grid: voxel centres inside the sphere and
    /// where `visible` held (in the lung field, not in the mediastinum or wall it is set against,
    /// where a nodule of soft-tissue density cannot be told from the tissue).
    public var truth: Mask
    /// Where `truth` lies in the full grid.
    public var box: IndexBox
    public var truthVoxels: Int
    /// Voxel centres inside the whole sphere (visible or not).
    public var sphereVoxels: Int
    /// Volume (mL) of the whole sphere.
    public var sphereML: Double
    /// Share of the sphere's voxel centres outside the visible region (the embedded part).
    public var embeddedFraction: Double { 1 - Double(truthVoxels) / Double(max(1, sphereVoxels)) }
    /// Volume (mL) of the visible part: the sphere's volume times its visible share (a count of
    /// voxel centres alone is off by up to a third for a 5 mm nodule on 2.5 mm slices).
    public var visibleML: Double { sphereML * (1 - embeddedFraction) }

    /// Share of the visible part inside `organ` (an analyzer's organ mask on the same grid).
    public func share(inside organ: RegionMask?) -> Double {
        guard let organ else { return 0 }
        let d = truth.dimensions
        var n = 0, inside = 0
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where truth[s, r, c] != 0 {
                    n += 1
                    if organ.contains(s + box.lower.slice, r + box.lower.row, c + box.lower.column) { inside += 1 }
                }
            }
        }
        return Double(inside) / Double(max(1, n))
    }
}

/// Renders an `InsertedNoduleSpec` into a real CT volume (HU):
/// - the nodule is a sphere blurred by the scanner's point-spread function, a Gaussian of
///   `psfSigma` in mm, evaluated in closed form (the ball convolved with an isotropic Gaussian)
///   and averaged over 3 × 3 × 3 points of each voxel (the partial-volume effect of the voxel,
///   along z the slice's sensitivity profile);
/// - it is *added* to the anatomy: the local noiseless level m (the volume smoothed with σ =
///   1 mm) is raised toward the nodule's density by the blurred occupancy, and the voxel keeps
///   its own deviation from m (the scanner's noise and fine texture). Where the anatomy is
///   already denser than the nodule (a vessel inside ground glass, the mediastinum against a
///   solid nodule) nothing is added (`noiseAllowance`): vessels stay visible through ground
///   glass, and the embedded part of a juxtamediastinal nodule is as invisible as it is on a
///   real scan.
public enum NoduleInserter {
    /// In-plane PSF σ (mm): a standard (soft-tissue) kernel resolves about 1.5–2 pixels FWHM at
    /// a chest field of view (the reconstruction grid is chosen near the system's resolution;
    /// MTF50 ≈ 3.5–4 lp/cm at 0.7 mm pixels), so σ = FWHM / 2.355 ≈ 0.75 pixel, at least
    /// 0.4 mm (the focal spot and detector aperture bound it from below whatever the pixel).
    public static func psfSigma(_ spacing: Spacing) -> Double {
        max(0.4, 0.75 * min(spacing.row, spacing.column))
    }

    /// How far (HU) above the nodule's noiseless level a voxel may end up: about 3–4 noise SDs
    /// of a standard-dose chest CT with a standard kernel (20–35 HU in the lungs), so the
    /// nodule keeps its noise (clipped only in the far tail) while anything denser than the
    /// nodule — a vessel through ground glass, whose level the smoothing underestimates — keeps
    /// its own value rather than the nodule's contrast added on top.
    static let noiseAllowance = 100.0

    /// Standard deviation (mm) of the smoothing that estimates the local noiseless anatomy: a
    /// couple of pixels, enough to average out the noise grain of a standard kernel, small
    /// against the nodule.
    static let backgroundSigma = 1.0

    /// Inserts `spec` into `v`; `visible` says which patient points can show the nodule
    /// (default: everywhere).
    public static func insert(_ spec: InsertedNoduleSpec, into v: inout Volume<Float>,
                              visible: (SIMD3<Double>) -> Bool = { _ in true }) -> Insertion {
        let g = v.geometry, d = v.dimensions, sp = g.spacing
        let radius = spec.diameterMM / 2, sigma = psfSigma(sp)
        let reach = radius + 4 * sigma + max(sp.slice, sp.row, sp.column)
        let x = g.index(of: spec.center)
        func span(_ at: Double, _ h: Double, _ n: Int) -> ClosedRange<Int> {
            max(0, Int((at - h).rounded(.down)))...max(0, min(n - 1, Int((at + h).rounded(.up))))
        }
        let ss = span(x.slice, reach / sp.slice, d.slices), rs = span(x.row, reach / sp.row, d.rows),
            cs = span(x.column, reach / sp.column, d.columns)
        let box = IndexBox(lower: .init(slice: ss.lowerBound, row: rs.lowerBound, column: cs.lowerBound),
                           upper: .init(slice: ss.upperBound, row: rs.upperBound, column: cs.upperBound))
        let bd = box.dimensions
        var bg = g
        bg.origin = g.point(slice: Double(ss.lowerBound), row: Double(rs.lowerBound), column: Double(cs.lowerBound))
        var raw = Volume<Float>(dimensions: bd, geometry: bg, repeating: 0)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for c in 0..<bd.columns {
                    raw.voxels[bd.index(s, r, c)] = v[s + ss.lowerBound, r + rs.lowerBound, c + cs.lowerBound]
                }
            }
        }
        let level = Gaussian.smooth(raw, sigmaSlice: min(backgroundSigma, 0.5 * sp.slice),
                                    sigmaRow: backgroundSigma, sigmaColumn: backgroundSigma)
        var truth = Mask(dimensions: bd, geometry: bg, repeating: 0)
        var count = 0, all = 0
        let coreRadius = spec.coreDiameterMM / 2
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for c in 0..<bd.columns {
                    let p = bg.point(slice: Double(s), row: Double(r), column: Double(c))
                    let i = bd.index(s, r, c)
                    let body = occupancy(p, spec.center, radius, sigma, g)
                    let core = coreRadius > 0 ? occupancy(p, spec.center, coreRadius, sigma, g) : 0
                    let m = Double(level.voxels[i])
                    let add = body * (Double(spec.densityHU) - m) + core * Double(spec.coreHU - spec.densityHU)
                    if add > 0 {
                        let old = Double(v[s + ss.lowerBound, r + rs.lowerBound, c + cs.lowerBound])
                        let new = min(old + add, max(old, m + add + noiseAllowance))
                        v[s + ss.lowerBound, r + rs.lowerBound, c + cs.lowerBound] = Float(new)
                    }
                    let q = p - spec.center
                    if (q * q).sum() <= radius * radius {
                        all += 1
                        if visible(p) {
                            truth.voxels[i] = 1
                            count += 1
                        }
                    }
                }
            }
        }
        let sphere = 4.0 / 3 * Double.pi * radius * radius * radius / 1000
        return Insertion(spec: spec, truth: truth, box: box, truthVoxels: count, sphereVoxels: all, sphereML: sphere)
    }

    /// Mean over 3 × 3 × 3 points of the voxel at `p` of the ball (`center`, `radius`) blurred by
    /// an isotropic Gaussian of `sigma` (mm).
    static func occupancy(_ p: SIMD3<Double>, _ center: SIMD3<Double>, _ radius: Double, _ sigma: Double,
                          _ g: Geometry) -> Double {
        let sp = g.spacing
        var sum = 0.0
        for a in -1...1 {
            for b in -1...1 {
                for e in -1...1 {
                    let q = p + g.sliceDirection * (Double(a) * sp.slice / 3) + g.rowDirection * (Double(b) * sp.row / 3)
                        + g.columnDirection * (Double(e) * sp.column / 3) - center
                    sum += blurredBall((q * q).sum().squareRoot(), radius: radius, sigma: sigma)
                }
            }
        }
        return sum / 27
    }

    /// The indicator of a ball of `radius` convolved with an isotropic Gaussian of `sigma`, at
    /// distance `rho` from its centre: P(|X| ≤ R) for X ~ N(μ, σ²I), |μ| = ρ (the non-central χ
    /// distribution with 3 degrees of freedom):
    /// Φ((R−ρ)/σ) + Φ((R+ρ)/σ) − 1 − (σ/ρ)·[φ((R−ρ)/σ) − φ((R+ρ)/σ)].
    public static func blurredBall(_ rho: Double, radius: Double, sigma: Double) -> Double {
        guard sigma > 0 else { return rho <= radius ? 1 : 0 }
        let rr = max(rho, 1e-6 * sigma)
        let a = (radius - rr) / sigma, b = (radius + rr) / sigma
        func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        func pdf(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
        return min(1, max(0, cdf(a) + cdf(b) - 1 - sigma / rr * (pdf(a) - pdf(b))))
    }
}

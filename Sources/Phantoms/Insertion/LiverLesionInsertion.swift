import Foundation
import Imaging

/// One lesion put into a real liver by `LiverLesionInsertion`.
public struct InsertedLiverLesion: Sendable {
    /// Its value in the returned label volume (1, 2, …).
    public var label: UInt16
    /// Centre (patient LPS mm) of the nominal shape.
    public var centreMM: SIMD3<Double>
    /// Volume of its truth mask (voxels at ≥ 50 % partial volume after the PSF), mL.
    public var volumeML: Double
    /// Density change at the lesion's core against the parenchyma around it (HU, negative).
    public var contrastHU: Double
    /// Distance (mm) from the centre to the nearest voxel outside the liver: small for a
    /// lesion on the surface.
    public var depthMM: Double
}

/// Synthetic hypodense liver lesions (metastasis-like) inserted into a real CT, to measure
/// sensitivity and volume accuracy on real parenchyma, vessels, noise and artefacts where
/// the real case has no lesion.
///
/// Physics, so that the inserted lesion looks as a scanner would show it: the lesion is a
/// lobulated ellipsoid (metastases are round to lobulated, axis ratios 0.8–1.25); its voxel
/// occupancy is integrated by supersampling, then blurred by the scanner's point spread
/// (in-plane Gaussian of `inPlanePSFMM` σ, a soft-tissue kernel's ~1.2 mm FWHM; along z the
/// slice sensitivity profile, σ = thickness / 2.355). The image is blended toward the lesion
/// density by that partial volume — `v + φ·Δ`, Δ = lesion − parenchyma — so the real noise
/// and texture stay (a flat paint would be noiseless and trivially found). The truth mask is
/// the voxels at φ ≥ 0.5, the 50 % partial-volume level where a reader's edge lies.
/// Positions are seeded-random inside the given liver mask (near vessels and the surface
/// included), the whole blurred lesion inside the liver, lesions apart from each other.
public enum LiverLesionInsertion {
    /// Density change range (HU): hypovascular metastases in the portal-venous phase are
    /// 20–60 HU below the enhanced parenchyma.
    public static let contrastRangeHU: ClosedRange<Double> = -60 ... -20
    /// In-plane PSF σ (mm): a soft-tissue reconstruction kernel's FWHM ≈ 1.2 mm.
    public static let inPlanePSFMM = 0.5
    /// Supersampling per voxel axis for the occupancy.
    static let supersampling = 3
    /// Lobulation: wave amplitude as a fraction of the radius (metastases are gently lobulated).
    static let lobulation = 0.12
    /// Gap (mm) kept between two inserted lesions, so each is one finding.
    static let separationMM = 8.0
    /// Placement tries per lesion before it is given up.
    static let maximumTries = 400

    /// The image with `volumesML.count` lesions of about those volumes (mL) inserted inside
    /// `liver` (a mask on the image grid), each `contrastHU` from the parenchyma, the label
    /// volume of their truth masks, and the lesions (fewer when one found no place).
    /// Deterministic in `seed`.
    public static func insert(into image: Volume<Float>, liver: Mask, volumesML: [Double], seed: UInt64,
                              contrastHU: ClosedRange<Double> = contrastRangeHU,
                              sliceThicknessMM: Double? = nil) -> (image: Volume<Float>, labels: Volume<UInt16>, lesions: [InsertedLiverLesion]) {
        precondition(image.dimensions == liver.dimensions, "grid mismatch")
        var out = image
        var labels = Volume<UInt16>(dimensions: image.dimensions, geometry: image.geometry, repeating: 0)
        var lesions: [InsertedLiverLesion] = []
        let depth = DistanceTransform.euclidean(liver)
        var inside: [Int] = []
        for i in 0..<liver.voxels.count where liver.voxels[i] != 0 { inside.append(i) }
        guard !inside.isEmpty else { return (out, labels, []) }
        var g = SplitMix64(state: seed)
        let thickness = sliceThicknessMM ?? image.spacing.slice
        for (n, ml) in volumesML.enumerated() {
            var rng = g.derived(UInt64(n + 1))
            for _ in 0..<maximumTries {
                let i = inside[Int(rng.fraction() * Double(inside.count)) % inside.count]
                let shape = LesionShape.random(&rng, volumeML: ml, at: centre(of: i, in: image))
                let contrast = rng.uniform(contrastHU)
                guard lesions.allSatisfy({ apart($0, shape) }),
                      let placed = shape.partialVolume(on: image.geometry, dimensions: image.dimensions,
                                                       thickness: thickness, psf: inPlanePSFMM),
                      placed.fitsInside(liver) else { continue }
                let label = UInt16(lesions.count + 1)
                let voxels = placed.apply(contrast: contrast, to: &out, labels: &labels, label: label)
                lesions.append(InsertedLiverLesion(label: label, centreMM: shape.centre,
                                                   volumeML: Double(voxels) * image.spacing.voxelVolume / 1000,
                                                   contrastHU: contrast, depthMM: Double(depth.voxels[i])))
                break
            }
            _ = g.next()
        }
        return (out, labels, lesions)
    }

    static func centre(of i: Int, in v: Volume<Float>) -> SIMD3<Double> {
        let d = v.dimensions, s = i / d.sliceSize, r = (i % d.sliceSize) / d.columns, c = i % d.columns
        return v.geometry.point(slice: Double(s), row: Double(r), column: Double(c))
    }

    static func apart(_ a: InsertedLiverLesion, _ b: LesionShape) -> Bool {
        let ra = cbrt(3 * a.volumeML * 1000 / (4 * .pi)), d = a.centreMM - b.centre
        return (d * d).sum().squareRoot() >= ra + b.outerRadius + separationMM
    }
}

/// A lobulated ellipsoid in patient mm.
struct LesionShape: Sendable {
    var centre: SIMD3<Double>
    var sdf: SDF
    /// A radius the lobulated surface never exceeds (mm).
    var outerRadius: Double

    /// Semi-axes 0.8–1.25 of the equal-volume radius in a random orientation, gently lobulated.
    static func random(_ g: inout SplitMix64, volumeML: Double, at centre: SIMD3<Double>) -> LesionShape {
        let r = cbrt(3 * volumeML * 1000 / (4 * .pi))
        var axes = SIMD3(g.uniform(0.8...1.25), g.uniform(0.8...1.25), g.uniform(0.8...1.25))
        axes /= cbrt(axes.x * axes.y * axes.z)
        let radii = axes * r
        let waves = LiverShapes.waves(&g, count: 3, amplitude: LiverLesionInsertion.lobulation * r,
                                      wavelength: (1.5 * r)...(3 * r))
        let sdf = LiverShapes.lobulated(LiverShapes.ellipsoid(centre, radii, frame: .random(&g)), waves)
        return LesionShape(centre: centre, sdf: sdf, outerRadius: radii.max() * (1 + LiverLesionInsertion.lobulation) + 1)
    }

    /// The blurred occupancy over the lesion's box (nil when the box leaves the volume).
    func partialVolume(on geometry: Geometry, dimensions d: Dimensions, thickness: Double, psf: Double) -> PartialVolume? {
        let sp = geometry.spacing, sigmaZ = thickness / 2.355
        let margin = SIMD3(outerRadius + 3 * sigmaZ + sp.slice, outerRadius + 3 * psf + sp.row, outerRadius + 3 * psf + sp.column)
        let c = geometry.index(of: centre)
        let lo = SIMD3(Int((c.slice - margin.x / sp.slice).rounded(.down)), Int((c.row - margin.y / sp.row).rounded(.down)),
                       Int((c.column - margin.z / sp.column).rounded(.down)))
        let hi = SIMD3(Int((c.slice + margin.x / sp.slice).rounded(.up)), Int((c.row + margin.y / sp.row).rounded(.up)),
                       Int((c.column + margin.z / sp.column).rounded(.up)))
        guard lo.x >= 0, lo.y >= 0, lo.z >= 0, hi.x < d.slices, hi.y < d.rows, hi.z < d.columns else { return nil }
        let box = IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
        let bd = box.dimensions, n = LiverLesionInsertion.supersampling
        var occupancy = Volume<Float>(dimensions: bd, geometry: geometry, repeating: 0)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for col in 0..<bd.columns {
                    var k = 0
                    for a in 0..<n {
                        for b in 0..<n {
                            for e in 0..<n {
                                let off = { (i: Int) in (Double(i) + 0.5) / Double(n) - 0.5 }
                                let p = geometry.point(slice: Double(lo.x + s) + off(a), row: Double(lo.y + r) + off(b),
                                                       column: Double(lo.z + col) + off(e))
                                if sdf(p) < 0 { k += 1 }
                            }
                        }
                    }
                    occupancy[s, r, col] = Float(k) / Float(n * n * n)
                }
            }
        }
        let blurred = Gaussian.smooth(occupancy, sigmaSlice: sigmaZ, sigmaRow: psf, sigmaColumn: psf)
        return PartialVolume(box: box, fraction: blurred)
    }
}

/// A lesion's partial-volume fraction over a box of the image grid.
struct PartialVolume: Sendable {
    var box: IndexBox
    var fraction: Volume<Float>
    /// Below this fraction the lesion changes a voxel by < 1 HU: not part of it for the fit.
    static let negligible: Float = 0.02

    /// Whether every voxel the lesion touches is liver.
    func fitsInside(_ liver: Mask) -> Bool {
        let bd = box.dimensions
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for c in 0..<bd.columns where fraction[s, r, c] > Self.negligible {
                    if liver[box.lower.slice + s, box.lower.row + r, box.lower.column + c] == 0 { return false }
                }
            }
        }
        return true
    }

    /// Blends the image toward the lesion density by the fraction and labels the voxels at
    /// ≥ 50 %; returns how many were labelled.
    func apply(contrast: Double, to image: inout Volume<Float>, labels: inout Volume<UInt16>, label: UInt16) -> Int {
        let bd = box.dimensions
        var n = 0
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for c in 0..<bd.columns {
                    let f = fraction[s, r, c]
                    guard f > 0 else { continue }
                    let (gs, gr, gc) = (box.lower.slice + s, box.lower.row + r, box.lower.column + c)
                    image[gs, gr, gc] += Float(contrast) * f
                    if f >= 0.5 { labels[gs, gr, gc] = label; n += 1 }
                }
            }
        }
        return n
    }
}

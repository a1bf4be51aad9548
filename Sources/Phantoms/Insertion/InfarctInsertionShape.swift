import Foundation
import Imaging

extension InfarctInsertion {
    /// Subsamples per voxel edge for the partial-volume raster.
    static let subsamples = 3
    /// Relative amplitude of the surface's lumps.
    static let lumpAmplitude = 0.15

    /// Builds the lesion of `volumeML` at voxel `i`, writes it into the background, or returns nil
    /// when it would touch `avoid` or holds too little tissue.
    static func place(_ kind: Kind, at i: Int, volumeML: Double, into bg: inout Background, rng: inout SplitMix64,
                      bValue: Double) -> Lesion? {
        let d = bg.adc.dimensions, g = bg.adc.geometry, sp = g.spacing
        var centre = SIMD3(Double(i / d.sliceSize), Double(i % d.sliceSize / d.columns), Double(i % d.columns))
        let r0 = pow(volumeML * 1000 * 3 / (4 * Double.pi), 1.0 / 3)
        var axes = SIMD3(exp(rng.uniform(-0.25...0.25)), exp(rng.uniform(-0.25...0.25)), exp(rng.uniform(-0.25...0.25)))
        axes *= r0 / pow(axes.x * axes.y * axes.z, 1.0 / 3)
        let rotation = randomRotation(&rng)
        var waves: [(SIMD3<Double>, Double)] = []
        for _ in 0..<3 {
            waves.append((SIMD3(rng.gaussian(), rng.gaussian(), rng.gaussian()), rng.uniform(0...(2 * Double.pi))))
        }
        var side: Int?
        if kind == .territorial {
            // From the surface point inwards (in-plane, towards the head's middle), so the lesion
            // spans cortex and the white matter under it; one hemisphere only.
            let mid = bg.alongColumns ? SIMD2(Double(d.rows) / 2, bg.midline) : SIMD2(bg.midline, Double(d.columns) / 2)
            var v = SIMD2((mid.x - centre.y) * sp.row, (mid.y - centre.z) * sp.column)
            v /= max(1e-6, (v * v).sum().squareRoot())
            centre.y += v.x * 0.6 * r0 / sp.row
            centre.z += v.y * 0.6 * r0 / sp.column
            side = (bg.alongColumns ? centre.z : centre.y) > bg.midline ? 1 : -1
        }
        // Bounding box in voxels.
        let reach = axes.max() * (1 + lumpAmplitude) + 1
        let lo = SIMD3(max(0, Int(centre.x - reach / sp.slice) - 1), max(0, Int(centre.y - reach / sp.row) - 1),
                       max(0, Int(centre.z - reach / sp.column) - 1))
        let hi = SIMD3(min(d.slices - 1, Int(centre.x + reach / sp.slice) + 1), min(d.rows - 1, Int(centre.y + reach / sp.row) + 1),
                       min(d.columns - 1, Int(centre.z + reach / sp.column) + 1))
        var share = Volume<Float>(dimensions: d, geometry: g, repeating: 0)
        var truth = Mask(dimensions: d, geometry: g, repeating: 0)
        let k = subsamples, step = 1.0 / Double(k)
        var truthVoxels = 0
        for s in lo.x...hi.x { for r in lo.y...hi.y { for c in lo.z...hi.z {
            let j = d.index(s, r, c)
            guard bg.tissue.voxels[j] != 0 else { continue }
            if let side {
                let along = Double(bg.alongColumns ? c : r)
                guard (along > bg.midline ? 1 : -1) == side else { continue }
            }
            var inside = 0
            for a in 0..<k { for b in 0..<k { for e in 0..<k {
                let p = SIMD3((Double(s) + (Double(a) + 0.5) * step - 0.5 - centre.x) * sp.slice,
                              (Double(r) + (Double(b) + 0.5) * step - 0.5 - centre.y) * sp.row,
                              (Double(c) + (Double(e) + 0.5) * step - 0.5 - centre.z) * sp.column)
                let q = rotation.0 * p.x + rotation.1 * p.y + rotation.2 * p.z
                let u = q / axes
                let rho = (u * u).sum().squareRoot()
                let dir = u / max(rho, 1e-9)
                var lump = 0.0
                for (w, phase) in waves { lump += cos(2 * (dir * w).sum() + phase) }
                if rho <= 1 + lumpAmplitude * lump / 3 { inside += 1 }
            } } }
            guard inside > 0 else { continue }
            let tissueShare = min(1, max(0, (3000 - Double(bg.adc.voxels[j])) / (3000 - 900)))
            let f = Double(inside) / Double(k * k * k) * tissueShare
            share.voxels[j] = Float(f)
            if f >= 0.5 {
                // A territory may hold the background's own small lesions; smaller lesions keep clear.
                if kind != .territorial && bg.avoid.voxels[j] != 0 { return nil }
                truth.voxels[j] = 1
                truthVoxels += 1
            }
        } } }
        let voxelML = sp.voxelVolume / 1000
        guard Double(truthVoxels) * voxelML >= 0.5 * volumeML else { return nil }
        // The EPI point spread, in-plane.
        let blurred = Gaussian.smooth(share, sigmaSlice: 0, sigmaRow: 0.5 * sp.row, sigmaColumn: 0.5 * sp.column)
        let lesionADC = rng.uniform(450...700)
        let t2 = rng.uniform(1.0...1.2)
        for j in 0..<blurred.voxels.count where blurred.voxels[j] > 1e-3 && bg.adc.voxels[j] > 0 {
            let f = blurred.voxels[j]
            let base = bg.smoothADC.voxels[j]
            bg.adc.voxels[j] += f * (Float(lesionADC) - base)
            let gain = t2 * exp(bValue * max(0, Double(base) - lesionADC) * 1e-6) - 1
            bg.dwi.voxels[j] += f * Float(gain) * bg.smoothDWI.voxels[j]
        }
        let margin = Morphology.dilate(truth, radius: 2 * marginMM)
        for j in 0..<margin.voxels.count where margin.voxels[j] != 0 { bg.avoid.voxels[j] = 1 }
        return Lesion(kind: kind, truth: truth, volumeML: Double(truthVoxels) * voxelML, adc: lesionADC, t2Factor: t2,
                      centre: SIMD3(Int(centre.x.rounded()), Int(centre.y.rounded()), Int(centre.z.rounded())))
    }

    /// A random rotation: Gram–Schmidt on three Gaussian vectors (its rows).
    static func randomRotation(_ rng: inout SplitMix64) -> (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
        func g() -> SIMD3<Double> { SIMD3(rng.gaussian(), rng.gaussian(), rng.gaussian()) }
        func unit(_ v: SIMD3<Double>) -> SIMD3<Double> { v / max(1e-12, (v * v).sum().squareRoot()) }
        let a = unit(g())
        var b = g()
        b = unit(b - (b * a).sum() * a)
        let c = SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
        // Columns of the rotation matrix: q = R p with R's columns a, b, c.
        return (SIMD3(a.x, b.x, c.x), SIMD3(a.y, b.y, c.y), SIMD3(a.z, b.z, c.z))
    }
}

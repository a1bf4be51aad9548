import Analysis
import Foundation
import Imaging

/// A synthetic chest CT (HU) with lung nodules of known truth, for tuning and scoring the lung
/// nodule analyzer.
///
/// Anatomy (all drawn from the seed): body wall (fat −100, muscle 45), twelve ribs a side
/// (cortical 750 around marrow 230), sternum, spine (vertebral bodies 650/230 with discs 85,
/// arch and canal), mediastinum (fat −90) with heart and great vessels (40), liver and upper
/// abdomen below paraboloid diaphragm domes (right higher), sometimes a gastric air bubble,
/// the couch, trachea and main bronchi (air, 20 HU walls) branching into bronchial trees, lung
/// parenchyma (−875…−840 HU with a posterior density gradient) holding arterial and venous trees
/// (blood 40 HU, radii tapering ≈ 6.5 → 0.5 mm by Murray's law), then 3–12 nodules: solid
/// (−20…60 HU; some lobulated, some spiculated, some juxtapleural, some touching a vessel),
/// ground-glass (−750…−500 HU) and part-solid (ground glass with a solid core), 3–30 mm, never
/// overlapping. Partial volume everywhere, then correlated noise (SD 10–40 HU, correlation
/// 0.5–1 mm), rounded to integer HU.
///
/// Grid: `size` × `size` in-plane with a field of view fixed by the seed (0.6–0.9 mm pixels
/// at 512, the same anatomy coarser at smaller sizes); slice spacing drawn at 512 from
/// 0.625–5 mm (mostly thin) and scaled by 512/size for smaller sizes, clamped to ≤ 5 mm;
/// slices cover 280–320 mm (about 300 slices at 1 mm). Axial LPS, head first: columns along
/// +x, rows along +y, slices along +z with slice 0 the most inferior, centred on the body.
public enum LungPhantom {
    /// Provisional labels of lung voxels while drawing (cleared in the final truth).
    static let rightLungLabel: UInt16 = 65000
    static let leftLungLabel: UInt16 = 65001

    /// The phantom for `seed` with `size` × `size` slices.
    public static func make(seed: UInt64, size: Int = 512) -> Phantom {
        precondition(size >= 32, "size too small for a chest")
        let m = ChestModel(seed: seed, size: size)
        var canvas = PhantomCanvas(dimensions: m.dimensions, geometry: m.geometry, background: -1000)
        ChestRaster.render(m, into: &canvas)
        let structures = ChestStructures.paint(m, seed: seed, on: &canvas)
        let nodules = NodulePlanner.plan(m, structures: structures, seed: seed)
        for (i, n) in nodules.enumerated() { n.paint(label: UInt16(i + 1), model: m, on: &canvas) }

        var g = SplitMix64(state: seed).derived(40)
        let noise = g.uniform(10...40), correlation = g.uniform(0.5...1.0)
        canvas.addCorrelatedNoise(sd: noise, correlationMM: correlation, seed: g.next())
        finish(&canvas, nodules: nodules.count)

        let lesions = truth(nodules, model: m, labels: &canvas.labels)
        let kernel = noise > 28 ? "B70f" : (noise > 18 ? "B60f" : "B45f")
        let info = SeriesInfo(modality: "CT", bodyPart: "CHEST",
                              seriesDescription: "CHEST \(formatted(m.sliceSpacing)) \(kernel)",
                              sliceThicknessMM: m.sliceSpacing, imageType: ["ORIGINAL", "PRIMARY", "AXIAL"],
                              units: "HU")
        return Phantom(kind: .lung, seed: seed, series: [PhantomSeries(role: .image, info: info, volume: canvas.intensity)],
                       labels: canvas.labels, lesions: lesions, name: "Lung phantom \(seed)")
    }

    /// The drawing label at the voxel nearest `p` (0 outside the grid).
    static func label(at p: SIMD3<Double>, in canvas: PhantomCanvas) -> UInt16 {
        let i = canvas.geometry.index(of: p)
        let s = Int(i.slice.rounded()), r = Int(i.row.rounded()), c = Int(i.column.rounded())
        guard canvas.dimensions.contains(s, r, c) else { return 0 }
        return canvas.labels[s, r, c]
    }

    /// Integer HU in the scanner's range; lung labels cleared (only nodules 1…n remain).
    static func finish(_ canvas: inout PhantomCanvas, nodules: Int) {
        let n = UInt16(nodules)
        canvas.intensity.voxels.withUnsafeMutableBufferPointer { iv in
            canvas.labels.voxels.withUnsafeMutableBufferPointer { lv in
                let ib = UnsafeSendableBuffer(iv.baseAddress!), lb = UnsafeSendableBuffer(lv.baseAddress!)
                Parallelism.forEachChunk(iv.count, minimumChunk: 1 << 16) { range in
                    for i in range {
                        ib[i] = min(3071, max(-1024, ib[i].rounded()))
                        if lb[i] > n { lb[i] = 0 }
                    }
                }
            }
        }
    }

    /// Truth records from the final labels: volume, equivalent diameter, centroid, site. A nodule
    /// too small to cover half of any voxel (3 mm on 5 mm slices) gets the voxel at its centre.
    static func truth(_ nodules: [NoduleDesign], model m: ChestModel, labels: inout Volume<UInt16>) -> [TruthLesion] {
        let count = nodules.count
        var n = [Int](repeating: 0, count: count + 1)
        var sum = [SIMD3<Double>](repeating: .zero, count: count + 1)
        let d = labels.dimensions
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                for c in 0..<d.columns {
                    let l = Int(labels.voxels[base + c])
                    if l > 0 {
                        n[l] += 1
                        sum[l] += SIMD3(Double(s), Double(r), Double(c))
                    }
                }
            }
        }
        for (i, nd) in nodules.enumerated() where n[i + 1] == 0 {
            let x = labels.geometry.index(of: nd.center)
            let v = SIMD3(Double(Int(x.slice.rounded())), Double(Int(x.row.rounded())), Double(Int(x.column.rounded())))
            guard d.contains(Int(v.x), Int(v.y), Int(v.z)), labels[Int(v.x), Int(v.y), Int(v.z)] == 0 else { continue }
            labels[Int(v.x), Int(v.y), Int(v.z)] = UInt16(i + 1)
            n[i + 1] = 1
            sum[i + 1] = v
        }
        let voxel = labels.geometry.spacing.voxelVolume
        return nodules.enumerated().map { i, nd in
            let l = i + 1
            let mean = n[l] > 0 ? sum[l] / Double(n[l]) : .zero
            let centre = n[l] > 0 ? labels.geometry.point(slice: mean.x, row: mean.y, column: mean.z) : nd.center
            let volume = Double(n[l]) * voxel
            let third = (m.zApex - m.zBase) / 3
            let zone = centre.z > m.zApex - third ? "upper" : (centre.z > m.zBase + third ? "middle" : "lower")
            let side = nd.center.x < 0 ? "right" : "left"
            return TruthLesion(label: l, type: nd.kind.rawValue, centerMM: [centre.x, centre.y, centre.z],
                               diametersMM: nd.diameters, diameterMM: Foundation.pow(6 * volume / Double.pi, 1.0 / 3.0),
                               volumeML: volume / 1000, target: true,
                               site: "\(side) \(zone) zone" + (nd.juxtapleural ? ", juxtapleural" : ""))
        }
    }

    static func formatted(_ v: Double) -> String {
        let s = String(format: "%.3f", v)
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t += "0" }
        return String(t)
    }
}

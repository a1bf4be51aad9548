import Foundation
import Imaging

/// Renders the infarct phantom's three maps and its truth labels on one grid: tissue
/// partial-volume fractions times each tissue's value; near the lesion, the voxel average of
/// the lesion profiles (2 × 2 samples in-plane, one per ≤ 1.25 mm along the slice), in one
/// pass; then correlated noise (`PhantomCanvas.addCorrelatedNoise`).
struct InfarctRender: Sendable {
    /// Normal values of CSF, grey and white matter in one map.
    typealias Tissues = (csf: Double, grey: Double, white: Double)

    let anatomy: BrainAnatomy
    /// nil: the brain without a lesion.
    let lesion: InfarctLesion?
    let dimensions: Dimensions
    let geometry: Geometry
    let weights: (csf: [Float], grey: [Float], white: [Float])

    /// Noise-free ADC, rCBF and Tmax, and labels (1 core, 2 hypoperfused), with the
    /// contralateral mean rCBF M the core's flow is relative to.
    func render(adc: Tissues, flow: Tissues, tmax: Tissues)
        -> (adc: [Float], flow: [Float], tmax: [Float], labels: [UInt16], mean: Double)
    {
        let d = dimensions, g = geometry, w = weights
        // Without a lesion the contralateral mean is still that of one side (right).
        let side = lesion?.side ?? 1
        var a = [Float](repeating: 0, count: d.count), f = a, t = a
        var contra: [Float] = []
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let i = d.index(s, r, c)
                    let (wc, wg, ww) = (Double(w.csf[i]), Double(w.grey[i]), Double(w.white[i]))
                    a[i] = Float(wc * adc.csf + wg * adc.grey + ww * adc.white)
                    f[i] = Float(wc * flow.csf + wg * flow.grey + ww * flow.white)
                    t[i] = Float(wc * tmax.csf + wg * tmax.grey + ww * tmax.white)
                    if wc + wg + ww > 0 && side * anatomy.local(g.point(slice: Double(s), row: Double(r), column: Double(c))).x < 0 {
                        contra.append(f[i])
                    }
                }
            }
        }
        let mean = Self.tissueMean(contra)
        var labels = [UInt16](repeating: 0, count: d.count)
        guard let les = lesion else { return (a, f, t, labels, mean) }
        let box = lesionBox(les)
        let sp = g.spacing
        let near = 1.3 * 0.5 * (sp.slice * sp.slice + sp.row * sp.row + sp.column * sp.column).squareRoot()
        let nz = max(2, Int((sp.slice / 1.25).rounded(.up)))
        var o: [SIMD3<Double>] = []
        for z in 0..<nz {
            for y in 0..<2 {
                for x in 0..<2 {
                    o.append(SIMD3((Double(z) + 0.5) / Double(nz) - 0.5, Double(y) / 2 - 0.25, Double(x) / 2 - 0.25))
                }
            }
        }
        let offsets = o
        let anat = anatomy
        let reach = (core: max(les.rimWidth + 1.5, InfarctLesion.flat + 2.5) + near, hypo: les.transitionWidth + 3 + near)
        a.withUnsafeMutableBufferPointer { ab in
            f.withUnsafeMutableBufferPointer { fb in
                t.withUnsafeMutableBufferPointer { tb in
                    labels.withUnsafeMutableBufferPointer { lb in
                        let (ao, fo, to, lo) = (UnsafeSendableBuffer(ab.baseAddress!), UnsafeSendableBuffer(fb.baseAddress!),
                                                UnsafeSendableBuffer(tb.baseAddress!), UnsafeSendableBuffer(lb.baseAddress!))
                        Parallelism.forEachChunk(box.hi.x - box.lo.x + 1) { chunk in
                            for s in (box.lo.x + chunk.lowerBound)..<(box.lo.x + chunk.upperBound) {
                                for r in box.lo.y...box.hi.y {
                                    for c in box.lo.z...box.hi.z {
                                        let q0 = anat.local(g.point(slice: Double(s), row: Double(r), column: Double(c)))
                                        let dc0 = les.coreDistance(q0)
                                        if dc0 > reach.core && les.hypoDistance(q0, core: dc0) > reach.hypo { continue }
                                        var sums = SIMD8<Double>()
                                        var core = 0, hypo = 0, sumCore = 0.0, sumHypo = 0.0
                                        for o in offsets {
                                            let q = anat.local(g.point(slice: Double(s) + o.x, row: Double(r) + o.y,
                                                                       column: Double(c) + o.z))
                                            let dc = les.coreDistance(q), dh = les.hypoDistance(q, core: dc)
                                            if dc < 0 { core += 1 }
                                            if dh < 0 { hypo += 1 }
                                            sumCore += dc
                                            sumHypo += dh
                                            sums[0] += les.adc(q, dc, base: adc.grey)
                                            sums[1] += les.adc(q, dc, base: adc.white)
                                            sums[2] += les.flow(q, dc, dh, base: flow.grey, mean: mean)
                                            sums[3] += les.flow(q, dc, dh, base: flow.white, mean: mean)
                                            sums[4] += les.tmax(q, dh, base: tmax.grey)
                                            sums[5] += les.tmax(q, dh, base: tmax.white)
                                        }
                                        let i = d.index(s, r, c), k = Double(offsets.count)
                                        let (wc, wg, ww) = (Double(w.csf[i]), Double(w.grey[i]), Double(w.white[i]))
                                        guard wg + ww > 0 else { continue }
                                        ao[i] = Float(wc * adc.csf + (wg * sums[0] + ww * sums[1]) / k)
                                        fo[i] = Float(wc * flow.csf + (wg * sums[2] + ww * sums[3]) / k)
                                        to[i] = Float(wc * tmax.csf + (wg * sums[4] + ww * sums[5]) / k)
                                        // More than half of the samples inside; exactly half (common with the
                                        // even sample counts, e.g. a surface across a slice) goes by the samples'
                                        // mean distance, as the odd-symmetric profiles do.
                                        let n = offsets.count
                                        let inCore = 2 * core > n || (2 * core == n && sumCore < 0)
                                        let inHypo = 2 * hypo > n || (2 * hypo == n && sumHypo < 0)
                                        lo[i] = inCore ? 1 : (inHypo ? 2 : 0)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (a, f, t, labels, mean)
    }

    /// M: the mean of the voxels at or above half their median (CSF left out) — how
    /// `InfarctCore` measures the contralateral hemisphere.
    static func tissueMean(_ values: [Float]) -> Double {
        guard !values.isEmpty else { return 0 }
        let floor = 0.5 * values.sorted()[values.count / 2]
        var sum = 0.0, n = 0
        for v in values where v >= floor {
            sum += Double(v)
            n += 1
        }
        return sum / Double(max(1, n))
    }

    /// Index box of the voxels the lesion can change.
    func lesionBox(_ lesion: InfarctLesion) -> (lo: SIMD3<Int>, hi: SIMD3<Int>) {
        let (lo, hi) = lesion.influenceBox
        var ilo = SIMD3<Double>(repeating: .infinity), ihi = SIMD3<Double>(repeating: -.infinity)
        for k in 0..<8 {
            let q = SIMD3(k & 1 == 0 ? lo.x : hi.x, k & 2 == 0 ? lo.y : hi.y, k & 4 == 0 ? lo.z : hi.z)
            let i = geometry.index(of: anatomy.patient(q))
            ilo = pointwiseMin(ilo, SIMD3(i.slice, i.row, i.column))
            ihi = pointwiseMax(ihi, SIMD3(i.slice, i.row, i.column))
        }
        let upper = SIMD3(dimensions.slices - 1, dimensions.rows - 1, dimensions.columns - 1)
        return (pointwiseMax(SIMD3(repeating: 0), SIMD3<Int>(ilo.rounded(.down))),
                pointwiseMin(upper, SIMD3<Int>(ihi.rounded(.up))))
    }

    /// `voxels` plus noise of `sd` correlated over `correlationMM` where positive, clamped at 0.
    func noisy(_ voxels: [Float], sd: Double, correlationMM: Double, seed: UInt64) -> Volume<Float> {
        var canvas = PhantomCanvas(dimensions: dimensions, geometry: geometry, background: 0)
        canvas.intensity.voxels = voxels
        canvas.addCorrelatedNoise(sd: sd, correlationMM: correlationMM, seed: seed) { $0 > 0 }
        return canvas.intensity.map { max(0, $0) }
    }
}

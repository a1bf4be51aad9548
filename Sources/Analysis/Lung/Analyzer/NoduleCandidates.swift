import Foundation
import Imaging
import Synchronization

/// A place that looks like a nodule to the blob filter.
struct NoduleCandidate: Sendable {
    /// Patient mm.
    var position: SIMD3<Double>
    /// Multi-scale Li–Sone–Doi dot response (σ²-normalised, on the clamped image).
    var response: Float
    /// Scale (mm) of the strongest response.
    var sigma: Double
    /// Response relative to its channel's threshold (≥ 1).
    var score: Float
    /// "solid" or "ground-glass" channel.
    var channel: String
}

/// Candidate detection (DESIGN §8: multi-scale Hessian blob enhancement), in two channels:
/// 1. the coarse volume cropped to the lungs' box; slices thicker than 2 mm are interpolated to
///    ≤ 1.4 mm so the Hessian sees the blob across slices; outside the lungs the image is set to
///    the lungs' median, so a juxtapleural nodule (inside the closed lung mask) becomes a
///    free-standing dome rather than a bump on the wall;
/// 2. solid channel: HU clamped to [−1000, −350] (solid nodules, vessels and walls become
///    plateaus of equal height), Li–Sone–Doi dot filter at σ = 1, 1.4, 2, 2.8, 4 mm, response
///    ≥ 25;
/// 3. ground-glass channel: HU clamped to [−1000, −650] on a grid twice as coarse in-plane (a
///    ground-glass nodule of −750…−500 HU is then nearly as bright as a vessel), σ = 2.8, 4,
///    5.6 mm (nodules of 6–30 mm), response ≥ 7: a faint nodule of −750…−700 HU (120–170 HU
///    above the parenchyma, half the channel's plateau height) reaches only 8–12 at 9–12 mm, so
///    the threshold admits it and leaves subsolid false positives to segmentation;
/// 4. local maxima (26-neighbourhood) inside the lungs, the maximum over scales kept with its
///    scale; each channel's strongest first, interleaved by response relative to its threshold.
enum NoduleCandidates {
    struct Channel: Sendable {
        var name: String
        var clampTop: Float
        var sigmas: [Double]
        var threshold: Float
        /// In-plane block size of the channel's grid relative to the coarse grid.
        var shrink: Int
        /// Most candidates taken from this channel.
        var limit: Int
    }

    static let solid = Channel(name: "solid", clampTop: -350, sigmas: [1.0, 1.4, 2.0, 2.8, 4.0], threshold: 25, shrink: 1, limit: 300)
    static let groundGlass = Channel(name: "ground-glass", clampTop: -650, sigmas: [2.8, 4.0, 5.6], threshold: 7, shrink: 2, limit: 120)
    struct Detection: Sendable {
        var candidates: [NoduleCandidate]
        /// The lungs on the detection grid (for distances to the pleura).
        var lungs: Volume<UInt8>
    }

    static func detect(coarse: Volume<Float>, lungs: Volume<UInt8>) -> Detection? {
        guard let all = unionBox(lungs, pad: 4) else { return nil }
        var v = cropFloat(coarse, all)
        var m = LungMask.crop(lungs, all) { $0 }
        if v.spacing.slice > 2 {
            let sz = v.spacing.slice / (v.spacing.slice / 1.4).rounded(.up)
            let fine = Resample.trilinear(v, spacing: Spacing(slice: sz, row: v.spacing.row, column: v.spacing.column),
                                          outside: -1000)
            let d = fine.dimensions, coarseSlice = v.spacing.slice, old = m
            // Each fine slice takes the nearest coarse slice's mask.
            m = LungMask.bySlices(d, fine.geometry) { i in
                let s = i / d.sliceSize, r = (i % d.sliceSize) / d.columns, c = i % d.columns
                return old[min(old.dimensions.slices - 1, Int((Double(s) * sz / coarseSlice).rounded())), r, c]
            }
            v = fine
        }
        // Lung median (parenchyma) for the outside.
        let median = Float(percentile(lungHistogram(v, m), 0.5) - 1000)
        let filled = fill(v, m, with: median)
        var found: [NoduleCandidate] = []
        for channel in [solid, groundGlass] {
            let image = channel.shrink > 1 ? CoarseGrid(filled, factor: SIMD3(1, channel.shrink, channel.shrink)).volume : filled
            let pre = clamp(image, top: channel.clampTop)
            let list = maxima(pre, channel: channel, lungs: m)
            found += list.prefix(channel.limit)
        }
        found.sort { $0.score > $1.score }
        return Detection(candidates: found, lungs: m)
    }

    /// Counts of lung voxels per 1 HU bin over −1000…100 HU (values clamped into it), slices in parallel.
    static func lungHistogram(_ v: Volume<Float>, _ m: Mask) -> [Int] {
        let total = Mutex([Int](repeating: 0, count: 1101))
        let d = v.dimensions
        v.voxels.withUnsafeBufferPointer { vp in
            m.voxels.withUnsafeBufferPointer { mp in
                let x = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: vp.baseAddress!))
                let l = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: mp.baseAddress!))
                Parallelism.forEachChunk(d.slices) { chunk in
                    var hist = [Int](repeating: 0, count: 1101)
                    for i in (chunk.lowerBound * d.sliceSize)..<(chunk.upperBound * d.sliceSize) where l[i] != 0 {
                        hist[Int(min(100, max(-1000, x[i])) + 1000)] += 1
                    }
                    total.withLock { t in for k in 0..<t.count { t[k] += hist[k] } }
                }
            }
        }
        return total.withLock { $0 }
    }

    /// `v` inside the lungs, `value` elsewhere.
    static func fill(_ v: Volume<Float>, _ m: Mask, with value: Float) -> Volume<Float> {
        map(v) { x, i in m.voxels[i] != 0 ? x : value }
    }

    /// HU clamped to [−1000, `top`].
    static func clamp(_ v: Volume<Float>, top: Float) -> Volume<Float> {
        map(v) { x, _ in min(top, max(-1000, x)) }
    }

    /// `f(voxel, index)` for every voxel, slices in parallel.
    @inline(__always)
    static func map(_ v: Volume<Float>, _ f: @Sendable (Float, Int) -> Float) -> Volume<Float> {
        let d = v.dimensions
        var out = [Float](repeating: 0, count: d.count)
        v.voxels.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { op in
                let x = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: vp.baseAddress!))
                let o = UnsafeSendableBuffer(op.baseAddress!)
                Parallelism.forEachChunk(d.slices) { chunk in
                    for i in (chunk.lowerBound * d.sliceSize)..<(chunk.upperBound * d.sliceSize) { o[i] = f(x[i], i) }
                }
            }
        }
        return Volume(dimensions: d, geometry: v.geometry, voxels: out)
    }

    /// Local maxima of the channel's multi-scale dot response in the lungs (`lungs` on the
    /// channel's grid before shrinking), strongest first. Slices are scanned in parallel and
    /// their maxima concatenated in raster order, so the sort sees the serial order.
    static func maxima(_ pre: Volume<Float>, channel: Channel, lungs m: Mask) -> [NoduleCandidate] {
        let d = pre.dimensions
        let (bestVolume, scale) = Objectness.dotStrongest(pre, sigmas: channel.sigmas, floor: channel.threshold)
        let best = bestVolume.voxels
        let k = channel.shrink, md = m.dimensions
        var perSlice = [[NoduleCandidate]](repeating: [], count: d.slices)
        perSlice.withUnsafeMutableBufferPointer { out in
            let o = UnsafeSendableBuffer(out.baseAddress!)
            best.withUnsafeBufferPointer { bp in
                let b = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: bp.baseAddress!))
                Parallelism.forEachChunk(d.slices) { chunk in
                    for s in chunk {
                        var list: [NoduleCandidate] = []
                        for r in 0..<d.rows {
                            for c in 0..<d.columns {
                                let i = d.index(s, r, c)
                                guard b[i] >= channel.threshold,
                                      m[s, min(md.rows - 1, r * k + k / 2), min(md.columns - 1, c * k + k / 2)] != 0,
                                      isMaximum(b.base, d, s, r, c) else { continue }
                                list.append(NoduleCandidate(position: pre.geometry.point(slice: Double(s), row: Double(r), column: Double(c)),
                                                            response: b[i], sigma: channel.sigmas[Int(scale[i])],
                                                            score: b[i] / channel.threshold, channel: channel.name))
                            }
                        }
                        o[s] = list
                    }
                }
            }
        }
        return perSlice.flatMap { $0 }.sorted { $0.response > $1.response }
    }

    /// Strict maximum over earlier neighbours, ≥ later ones (one voxel per plateau).
    static func isMaximum(_ v: UnsafePointer<Float>, _ d: Dimensions, _ s: Int, _ r: Int, _ c: Int) -> Bool {
        let i = d.index(s, r, c), x = v[i]
        for ds in -1...1 {
            for dr in -1...1 {
                for dc in -1...1 where ds != 0 || dr != 0 || dc != 0 {
                    guard d.contains(s + ds, r + dr, c + dc) else { continue }
                    let j = d.index(s + ds, r + dr, c + dc)
                    if j < i ? v[j] >= x : v[j] > x { return false }
                }
            }
        }
        return true
    }

    static func percentile(_ hist: [Int], _ q: Double) -> Int {
        let total = hist.reduce(0, +)
        var acc = 0
        for (i, n) in hist.enumerated() {
            acc += n
            if Double(acc) >= q * Double(total) { return i }
        }
        return hist.count - 1
    }

    static func unionBox(_ labels: Volume<UInt8>, pad: Double) -> IndexBox? {
        let a = LungMask.boundingBox(labels, value: 1, pad: pad), b = LungMask.boundingBox(labels, value: 2, pad: pad)
        guard let x = a ?? b else { return nil }
        let y = b ?? x
        return IndexBox(lower: .init(slice: min(x.lower.slice, y.lower.slice), row: min(x.lower.row, y.lower.row),
                                     column: min(x.lower.column, y.lower.column)),
                        upper: .init(slice: max(x.upper.slice, y.upper.slice), row: max(x.upper.row, y.upper.row),
                                     column: max(x.upper.column, y.upper.column)))
    }

    static func cropFloat(_ v: Volume<Float>, _ box: IndexBox) -> Volume<Float> {
        let bd = box.dimensions, d = v.dimensions
        var g = v.geometry
        g.origin = v.geometry.point(slice: Double(box.lower.slice), row: Double(box.lower.row), column: Double(box.lower.column))
        var out = [Float](repeating: 0, count: bd.count)
        v.voxels.withUnsafeBufferPointer { from in
            out.withUnsafeMutableBufferPointer { to in
                for s in 0..<bd.slices {
                    for r in 0..<bd.rows {
                        let src = d.index(s + box.lower.slice, r + box.lower.row, box.lower.column), dst = bd.index(s, r, 0)
                        (to.baseAddress! + dst).update(from: from.baseAddress! + src, count: bd.columns)
                    }
                }
            }
        }
        return Volume(dimensions: bd, geometry: g, voxels: out)
    }
}

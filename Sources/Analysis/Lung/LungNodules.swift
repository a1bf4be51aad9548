import Dispatch
import Foundation
import Imaging
import Synchronization

/// Lung nodule analyzer for chest CT (DESIGN §8), classical and explainable:
///
/// 1. **resample**: block means to about 1.4 mm (`CoarseGrid`);
/// 2. **lung mask**: air threshold, outside-air removal, gas (bowel, stomach: median at or below
///    the −950 HU emphysema threshold) out, airway removal, hole filling and a 15 mm
///    rolling-ball closing per lung (`LungMask`);
/// 3. **candidates**: multi-scale Li–Sone–Doi dot filter on the clamped lungs (`NoduleCandidates`),
///    then domes of soft tissue on the mediastinal boundary (`MediastinalCandidates`);
/// 4. **segmentation**: per candidate, at full resolution in a small box: adaptive threshold from
///    the radial profile, region growing inside the lung, vessel separation by opening, tube
///    check (`NoduleSegmenter`);
/// 5. **measurements**: volume, diameters, HU, sphericity, distance to the pleura, category,
///    side and zone, Lung-RADS v2022 size category, confidence and reason (`NoduleReport`).
///
/// Refuses: modality other than CT; slices (spacing or thickness) over 5 mm; fewer than 20 slices
/// or under 150 mm covered (not a chest); no lungs (under 300 mL of aerated lung: air inside the
/// body that is not pure gas, see `LungMask`).
public struct LungNodules: Analyzer {
    public static let kind: AnalyzerKind = .lung
    public static let version = "1.6.0"
    /// Least aerated lung (mL) to analyze: both lung bases on a scan reaching a few centimetres
    /// above the diaphragm hold more; gas pockets that pass the density test hold less.
    static let minimumLungML = 300.0
    /// At most this many candidates are segmented (strongest first).
    static let maxCandidates = 420

    /// A lung nodule analyzer with its fixed settings.
    public init() {}

    /// Finds and measures lung nodules; throws `AnalysisError.refused` for series it cannot handle.
    public func analyze(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult {
        guard let series = input.series(.image) ?? input.series.first else { throw .refused("no image series") }
        try Self.check(series)
        let v = series.volume
        var clock = StageClock()
        let coarse = clock.stage("resample") { CoarseGrid(v, target: 1.4) }
        guard let lungs = clock.stage("lung mask", { LungMask.segment(coarse.volume) }) else {
            throw .refused("no lungs: 0 mL aerated lung above the diaphragm")
        }
        let lungML = lungs.volumeML.reduce(0, +)
        guard lungML >= Self.minimumLungML else {
            throw .refused("no lungs: \(Int(lungML.rounded())) mL aerated lung above the diaphragm (need \(Int(Self.minimumLungML)) mL)")
        }
        let detection = clock.stage("candidates") { NoduleCandidates.detect(coarse: coarse.volume, lungs: lungs.labels) }
        let hulls = LungHulls(lungs.labels)
        let candidates = clock.stage("mediastinal candidates") {
            MediastinalCandidates.appended(detection?.candidates ?? [], coarse: coarse.volume, lungs: lungs.labels, hulls: hulls,
                                           limit: Self.maxCandidates)
        }
        let (nodules, rejected) = clock.stage("segmentation") {
            Self.segment(candidates, volume: v, lungs: lungs.labels, hulls: hulls, factor: coarse.factor)
        }
        let findings = clock.stage("measurements") { () -> [Finding] in
            guard let detection else { return [] }
            let inLung = LungMask.bySlices(detection.lungs.dimensions, detection.lungs.geometry) { i in
                detection.lungs.voxels[i] != 0 ? 1 : 0
            }
            let pleura = DistanceTransform.euclidean(inLung)
            return nodules.enumerated().map { i, n in
                NoduleReport.finding(n, number: i + 1, grid: v.dimensions, lungs: lungs,
                                     pleuraDistance: Self.pleuraDistance(n, pleura: pleura, geometry: v.geometry))
            }
        }
        let organ = clock.stage("organ mask") { Self.organMask(lungs.labels, coarse: coarse, grid: v.dimensions) }
        var notes = lungs.notes
        notes.append("\(candidates.count) candidates, \(min(candidates.count, Self.maxCandidates)) examined, "
            + "\(nodules.count) nodules, \(rejected) rejected")
        return AnalysisResult(analyzer: .lung, version: Self.version, seriesInstanceUID: series.info.seriesInstanceUID,
                              geometry: v.geometry, dimensions: v.dimensions, organName: "lung", organ: organ,
                              findings: findings,
                              caseMeasurements: [Measurement(.lungVolume, lungML, "mL"),
                                                 Measurement(.rightLungVolume, lungs.volumeML[0], "mL"),
                                                 Measurement(.leftLungVolume, lungs.volumeML[1], "mL")],
                              timings: clock.timings, notes: notes)
    }

    /// The refusal rules on the series itself.
    static func check(_ s: InputSeries) throws(AnalysisError) {
        let modality = s.info.modality.uppercased()
        guard modality == "CT" else { throw .refused("modality \(modality.isEmpty ? "unknown" : modality) is not CT") }
        let v = s.volume, sz = v.spacing.slice
        if sz > 5 + 1e-6 { throw .refused("slice spacing \(String(format: "%.2f", sz)) mm is over 5 mm") }
        if let t = s.info.sliceThicknessMM, t > 5 + 1e-6 {
            throw .refused("slice thickness \(String(format: "%.2f", t)) mm is over 5 mm")
        }
        let extent = Double(max(0, v.dimensions.slices - 1)) * sz
        if v.dimensions.slices < 20 || extent < 150 {
            throw .refused("\(v.dimensions.slices) slices covering \(Int(extent.rounded())) mm: too few for a chest (need 20 slices and 150 mm)")
        }
    }

    /// Segments candidates strongest first, skipping those inside a nodule already found or near
    /// one already rejected; returns the nodules and the number rejected.
    ///
    /// Each candidate's segmentation depends only on the image, so candidates are segmented in
    /// parallel, each thread taking the next one in order (unless what is committed so far
    /// already skips it), and the outcomes are committed in order exactly as a serial loop would
    /// take them: a candidate that an earlier one still in flight skips is discarded, and one
    /// skipped when taken but not by the serial state (a nodule replaced by a larger one) is
    /// segmented then. The result is the serial result whatever the thread count. (Before, fixed
    /// batches of 4 × threads waited for their slowest candidate.)
    static func segment(_ candidates: [NoduleCandidate], volume: Volume<Float>, lungs: Volume<UInt8>, hulls: LungHulls,
                        factor: SIMD3<Int>) -> ([SegmentedNodule], Int) {
        let list = Array(candidates.prefix(maxCandidates)), n = list.count
        let state = Mutex(SegmentationState(count: n))
        // Each candidate on one thread: its box's kernels are small, the threads busy with others.
        @Sendable func segmentOne(_ j: Int) -> SegmentOutcome {
            Parallelism.inline { NoduleSegmenter.segment(list[j], volume: volume, lungs: lungs, factor: factor, hulls: hulls) }
        }
        let threads = NoduleSegmenter.debug ? 1 : max(1, min(Parallelism.threads, n))
        let work: @Sendable (Int) -> Void = { _ in
            while true {
                let taken: (Int, Bool)? = state.withLock { s in
                    guard s.next < n else { return nil }
                    s.next += 1
                    return (s.next - 1, s.skipped(list[s.next - 1], geometry: volume.geometry))
                }
                guard let (j, skip) = taken else { return }
                let outcome = skip ? nil : segmentOne(j)
                state.withLock { s in
                    s.ready[j] = outcome
                    s.done[j] = true
                    while s.committed < n && s.done[s.committed] {
                        let k = s.committed
                        s.commit(list[k], outcome: s.ready[k], geometry: volume.geometry) { segmentOne(k) }
                        s.ready[k] = nil
                        s.committed += 1
                    }
                }
            }
        }
        if threads > 1 { DispatchQueue.concurrentPerform(iterations: threads, execute: work) } else { work(0) }
        return state.withLock { ($0.nodules, $0.rejected) }
    }

    /// Overlap of two nodules as a fraction of the smaller.
    static func overlap(_ a: SegmentedNodule, _ b: SegmentedNodule) -> Double {
        var shared = 0
        let ab = a.box, bb = b.box
        let lo = SIMD3(max(ab.lower.slice, bb.lower.slice), max(ab.lower.row, bb.lower.row), max(ab.lower.column, bb.lower.column))
        let hi = SIMD3(min(ab.upper.slice, bb.upper.slice), min(ab.upper.row, bb.upper.row), min(ab.upper.column, bb.upper.column))
        guard lo.x <= hi.x, lo.y <= hi.y, lo.z <= hi.z else { return 0 }
        for s in lo.x...hi.x {
            for r in lo.y...hi.y {
                for c in lo.z...hi.z where a.mask[s - ab.lower.slice, r - ab.lower.row, c - ab.lower.column] != 0
                    && b.mask[s - bb.lower.slice, r - bb.lower.row, c - bb.lower.column] != 0 {
                    shared += 1
                }
            }
        }
        return Double(shared) / Double(max(1, min(a.properties.voxelCount, b.properties.voxelCount)))
    }

    /// Smallest distance (mm) from the nodule's voxels to outside the lungs.
    static func pleuraDistance(_ n: SegmentedNodule, pleura: Volume<Float>, geometry g: Geometry) -> Double {
        let d = n.mask.dimensions, pd = pleura.dimensions, pg = pleura.geometry
        var best = Float.infinity
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where n.mask[s, r, c] != 0 {
                    let x = pg.index(of: g.point(slice: Double(s + n.box.lower.slice), row: Double(r + n.box.lower.row),
                                                 column: Double(c + n.box.lower.column)))
                    let a = Int(x.slice.rounded()), b = Int(x.row.rounded()), e = Int(x.column.rounded())
                    best = min(best, pd.contains(a, b, e) ? pleura[a, b, e] : 0)
                }
            }
        }
        let half = 0.5 * min(pg.spacing.row, pg.spacing.column)
        return max(0, Double(best) - half)
    }

    /// The lungs on the full grid (nearest coarse voxel), as a mask over their bounding box.
    static func organMask(_ labels: Volume<UInt8>, coarse: CoarseGrid, grid: Dimensions) -> RegionMask? {
        guard let cb = NoduleCandidates.unionBox(labels, pad: 0) else { return nil }
        let f = coarse.factor
        let lo = SIMD3(cb.lower.slice * f.x, cb.lower.row * f.y, cb.lower.column * f.z)
        let hi = SIMD3(min(grid.slices - 1, cb.upper.slice * f.x + f.x - 1), min(grid.rows - 1, cb.upper.row * f.y + f.y - 1),
                       min(grid.columns - 1, cb.upper.column * f.z + f.z - 1))
        let box = IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
        let bd = box.dimensions
        var bytes = [UInt8](repeating: 0, count: bd.count)
        bytes.withUnsafeMutableBufferPointer { out in
            let o = UnsafeSendableBuffer(out.baseAddress!)
            Parallelism.forEachChunk(bd.slices) { chunk in
                for s in chunk {
                    for r in 0..<bd.rows {
                        for c in 0..<bd.columns {
                            let (a, b, e) = coarse.coarseIndex(s + lo.x, r + lo.y, c + lo.z)
                            if labels[a, b, e] != 0 { o[bd.index(s, r, c)] = 1 }
                        }
                    }
                }
            }
        }
        return NoduleReport.regionMask(grid: grid, box: box, bytes: bytes)
    }
}

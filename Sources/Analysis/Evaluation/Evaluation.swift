import Foundation
import Imaging

/// Scores predictions against phantom truth: per-lesion matching (overlap-based, one-to-one),
/// per-lesion Dice and volume error, false positives, case Dice and per-case volumes.
///
/// Only lesions count on either side: truth labels listed in `truthLesions` and predicted labels
/// in `predictedLesions`. Other truth labels (the infarct phantom's label 2, hypoperfused but
/// not core) are background for matching and for the case Dice (all lesion voxels of the truth
/// against all lesion voxels of the prediction), and are scored as case volumes instead.
///
/// Matching: every (truth lesion, predicted lesion) pair that overlaps gets its Dice; pairs
/// with Dice ≥ `minimumDice` are candidates; candidates are taken greedily by Dice, highest
/// first, each truth lesion and each prediction at most once. A truth lesion without a match
/// is missed; a prediction without a match is a false positive.
public enum Evaluation {
    /// Smallest Dice for a prediction to count as detecting a truth lesion.
    public static let minimumDice = 0.1

    /// Names of the per-case volumes compared, with the measurement that predicts each.
    public static let caseVolumeMeasurements: [(truth: String, measurement: MeasurementName)] = [
        ("core", .coreVolume), ("tmax", .tmax6Volume), ("mismatch", .mismatchVolume), ("liver", .liverVolume),
    ]

    /// Scores label volumes on the same grid. `predictedLesions` lists the labels of
    /// `predicted` that are lesions (others, e.g. a hypoperfusion region, are ignored).
    ///
    /// A prediction that matches no lesion but lies on a reader's small mark (`smallMarks`, by
    /// its centre in `predictedCentres`) is listed in `onSmallMarks`, not as a false positive.
    public static func score(name: String, analyzer: AnalyzerKind, truth: Volume<UInt16>, truthLesions: [TruthLesion],
                             truthVolumesML: [String: Double], predicted: Volume<UInt16>, predictedLesions: Set<Int>,
                             predictedVolumesML: [String: Double], predictedCentres: [Int: SIMD3<Double>] = [:],
                             smallMarks: [SmallMark] = []) -> CaseScore {
        precondition(truth.dimensions == predicted.dimensions, "truth and prediction grids differ")
        let voxelML = truth.geometry.spacing.voxelVolume / 1000
        var truthSize: [Int: Int] = [:], predSize: [Int: Int] = [:], overlap: [Pair: Int] = [:]
        var unionTruth = 0, unionPred = 0, unionBoth = 0
        var isLesion = [Bool](repeating: false, count: Int(UInt16.max) + 1)
        for l in truthLesions where l.label > 0 && l.label <= Int(UInt16.max) { isLesion[l.label] = true }
        for i in 0..<truth.voxels.count {
            var t = Int(truth.voxels[i])
            if !isLesion[t] { t = 0 }
            var p = Int(predicted.voxels[i])
            if !predictedLesions.contains(p) { p = 0 }
            if t != 0 { truthSize[t, default: 0] += 1; unionTruth += 1 }
            if p != 0 { predSize[p, default: 0] += 1; unionPred += 1 }
            if t != 0 && p != 0 { overlap[Pair(truth: t, predicted: p), default: 0] += 1; unionBoth += 1 }
        }
        var candidates: [(pair: Pair, dice: Double)] = overlap.map { pair, n in
            (pair, 2 * Double(n) / Double(truthSize[pair.truth, default: 0] + predSize[pair.predicted, default: 0]))
        }.filter { $0.dice >= minimumDice }
        candidates.sort { $0.dice != $1.dice ? $0.dice > $1.dice : ($0.pair.truth, $0.pair.predicted) < ($1.pair.truth, $1.pair.predicted) }
        var matchOfTruth: [Int: (Int, Double)] = [:], matchedPredictions = Set<Int>()
        for c in candidates where matchOfTruth[c.pair.truth] == nil && !matchedPredictions.contains(c.pair.predicted) {
            matchOfTruth[c.pair.truth] = (c.pair.predicted, c.dice)
            matchedPredictions.insert(c.pair.predicted)
        }
        let lesions = truthLesions.map { l -> LesionScore in
            let m = matchOfTruth[l.label]
            return LesionScore(truthLabel: l.label, type: l.type, diameterMM: l.diameterMM, target: l.target,
                               matchedPrediction: m?.0, dice: m?.1 ?? 0,
                               truthVolumeML: Double(truthSize[l.label, default: 0]) * voxelML,
                               predictedVolumeML: m.map { Double(predSize[$0.0, default: 0]) * voxelML } ?? 0)
        }
        let unmatched = predSize.keys.filter { !matchedPredictions.contains($0) }.sorted()
        let voxelMM3 = truth.geometry.spacing.voxelVolume
        let onMarks = unmatched.filter { p in
            guard let c = predictedCentres[p] else { return false }
            let radius = Foundation.pow(3 * Double(predSize[p, default: 0]) * voxelMM3 / (4 * Double.pi), 1.0 / 3)
            return smallMarks.contains { onMark(centre: c, radiusMM: radius, mark: $0) }
        }
        let fps = unmatched.filter { !onMarks.contains($0) }
        let caseDice = unionTruth + unionPred == 0 ? 1 : 2 * Double(unionBoth) / Double(unionTruth + unionPred)
        let volumes = caseVolumeMeasurements.compactMap { t, _ -> VolumeComparison? in
            guard let truthML = truthVolumesML[t], let predML = predictedVolumesML[t] else { return nil }
            return VolumeComparison(name: t, truthML: truthML, predictedML: predML)
        }
        return CaseScore(name: name, analyzer: analyzer, lesions: lesions, falsePositives: fps, onSmallMarks: onMarks,
                         caseDice: caseDice, volumes: volumes)
    }

    /// How far from a reader's point mark a prediction's centre may lie and still be "on" it:
    /// the prediction's own equivalent radius, at least 5 mm (the distance within which the
    /// LIDC truth links one reader's nodule to another's: marks are single points placed by eye).
    public static let markToleranceMM = 5.0

    /// Whether a prediction centred at `centre` (LPS mm) with equivalent radius `radiusMM` is on `mark`.
    public static func onMark(centre: SIMD3<Double>, radiusMM: Double, mark: SmallMark) -> Bool {
        guard mark.centerMM.count == 3 else { return false }
        let d = centre - SIMD3(mark.centerMM[0], mark.centerMM[1], mark.centerMM[2])
        return (d * d).sum().squareRoot() <= max(markToleranceMM, radiusMM)
    }

    /// The per-case volumes a result predicts, keyed like the truth's `volumesML`.
    public static func predictedVolumes(_ measurements: [Measurement]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (t, m) in caseVolumeMeasurements {
            if let v = measurements.first(where: { $0.kind == m })?.value { out[t] = v }
        }
        return out
    }

    /// A label volume of a result's findings (label = finding number; lesion-like findings
    /// painted last so they win where a hypoperfusion region overlaps them) and the labels that
    /// are lesions (nodules, lesions, cores).
    public static func labelVolume(_ result: AnalysisResult, geometry: Geometry) -> (Volume<UInt16>, Set<Int>) {
        var v = Volume<UInt16>(dimensions: result.dimensions, geometry: geometry, repeating: 0)
        let ordered = result.findings.filter { $0.kind == .hypoperfusion } + result.findings.filter { $0.kind != .hypoperfusion }
        for f in ordered { f.mask.paint(into: &v.voxels, value: UInt16(f.number)) }
        return (v, Set(result.findings.filter { $0.kind != .hypoperfusion }.map(\.number)))
    }

    private struct Pair: Hashable { var truth: Int; var predicted: Int }
}

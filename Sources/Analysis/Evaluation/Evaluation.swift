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
    public static func score(name: String, analyzer: AnalyzerKind, truth: Volume<UInt16>, truthLesions: [TruthLesion],
                             truthVolumesML: [String: Double], predicted: Volume<UInt16>, predictedLesions: Set<Int>,
                             predictedVolumesML: [String: Double]) -> CaseScore {
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
        let fps = predSize.keys.filter { !matchedPredictions.contains($0) }.sorted()
        let caseDice = unionTruth + unionPred == 0 ? 1 : 2 * Double(unionBoth) / Double(unionTruth + unionPred)
        let volumes = caseVolumeMeasurements.compactMap { t, _ -> VolumeComparison? in
            guard let truthML = truthVolumesML[t], let predML = predictedVolumesML[t] else { return nil }
            return VolumeComparison(name: t, truthML: truthML, predictedML: predML)
        }
        return CaseScore(name: name, analyzer: analyzer, lesions: lesions, falsePositives: fps,
                         caseDice: caseDice, volumes: volumes)
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

import Analysis
import Foundation
import Imaging

/// An `AnalysisResult` made from phantom truth instead of an analyzer: one finding per truth
/// label (measured with `Regions`), the organ from a threshold, made-up but plausible
/// category, site, confidence and case numbers. What the writers are tested with before (and
/// independently of) the analyzers' quality.
enum TruthResult {
    enum Selection: String { case truth, none, one, many }

    static func make(kind: AnalyzerKind, labels: Volume<UInt16>, values: Volume<Float>, lesions: [TruthLesion],
                     seriesUID: String, selection: Selection, seed: UInt64) -> AnalysisResult {
        let d = labels.dimensions, g = labels.geometry
        var lesionLabels = Volume<Int32>(dimensions: d, geometry: g, repeating: 0)
        let labelValues = lesions.filter { $0.type != "hypoperfused" }.map(\.label)
        for i in 0..<d.count where labelValues.contains(Int(labels.voxels[i])) {
            lesionLabels.voxels[i] = Int32(labels.voxels[i])
        }
        if selection == .many { addCubes(to: &lesionLabels, values: values, kind: kind, seed: seed) }
        let count = Int(lesionLabels.voxels.max() ?? 0)
        let props = Regions.properties(labels: lesionLabels, count: count, intensity: values)
        let organ = organMask(kind: kind, values: values)

        var findings: [Finding] = []
        for p in props where p.voxelCount > 0 {
            var m = Mask(dimensions: d, geometry: g, repeating: 0)
            for i in 0..<d.count where lesionLabels.voxels[i] == p.label { m.voxels[i] = 1 }
            guard let region = RegionMask(full: m) else { continue }
            let n = findings.count + 1
            let truth = lesions.first { $0.label == Int(p.label) }
            let diameter = cbrt(6 * p.volumeMM3 / Double.pi)
            let axes = AxialDiameters.measure(m) ?? AxialDiameters.Axes(slice: 0, long: 0, short: 0)
            var measurements = [Measurement(.volume, p.volumeML, "mL"), Measurement(.equivalentDiameter, diameter, "mm"),
                                Measurement(.longAxis, axes.long, "mm"), Measurement(.shortAxis, axes.short, "mm")]
            switch kind {
            case .lung, .liver:
                measurements += [Measurement(.meanHU, p.mean, "[hnsf'U]"), Measurement(.sdHU, p.standardDeviation, "[hnsf'U]")]
            case .infarct:
                measurements += [Measurement(.meanADC, p.mean, "um2/s"), Measurement(.sdADC, p.standardDeviation, "um2/s")]
            }
            if kind == .lung { measurements.append(Measurement(.sphericity, 0.8, "1")) }
            let kindOfFinding: FindingKind = kind == .lung ? .nodule : (kind == .liver ? .lesion : .core)
            let side: Laterality = p.centroid.x < 0 ? .right : .left
            findings.append(Finding(number: n, kind: kindOfFinding, category: truth?.type ?? "synthetic", mask: region,
                                    centroidMM: p.centroid, laterality: kind == .liver ? nil : side,
                                    site: truth?.site ?? "synthetic cube", measurements: measurements,
                                    assessments: kind == .lung ? [Assessment(.lungRADS, ["2", "3", "4A", "4B"][n % 4])] : [],
                                    confidence: 0.5 + 0.05 * Double(n % 10), reason: "truth label \(p.label)"))
        }
        switch selection {
        case .none: findings = []
        case .one: findings = Array(findings.prefix(1))
        case .truth, .many: break
        }
        let organName = kind == .lung ? "lung" : (kind == .liver ? "liver" : "brain")
        let organML = organ.map { Double($0.voxelCount) * g.spacing.voxelVolume / 1000 } ?? 0
        let organVolume: MeasurementName = kind == .lung ? .lungVolume : (kind == .liver ? .liverVolume : .brainVolume)
        var caseMeasurements = [Measurement(organVolume, organML, "mL")]
        if kind == .liver {
            let burden = findings.reduce(0) { $0 + ($1.measurement(.volume) ?? 0) }
            caseMeasurements += [Measurement(.tumourBurden, organML > 0 ? 100 * burden / organML : 0, "%"),
                                 Measurement(.lesionCount, Double(findings.count), "1")]
        }
        if kind == .infarct {
            caseMeasurements.append(Measurement(.coreVolume, findings.first?.measurement(.volume) ?? 0, "mL"))
        }
        return AnalysisResult(analyzer: kind, version: "0.0.1-truth", seriesInstanceUID: seriesUID, geometry: g,
                              dimensions: d, organName: organName, organ: organ, findings: findings,
                              caseMeasurements: caseMeasurements, notes: ["made from phantom truth, not by an analyzer"])
    }

    /// CT perfusion truth: the core (label 1) and the hypoperfused region (labels 1 and 2, so
    /// the two segments overlap), brain = the labelled voxels' bounding region, case volumes.
    static func perfusion(labels: Volume<UInt16>, seriesUID: String) -> AnalysisResult {
        let d = labels.dimensions, g = labels.geometry
        let voxelML = g.spacing.voxelVolume / 1000
        let core = RegionMask(full: labels.map { $0 == 1 ? 1 : 0 })
        let hypo = RegionMask(full: labels.map { $0 != 0 ? 1 : 0 })
        var findings: [Finding] = []
        for (mask, kind) in [(core, FindingKind.core), (hypo, .hypoperfusion)] {
            guard let mask else { continue }
            let ml = Double(mask.voxelCount) * voxelML
            findings.append(Finding(number: findings.count + 1, kind: kind, category: kind == .core ? "core" : "tmax>6s",
                                    mask: mask, centroidMM: .zero, laterality: .left, site: "left hemisphere",
                                    measurements: [Measurement(.volume, ml, "mL"),
                                                   kind == .core ? Measurement(.meanRCBFRatio, 12.5, "%")
                                                                 : Measurement(.meanTmax, 9.25, "s")],
                                    confidence: 0.9, reason: "truth labels"))
        }
        let coreML = Double(core?.voxelCount ?? 0) * voxelML, hypoML = Double(hypo?.voxelCount ?? 0) * voxelML
        var box = Mask(dimensions: d, geometry: g, repeating: 0)
        if let hypo { hypo.paint(into: &box.voxels, value: 1) }
        return AnalysisResult(analyzer: .infarct, version: "0.0.1-truth", seriesInstanceUID: seriesUID, geometry: g,
                              dimensions: d, organName: "brain", organ: RegionMask(full: box), findings: findings,
                              caseMeasurements: [Measurement(.coreVolume, coreML, "mL"),
                                                 Measurement(.tmax6Volume, hypoML, "mL"),
                                                 Measurement(.mismatchVolume, hypoML - coreML, "mL"),
                                                 Measurement(.mismatchRatio, coreML > 0 ? hypoML / coreML : 0, "1")])
    }

    /// Lung: air-like voxels not connected to the volume's border; liver: soft tissue 80–200 HU,
    /// largest component; brain: positive map values.
    static func organMask(kind: AnalyzerKind, values: Volume<Float>) -> RegionMask? {
        var m = values.map { v -> UInt8 in
            switch kind {
            case .lung: v > -990 && v < -500 ? 1 : 0
            case .liver: v > 80 && v < 200 ? 1 : 0
            case .infarct: v > 100 ? 1 : 0
            }
        }
        m = ConnectedComponents.largest(m)
        return RegionMask(full: m)
    }

    /// Twenty small cubes (2×2×2 voxels) at seeded positions, labels after the truth's.
    static func addCubes(to labels: inout Volume<Int32>, values: Volume<Float>, kind: AnalyzerKind, seed: UInt64) {
        let d = labels.dimensions
        var rng = SplitMix64(state: seed).derived(777)
        var next = (labels.voxels.max() ?? 0) + 1
        var placed = 0, attempts = 0
        while placed < 20 && attempts < 10_000 {
            attempts += 1
            let s = Int(rng.next() % UInt64(max(1, d.slices - 2)))
            let r = Int(rng.next() % UInt64(max(1, d.rows - 2)))
            let c = Int(rng.next() % UInt64(max(1, d.columns - 2)))
            var free = true
            for ds in 0...1 { for dr in 0...1 { for dc in 0...1 where labels[s + ds, r + dr, c + dc] != 0 { free = false } } }
            guard free else { continue }
            for ds in 0...1 { for dr in 0...1 { for dc in 0...1 { labels[s + ds, r + dr, c + dc] = next } } }
            next += 1
            placed += 1
        }
    }
}

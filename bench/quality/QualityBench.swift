// quality-bench: each analyzer on its phantoms (held-out seeds), scored against the truth.
//
// Usage: quality-bench lung|liver|infarct [--seeds A-B|A,B,…] [--size S] [--verbose]
//
// Prints the evaluation table, then machine lines:
//   QUALITY <kind> cases=… headline_sensitivity=… fp_per_scan=… lesion_dice_mean=… case_dice_mean=…
//           median_abs_vol_err_pct=… [<volume>_worst_err_ml=… <volume>_worst_err_pct=…]
//   STAGE <name> mean_s=… max_s=…     (per analysis stage, and `total`)
// Infarct is scored three times per phantom: on the MR ADC map alone (`infarct-adc`), on the
// ADC map with its DWI trace (`infarct-dwi`) and on the CT perfusion maps (`infarct-ctp`).
import Analysis
import Foundation
import Imaging
import Phantoms

func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data("quality-bench: \(message)\n".utf8))
    exit(2)
}

func parseSeeds(_ s: String) -> [UInt64] {
    var out: [UInt64] = []
    for part in s.split(separator: ",") {
        let ends = part.split(separator: "-").map { UInt64($0) }
        guard !ends.isEmpty, ends.allSatisfy({ $0 != nil }) else { die("bad --seeds \(s)") }
        if ends.count == 1 { out.append(ends[0]!) } else if ends.count == 2 && ends[0]! <= ends[1]! {
            out.append(contentsOf: ends[0]!...ends[1]!)
        } else { die("bad --seeds \(s)") }
    }
    return out
}

var args = Array(CommandLine.arguments.dropFirst())
guard let kindArg = args.first, let kind = AnalyzerKind(rawValue: kindArg) else {
    die("usage: quality-bench lung|liver|infarct [--seeds A-B] [--size S] [--verbose]")
}
args.removeFirst()
var seeds: [UInt64] = Array(1001...1020)
var size: Int? = nil
var verbose = false
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--seeds": seeds = parseSeeds(args.isEmpty ? "" : args.removeFirst())
    case "--size": size = args.isEmpty ? nil : Int(args.removeFirst()); if size == nil { die("bad --size") }
    case "--verbose": verbose = true
    default: die("unknown argument \(a)")
    }
}

@MainActor func makePhantom(_ seed: UInt64) -> Phantom {
    switch kind {
    case .lung: size.map { LungPhantom.make(seed: seed, size: $0) } ?? LungPhantom.make(seed: seed)
    case .liver: size.map { LiverPhantom.make(seed: seed, size: $0) } ?? LiverPhantom.make(seed: seed)
    case .infarct: size.map { InfarctPhantom.make(seed: seed, size: $0) } ?? InfarctPhantom.make(seed: seed)
    }
}

/// The analyses of one phantom: (tag, analyzer, input).
@MainActor func analyses(_ p: Phantom) -> [(String, any Analyzer, AnalysisInput)] {
    switch kind {
    case .lung: [("lung", LungNodules(), p.input)]
    case .liver: [("liver", LiverLesions(), p.input)]
    case .infarct: [
        ("infarct-adc", InfarctCore(), AnalysisInput(series: p.series.filter { $0.role == .adc })),
        ("infarct-dwi", InfarctCore(), AnalysisInput(series: p.series.filter { $0.role == .adc || $0.role == .dwi })),
        ("infarct-ctp", InfarctCore(), AnalysisInput(series: p.series.filter { $0.role == .rcbf || $0.role == .tmax })),
    ]
    }
}

var scores: [String: [CaseScore]] = [:], order: [String] = []
var stages: [String: [String: [Double]]] = [:]
var failures = 0
for seed in seeds {
    let t0 = Date()
    let p = makePhantom(seed)
    let made = Date().timeIntervalSince(t0)
    for (tag, analyzer, input) in analyses(p) {
        let t1 = Date()
        let r: AnalysisResult
        do { r = try analyzer.analyze(input) } catch {
            FileHandle.standardError.write(Data("seed \(seed) \(tag): \(error)\n".utf8))
            failures += 1
            continue
        }
        let seconds = Date().timeIntervalSince(t1)
        // The ADC map read with its DWI is judged on the whole DWI lesion (ISLES convention, `InfarctPhantom.Truth`).
        let truth = tag == "infarct-dwi" ? InfarctPhantom.make(seed: seed, size: size ?? 256, truth: .dwiLesion) : p
        let s = Evaluation.score(phantom: truth, result: r, name: "\(tag)-\(seed)")
        if scores[tag] == nil { order.append(tag) }
        scores[tag, default: []].append(s)
        for t in r.timings { stages[tag, default: [:]][t.stage, default: []].append(t.seconds) }
        stages[tag, default: [:]]["total", default: []].append(seconds)
        let found = s.lesions.filter(\.detected).count
        let sp = input.series[0].volume.spacing
        var line = String(format: "%@ seed %llu (%.2f×%.2f mm): phantom %.2f s, analysis %.2f s, %d/%d found, %d FP, case Dice %.3f",
                          tag, seed, sp.row, sp.slice, made, seconds, found, s.lesions.count, s.falsePositives.count, s.caseDice)
        for v in s.volumes { line += String(format: ", %@ %.2f/%.2f mL", v.name, v.predictedML, v.truthML) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        if verbose {
            for l in s.lesions where !l.detected || l.dice < 0.8 {
                let c = p.lesions.first { $0.label == l.truthLabel }?.centerMM ?? [0, 0, 0]
                FileHandle.standardError.write(Data(String(format: "    truth %d %@ %.1f mm at (%.1f, %.1f, %.1f): %@ (Dice %.3f)\n", l.truthLabel, l.type,
                                                           l.diameterMM, c[0], c[1], c[2], l.detected ? "low Dice" : "MISSED", l.dice).utf8))
            }
            for fp in s.falsePositives {
                if let f = r.findings.first(where: { $0.number == fp }) {
                    let c = f.centroidMM
                    FileHandle.standardError.write(Data(String(format: "    FP %d %@ at (%.1f, %.1f, %.1f) %.2f mL conf %.2f: %@\n",
                                                               fp, f.category, c.x, c.y, c.z, f.measurement(.volume) ?? -1, f.confidence, f.reason).utf8))
                }
            }
        }
    }
}

func num(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "nan" }
for tag in order {
    let summary = EvaluationSummary(analyzer: kind, scores: scores[tag]!)
    print(summary.table.replacingOccurrences(of: "\(kind.rawValue):", with: "\(tag):"))
    var line = "QUALITY \(tag) cases=\(summary.cases) headline_sensitivity=\(num(summary.headlineSensitivity))"
    line += " fp_per_scan=\(num(summary.falsePositivesPerScan)) lesion_dice_mean=\(num(summary.lesionDiceMean))"
    line += " case_dice_mean=\(num(summary.caseDiceMean)) median_abs_vol_err_pct=\(num(summary.medianAbsoluteVolumeErrorPercent))"
    for name in summary.worstVolumeErrorML.keys.sorted() {
        line += " \(name)_worst_err_ml=\(num(summary.worstVolumeErrorML[name])) \(name)_worst_err_pct=\(num(summary.worstVolumeErrorPercent[name]))"
    }
    print(line)
    let st = stages[tag] ?? [:]
    for (name, xs) in st.sorted(by: { $0.key == "total" ? false : ($1.key == "total" ? true : $0.key < $1.key) }) {
        print(String(format: "STAGE %@ %@ mean_s=%.3f max_s=%.3f", tag, name, xs.reduce(0, +) / Double(xs.count), xs.max() ?? 0))
    }
}
if failures > 0 { FileHandle.standardError.write(Data("\(failures) analysis(es) failed\n".utf8)) }
exit(failures > 0 ? 1 : 0)

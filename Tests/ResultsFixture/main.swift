// results-fixture: writes a phantom series as DICOM (in a chosen geometry and slice order),
// loads it back, builds an analysis result from the phantom truth (or runs an analyzer), writes
// its SEG/SR/SC with `ResultWriter`, and records what the objects must contain in
// `expected.json` plus one raw mask per segment, for Tests/IntegrationTests/test_results.py.
//
//   results-fixture --out DIR [--kind lung|liver|infarct] [--seed N] [--size S]
//       [--layout axial|oblique|anisotropic] [--order head-first|feet-first] [--shuffle]
//       [--findings truth|none|one|many] [--analyzer] [--dirty] [--no-key-images] [--ctp]
//
// --ctp (infarct): the CT perfusion rCBF (primary, `source/`) and Tmax (`tmax/`) maps instead
// of the ADC map; truth findings are the core and the hypoperfused region (which overlap).
//
// DIR/source/*.dcm, DIR/results/{seg,sr,sc-N}.dcm, DIR/expected.json, DIR/masks/segment-N.bin
// (uint8, slices × rows × columns in the loaded volume's slice order).
import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Results

struct Options {
    var out = ""
    var kind = AnalyzerKind.lung
    var seed: UInt64 = 1
    var size = 64
    var layout = SourceSeries.Layout.axial
    var order = SourceSeries.Order.headFirst
    var shuffle = false
    var findings = TruthResult.Selection.truth
    var analyzer = false
    var dirty = false
    var keyImages = true
    var ctp = false

    init(_ args: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw FixtureError("missing value after \(args[i - 1])") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--out": out = try value()
            case "--kind": kind = try AnalyzerKind(rawValue: value()).orThrow("bad --kind")
            case "--seed": seed = try UInt64(value()).orThrow("bad --seed")
            case "--size": size = try Int(value()).orThrow("bad --size")
            case "--layout": layout = try SourceSeries.Layout(rawValue: value()).orThrow("bad --layout")
            case "--order": order = try SourceSeries.Order(rawValue: value()).orThrow("bad --order")
            case "--findings": findings = try TruthResult.Selection(rawValue: value()).orThrow("bad --findings")
            case "--shuffle": shuffle = true
            case "--analyzer": analyzer = true
            case "--dirty": dirty = true
            case "--no-key-images": keyImages = false
            case "--ctp": ctp = true
            default: throw FixtureError("unknown argument \(args[i])")
            }
            i += 1
        }
        if out.isEmpty { throw FixtureError("--out DIR is required") }
    }

    var caseName: String {
        [kind.rawValue, String(seed), String(size), layout.rawValue, order.rawValue, shuffle ? "shuffled" : "sorted",
         findings.rawValue, analyzer ? "analyzer" : "truth", dirty ? "dirty" : "clean", ctp ? "ctp" : "mr"]
            .joined(separator: "-")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let v = self else { throw FixtureError(message) }
        return v
    }
}

func run() throws {
    let o = try Options(Array(CommandLine.arguments.dropFirst()))
    try DICOMToolkit.initialize()
    let out = URL(fileURLWithPath: o.out)
    let phantom: Phantom
    switch o.kind {
    case .lung: phantom = LungPhantom.make(seed: o.seed, size: o.size)
    case .liver: phantom = LiverPhantom.make(seed: o.seed, size: o.size)
    case .infarct: phantom = InfarctPhantom.make(seed: o.seed, size: o.size)
    }
    let role: InputRole = o.kind == .infarct ? (o.ctp ? .rcbf : .adc) : .image
    let series = try phantom.series.first { $0.role == role }.orThrow("the phantom has no \(role) series")
    let source = try SourceSeries.write(phantom: phantom, series: series, layout: o.layout, order: o.order,
                                        shuffle: o.shuffle, dirty: o.dirty, caseName: o.caseName,
                                        to: out.appendingPathComponent("source"))
    let loaded = source.loaded
    var inputs = [InputSeries(role: role, info: series.info, volume: loaded.volume)]
    inputs[0].info.seriesInstanceUID = loaded.seriesInstanceUID
    if o.ctp {
        let tmax = try phantom.series.first { $0.role == .tmax }.orThrow("the phantom has no Tmax series")
        let second = try SourceSeries.write(phantom: phantom, series: tmax, layout: o.layout, order: o.order,
                                            shuffle: o.shuffle, dirty: o.dirty, caseName: o.caseName, seriesNumber: 4,
                                            to: out.appendingPathComponent("tmax"))
        inputs.append(InputSeries(role: .tmax, info: tmax.info, volume: second.loaded.volume))
        inputs[1].info.seriesInstanceUID = second.loaded.seriesInstanceUID
    }
    let result: AnalysisResult
    if o.analyzer {
        let input = AnalysisInput(series: inputs)
        switch o.kind {
        case .lung: throw FixtureError("no lung analyzer yet")
        case .liver: result = try LiverLesions().analyze(input)
        case .infarct: result = try InfarctCore().analyze(input)
        }
    } else if o.ctp {
        result = TruthResult.perfusion(labels: source.labels, seriesUID: loaded.seriesInstanceUID)
    } else {
        result = TruthResult.make(kind: o.kind, labels: source.labels, values: loaded.volume, lesions: phantom.lesions,
                                  seriesUID: loaded.seriesInstanceUID, selection: o.findings, seed: o.seed)
    }
    let start = Date()
    let written = try ResultWriter.write(result: result, source: loaded,
                                         outputDirectory: out.appendingPathComponent("results"),
                                         options: ResultOptions(keyImages: o.keyImages))
    let total = Date().timeIntervalSince(start)
    let sc = written.filter { $0.kind == .sc }
    print(String(format: "%@: %d×%d×%d, %d findings; write %.3f s (seg %.3f, sr %.3f, %d sc %.3f)", o.caseName,
                 loaded.volume.dimensions.slices, loaded.volume.dimensions.rows, loaded.volume.dimensions.columns,
                 result.findings.count, total, written.first { $0.kind == .seg }?.seconds ?? 0,
                 written.first { $0.kind == .sr }?.seconds ?? 0, sc.count, sc.reduce(0) { $0 + $1.seconds }))
    try Expected.write(result: result, loaded: loaded, written: written, study: loaded.study,
                       caseName: o.caseName, to: out)
}

do {
    try run()
} catch {
    FileHandle.standardError.write("results-fixture: \(error)\n".data(using: .utf8)!)
    exit(1)
}

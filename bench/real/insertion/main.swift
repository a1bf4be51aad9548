// insertion-bench: hybrid evaluation of the lung analyzer on real chest CT. Synthetic nodules
// (Phantoms' NoduleInserter) are inserted into the real LIDC volumes at sites chosen by rule
// (InsertionSiteMap, seeded), each copy of a volume holding several well apart; the analyzer
// runs on each copy and every insertion is scored against its visible part.
//
// Usage: insertion-bench [--realdata DIR] [--cases a,b] [--per N] [--sizes 5,8,12,20]
//                        [--kinds solid,part-solid,ground-glass] [--sites s1,s2] [--seed S] [--verbose]
//
// Prints per-site, per-size, per-type and per-site×size tables (sensitivity, median Dice,
// median |volume error| against the visible part, solid typed solid, type right), the findings
// of each copy that are on no insertion and were not found without insertions (new false
// positives), then one machine line per site:
//   INSERTION site=… n=… found=… sensitivity=… median_dice=… median_abs_vol_err_pct=…
import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Pipeline

func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data("insertion-bench: \(message)\n".utf8))
    exit(2)
}

var args = Array(CommandLine.arguments.dropFirst())
var realdata = "../shared/realdata", cases = ["lidc-0001", "lidc-0002"], per = 1, seed: UInt64 = 1
var sizes: [Double] = [5, 8, 12, 20], kinds = InsertedNoduleSpec.Kind.allCases, sites = InsertionSite.allCases
var verbose = false, dump: String? = nil
func list(_ s: String) -> [String] { s.split(separator: ",").map(String.init) }
while !args.isEmpty {
    let a = args.removeFirst()
    let value = args.first ?? ""
    switch a {
    case "--realdata": realdata = value; args.removeFirst()
    case "--cases": cases = list(value); args.removeFirst()
    case "--per": per = Int(value) ?? 0; args.removeFirst(); if per < 1 { die("bad --per") }
    case "--seed": seed = UInt64(value) ?? 0; args.removeFirst()
    case "--sizes": sizes = list(value).compactMap(Double.init); args.removeFirst(); if sizes.isEmpty { die("bad --sizes") }
    case "--kinds": kinds = list(value).compactMap(InsertedNoduleSpec.Kind.init); args.removeFirst()
    case "--sites": sites = list(value).compactMap(InsertionSite.init); args.removeFirst()
    case "--verbose": verbose = true
    case "--dump": dump = value; args.removeFirst()  // debugging: each copy's volume and lung mask, raw
    default: die("unknown argument \(a)")
    }
}

/// Nodules per copy of a volume and their least spacing (mm, plus both radii): far enough apart
/// that one nodule's segmentation box (at most 32 mm half-size) never holds another.
let perCopy = 8, spacing = 40.0

func load(_ folder: String) throws -> (InputSeries) {
    try DICOMToolkit.initialize()
    guard let s = try SeriesScan.scan([folder]).series.first else { die("no series in \(folder)") }
    let loaded = try VolumeLoader.load(files: s.files)
    return InputSeries(role: s.role, info: s.info(units: loaded.units, measuredPhase: false, loaded: loaded),
                       volume: loaded.volume)
}

func analyze(_ base: InputSeries, _ v: Volume<Float>) -> AnalysisResult? {
    var s = base
    s.volume = v
    return try? LungNodules().analyze(AnalysisInput(series: [s]))
}

struct Job { var site: InsertionSite; var size: Double; var kind: InsertedNoduleSpec.Kind }

var outcomes: [Outcome] = [], newFindings: [(String, Finding)] = [], unplaced: [String: Int] = [:]
let clock = Date()
for name in cases {
    let series = try load("\(realdata)/\(name)/dicom")
    guard let baseline = analyze(series, series.volume) else { die("\(name): not analyzed") }
    guard let map = InsertionSiteMap(series.volume) else { die("\(name): no lung field") }
    // Keep away from what is already there: the readers' nodules and the findings without insertion.
    var known = baseline.findings.map(\.centroidMM)
    if let data = FileManager.default.contents(atPath: "\(realdata)/\(name)/truth.json"),
       let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let lesions = json["lesions"] as? [[String: Any]] {
        for l in lesions { if let c = l["center_mm"] as? [Double], c.count == 3 { known.append(SIMD3(c[0], c[1], c[2])) } }
    }
    var rng = SplitMix64(state: seed).derived(UInt64(cases.firstIndex(of: name)!))
    var jobs: [Job] = []
    for site in sites { for size in sizes { for kind in kinds { for _ in 0..<per { jobs.append(Job(site: site, size: size, kind: kind)) } } } }
    // Copies: fill each with up to `perCopy` nodules, well apart from each other and the known ones.
    var cache: [String: InsertionSiteMap.Places] = [:]
    func placesOf(_ j: Job) -> InsertionSiteMap.Places {
        let key = "\(j.site.rawValue) \(j.size)"
        if let p = cache[key] { return p }
        let p = map.places(j.site, radius: j.size / 2)
        cache[key] = p
        return p
    }
    var copies: [[(InsertionSite, InsertedNoduleSpec)]] = [[]]
    for job in jobs {
        var placed = false
        for k in copies.indices where copies[k].count < perCopy {
            let avoid = known.map { (point: $0, distance: 30 + job.size / 2) }
                + copies[k].map { (point: $0.1.center, distance: spacing + ($0.1.diameterMM + job.size) / 2) }
            guard let p = map.pick(from: placesOf(job), rng: &rng, avoid: avoid, attempts: 60) else { continue }
            copies[k].append((job.site, InsertedNoduleSpec.random(kind: job.kind, diameterMM: job.size, center: p, rng: &rng)))
            placed = true
            break
        }
        if !placed, let p = map.pick(from: placesOf(job), rng: &rng,
                                     avoid: known.map { (point: $0, distance: 30 + job.size / 2) }) {
            copies.append([(job.site, InsertedNoduleSpec.random(kind: job.kind, diameterMM: job.size, center: p, rng: &rng))])
            placed = true
        }
        if !placed { unplaced["\(job.site.rawValue) \(Int(job.size)) mm", default: 0] += 1 }
    }
    for copy in copies where !copy.isEmpty {
        var v = series.volume
        let insertions = copy.map { site, spec in (site, NoduleInserter.insert(spec, into: &v, visible: map.inLungField)) }
        guard let result = analyze(series, v) else { die("\(name): a copy was not analyzed") }
        if let dump {
            let tag = "\(dump)/\(name)-copy\(copies.firstIndex { $0.first?.1 == copy.first?.1 } ?? 0)"
            let d = v.dimensions
            _ = FileManager.default.createFile(atPath: tag + ".f32", contents: v.voxels.withUnsafeBufferPointer { Data(buffer: $0) })
            if let organ = result.organ {
                let m = organ.full(geometry: v.geometry)
                _ = FileManager.default.createFile(atPath: tag + ".u8", contents: Data(m.voxels))
            }
            let g = v.geometry
            print("DUMP \(tag) \(d.slices) \(d.rows) \(d.columns) origin \(g.origin) spacing \(g.spacing.slice) \(g.spacing.row) \(g.spacing.column)")
        }
        let (o, others) = InsertionScore.match(result.findings, organ: result.organ, insertions, caseName: name)
        outcomes += o
        for f in others where !baseline.findings.contains(where: { b in
            let d = b.centroidMM - f.centroidMM
            return (d * d).sum() <= 100
        }) { newFindings.append((name, f)) }
        if verbose {
            for x in o {
                let s = x.insertion.spec, c = s.center
                print(String(format: "%@ %@ %2.0f mm %@ %.0f HU at (%.1f, %.1f, %.1f) embedded %.2f, %.0f%% in lung mask: %@ dice %.2f vol %.3f/%.3f mL %@",
                             name, x.site.rawValue, s.diameterMM, s.kind.rawValue, s.densityHU, c.x, c.y, c.z,
                             x.insertion.embeddedFraction, 100 * x.inMask, x.found ? "FOUND" : "MISSED", x.dice,
                             x.finding?.measurement(.volume) ?? 0, x.insertion.visibleML, x.finding?.category ?? "-"))
            }
        }
    }
}

print("# Insertion bench: \(cases.joined(separator: ", ")), seed \(seed), \(per) per site × size × type, "
    + "\(outcomes.count) nodules, \(String(format: "%.0f", Date().timeIntervalSince(clock))) s")
print(InsertionScore.table("By site", sites.map { s in (s.rawValue, outcomes.filter { $0.site == s }) }))
print(InsertionScore.table("By size", sizes.map { z in ("\(Int(z)) mm", outcomes.filter { $0.insertion.spec.diameterMM == z }) }))
print(InsertionScore.table("By type", kinds.map { k in (k.rawValue, outcomes.filter { $0.insertion.spec.kind == k }) }))
print(InsertionScore.table("By site and size", sites.flatMap { s in sizes.map { z in
    ("\(s.rawValue) \(Int(z))", outcomes.filter { $0.site == s && $0.insertion.spec.diameterMM == z })
} }))
print("\nNew findings on no insertion (not found without insertions): \(newFindings.count)")
for (name, f) in newFindings {
    print(String(format: "  %@ %@ %.3f mL at (%.1f, %.1f, %.1f)", name, f.category, f.measurement(.volume) ?? 0,
                 f.centroidMM.x, f.centroidMM.y, f.centroidMM.z))
}
if !unplaced.isEmpty { print("No site found for: \(unplaced.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))") }
for s in sites {
    let o = outcomes.filter { $0.site == s }, f = o.filter(\.found)
    let err = InsertionScore.median(f.compactMap(\.volumeError).map { abs($0) * 100 })
    print(String(format: "INSERTION site=%@ n=%d found=%d sensitivity=%.3f median_dice=%.2f median_abs_vol_err_pct=%.0f",
                 s.rawValue, o.count, f.count, o.isEmpty ? 0 : Double(f.count) / Double(o.count),
                 InsertionScore.median(f.map(\.dice)) ?? 0, err ?? 0))
}

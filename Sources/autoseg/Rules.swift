import ArgumentParser
import Foundation
import DICOM
import Node
import Pipeline

/// `autoseg rules test FILE...`: which rule each file's series would hit, and why.
struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Routing rules.", subcommands: [RulesTest.self])
}

struct RulesTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Show which [[rules]] entry (and analyzer) each file's series would hit, and why.")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Also print the preflight's measurements of each probed image.") var verbose = false
    @Argument(help: "DICOM files or folders (walked recursively).") var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one DICOM file or folder") }
    }

    func run() throws {
        let config = options.load()
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }
        let scan = SeriesScan.scan(inputs)
        for (path, reason) in scan.skipped {
            FileHandle.standardError.write(Data("autoseg: skipped \(path): \(reason)\n".utf8))
        }
        guard !scan.series.isEmpty else { fail("no DICOM series found in \(inputs.joined(separator: " "))", code: 1) }
        // The one planner of `run` and the node: the same routing, pairing and probe.
        let planner = AnalysisPlanner(rules: config.rules)
        let byStudy = Dictionary(grouping: scan.series, by: \.studyInstanceUID)
        var rows: [[String: Any]] = []
        for s in scan.series {
            let (d, steps) = planner.steps(for: s, study: { byStudy[s.studyInstanceUID] ?? [] })
            let planned = steps.compactMap { step -> String? in
                if case .analyze(let p) = step { return p.analyzer.rawValue }
                return nil
            }
            let notes = steps.compactMap { step -> String? in
                switch step {
                case .analyze: return nil
                case .awaitPartner(let a, let wanted, _):
                    return "\(a.rawValue) waits for \(SeriesPairing.phrase(for: wanted)) of the same study"
                case .skip(let a, let reason): return a.map { "\($0.rawValue): \(reason)" }
                }
            }
            let h = s.first
            // The preflight of every CT image series is shown, whether it decided or the headers did.
            let content = d.content ?? (h.modality == "CT" && s.role == .image ? s.content : nil)
            let used = d.content != nil
            if json {
                var row: [String: Any] = [
                    "series_uid": s.seriesInstanceUID, "study_uid": s.studyInstanceUID, "files": s.files.count,
                    "modality": h.modality ?? "", "body_part": h.bodyPartExamined ?? "",
                    "series_description": h.seriesDescription ?? "", "role": s.role.rawValue,
                    "analyzer": d.analyzer?.rawValue ?? "none", "analyzers": d.analyzers.map(\.rawValue),
                    "planned": planned, "notes": notes, "rule": d.rule, "reason": d.reason]
                if let c = content {
                    var j = Self.json(c)
                    j["used_by_routing"] = used
                    row["content"] = j
                }
                rows.append(row)
            } else {
                print("\(s.seriesInstanceUID)  (\(s.files.count) file(s): \(h.modality ?? "?") \(h.bodyPartExamined ?? "-") \"\(h.seriesDescription ?? "")\")")
                print("  -> \(d.analyzers.isEmpty ? "not analyzed" : d.analyzers.map(\.rawValue).joined(separator: " + "))\(d.rule.isEmpty ? "" : " by \(d.rule)"): \(d.reason)")
                for n in notes { print("     \(n)") }
                if let c = content {
                    print("     pixels\(used ? "" : " (not needed: the headers decided)"): \(c.summary)")
                    if c.notProbed == nil { print("       " + c.measurements.map(\.text).joined(separator: ", ")) }
                    if verbose { for line in c.images { print("       \(line)") } }
                }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["rules": config.rules.count, "series": rows],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The preflight as JSON: regions, phase, measurements by name, evidence, timing.
    static func json(_ c: ContentFindings) -> [String: Any] {
        var out: [String: Any] = ["regions": c.regions.map(\.rawValue), "phase": c.phase?.rawValue ?? NSNull(),
                                  "evidence": c.evidence, "slices": c.slices, "images": c.images, "seconds": c.seconds,
                                  "measurements": Dictionary(c.measurements.map { ($0.name, $0.value) },
                                                             uniquingKeysWith: { a, _ in a })]
        if let n = c.notProbed { out["not_probed"] = n }
        return out
    }
}

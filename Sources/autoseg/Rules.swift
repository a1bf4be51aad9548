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
        let router = Router(rules: config.rules)
        var rows: [[String: Any]] = []
        for s in scan.series {
            let d = router.route(s)
            let h = s.first
            if json {
                rows.append(["series_uid": s.seriesInstanceUID, "study_uid": s.studyInstanceUID, "files": s.files.count,
                             "modality": h.modality ?? "", "body_part": h.bodyPartExamined ?? "",
                             "series_description": h.seriesDescription ?? "", "role": s.role.rawValue,
                             "analyzer": d.analyzer?.rawValue ?? "none", "analyzers": d.analyzers.map(\.rawValue),
                             "rule": d.rule, "reason": d.reason])
            } else {
                print("\(s.seriesInstanceUID)  (\(s.files.count) file(s): \(h.modality ?? "?") \(h.bodyPartExamined ?? "-") \"\(h.seriesDescription ?? "")\")")
                print("  -> \(d.analyzers.isEmpty ? "not analyzed" : d.analyzers.map(\.rawValue).joined(separator: " + "))\(d.rule.isEmpty ? "" : " by \(d.rule)"): \(d.reason)")
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["rules": config.rules.count, "series": rows],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

import Analysis
import ArgumentParser
import DICOM
import Foundation
import Node
import Pipeline
import Results

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Offline: analyze DICOM files/folders and write findings, SEG, SR and key images.",
        discussion: """
            Groups the files into series, picks an analyzer per series (chest CT → lung, abdominal CT → \
            liver, MR ADC map → infarct, CT perfusion rCBF + Tmax maps → infarct) and writes, per analysis, \
            OUT/<SeriesInstanceUID>-<analyzer>/: findings.json, labels.nii, seg.dcm, sr.dcm and sc-<n>.dcm \
            (one key image per finding). Result UIDs derive from the source series, analyzer and version: a \
            re-run rewrites the same objects. Progress on stderr, one line per analysis.
            Exit 0 when every planned analysis ran (an analyzer refusing a series, and series no analyzer \
            is for, are reported, not failures); 1 when an analysis failed or no DICOM file was found; 2 on \
            bad usage.
            """)

    @Argument(help: "DICOM files or folders (walked recursively).") var inputs: [String] = []
    @Option(help: "Output folder (created if needed).") var out: String
    @Option(help: "Comma-separated analyzers to run (default: all): lung,liver,infarct.") var analyzers: String?
    @Option(help: "Route with this configuration's [[rules]] (as the node and `rules test` do); default: the built-in routing.")
    var config: String?
    @Flag(help: "Print a summary as JSON on stdout.") var json = false
    @Flag(name: .customLong("no-key-images"), help: "Do not write the Secondary Capture key images.") var noKeyImages = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one DICOM file or folder") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("no such file or folder: \(input)")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
            throw ValidationError("--out \(out) is a file, not a folder")
        }
        _ = try allowedAnalyzers()
    }

    func allowedAnalyzers() throws -> Set<AnalyzerKind> {
        guard let analyzers else { return Set(AnalyzerKind.allCases) }
        var set = Set<AnalyzerKind>()
        for name in analyzers.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !name.isEmpty {
            guard let kind = AnalyzerKind(rawValue: name) else {
                throw ValidationError("--analyzers: unknown analyzer '\(name)' (lung, liver, infarct)")
            }
            set.insert(kind)
        }
        guard !set.isEmpty else { throw ValidationError("--analyzers: name at least one of lung, liver, infarct") }
        return set
    }

    func run() throws {
        let started = Date()
        let allowed = try allowedAnalyzers()
        let output = URL(fileURLWithPath: out)
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }

        let scan = SeriesScan.scan(inputs, excluding: [output])
        let files = scan.series.reduce(0) { $0 + $1.files.count }
        let rules = config.map { ConfigOptions.load(path: $0).rules } ?? []
        let (planned, unanalyzed) = AnalysisPlanner(rules: rules, allowed: allowed, forced: analyzers != nil).plan(scan.series)
        func summary(_ entries: [RunSummary.Entry]) -> RunSummary {
            RunSummary(output: output.path, scan: scan, analyses: entries, unanalyzed: unanalyzed,
                       seconds: Date().timeIntervalSince(started))
        }
        guard !scan.series.isEmpty else {
            if json { print(summary([]).json) }
            let inputList = inputs.joined(separator: " ")
            if let example = scan.skipped.first {
                // The reason says which: not DICOM at all, or DICOM without what a series needs.
                fail("no DICOM series in \(inputList): none of its \(scan.skipped.count) file(s) can be used "
                     + "(e.g. \(example.path): \(example.reason))", code: 1)
            }
            fail("no DICOM files in \(inputList): no files at all", code: 1)
        }
        note("found \(scan.series.count) series in \(files) DICOM file(s)"
             + (scan.skipped.isEmpty ? "" : ", skipped \(scan.skipped.count) other file(s)")
             + "; \(planned.count) analysis(es) planned")
        for s in scan.skipped.prefix(5) { note("  skipped \(s.path): \(s.reason)") }
        if scan.skipped.count > 5 { note("  … and \(scan.skipped.count - 5) more skipped file(s)") }
        for u in unanalyzed {
            note("not analyzed: \(u.series.seriesInstanceUID) \(Self.describe(u.series)): \(u.reason)")
        }
        if !planned.isEmpty {
            do {
                try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            } catch {
                fail("cannot create \(output.path): \(error.localizedDescription)", code: 1)
            }
        }

        let runner = OfflineRun(output: output, resultOptions: ResultOptions(keyImages: !noKeyImages))
        var entries: [RunSummary.Entry] = []
        for (i, plan) in planned.enumerated() {
            let o = runner.run(plan) { event in
                if case .loaded(let series, _, let warnings, _) = event {
                    for w in warnings { note("  \(series): \(w)") }
                }
            }
            entries.append(RunSummary.Entry(plan: plan, outcome: o))
            let head = "[\(i + 1)/\(planned.count)] \(plan.analyzer.rawValue) \(plan.primary.seriesInstanceUID) "
                + Self.describe(plan.primary)
            let times = String(format: "load %.2f s, analyze %.2f s, write %.2f s", o.loadSeconds, o.analyzeSeconds, o.writeSeconds)
            switch o.status {
            case .analyzed:
                let n = o.document?.findings.count ?? 0
                note("\(head): \(times); \(n) finding\(n == 1 ? "" : "s"), \(o.written.count) DICOM object(s) → \(o.output ?? "")")
            case .refused:
                note("\(head): refused: \(o.reason ?? "") (\(times))")
            case .failed:
                note("\(head): FAILED: \(o.reason ?? "") (\(times))")
            }
        }
        let result = summary(entries)
        let c = result.counts
        note("analyzed \(c.analyzed), refused \(c.refused), failed \(c.failed), not analyzed \(c.unanalyzed) "
             + String(format: "in %.2f s", result.seconds) + (c.analyzed > 0 ? "; results in \(output.path)" : ""))
        if json { print(result.json) }
        if c.failed > 0 { throw ExitCode(1) }
    }

    /// `CT "Chest CT" (96 files)`
    static func describe(_ s: ScannedSeries) -> String {
        "(\(s.first.modality ?? "?") \"\(s.first.seriesDescription ?? "")\", \(s.files.count) file\(s.files.count == 1 ? "" : "s"))"
    }
}

/// One line on stderr.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

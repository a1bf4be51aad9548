import Analysis
import Foundation
import Imaging

/// `autoseg eval`: finds phantom truths (`truth.json` + `truth.nii`) under the truth folder and
/// `autoseg run` outputs (`findings.json` + `labels.nii`) under the prediction folder, pairs
/// them by source series, and scores each pair. A truth with no prediction counts as every
/// lesion missed; a CT perfusion and an ADC prediction of one infarct phantom are two cases.
public enum EvalRun {
    public struct Report: Sendable, Codable {
        public var cases: [CaseScore]
        public var summaries: [EvaluationSummary]
        /// The name of each summary's group: the analyzer, for infarct with the input ("infarct-adc",
        /// "infarct-ctp").
        public var groups: [String]
        /// Truths no prediction referred to (scored as all missed), and predictions that matched no truth.
        public var unmatchedTruths: [String]
        public var unmatchedPredictions: [String]

        enum CodingKeys: String, CodingKey {
            case cases, summaries, groups
            case unmatchedTruths = "unmatched_truths", unmatchedPredictions = "unmatched_predictions"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(cases, forKey: .cases)
            try c.encode(zip(groups, summaries).map { SummaryJSON(group: $0, summary: $1) }, forKey: .summaries)
            try c.encode(groups, forKey: .groups)
            try c.encode(unmatchedTruths, forKey: .unmatchedTruths)
            try c.encode(unmatchedPredictions, forKey: .unmatchedPredictions)
        }
    }

    /// A summary as JSON, with the sensitivities it computes (null when there was nothing to detect).
    struct SummaryJSON: Encodable {
        var group: String
        var summary: EvaluationSummary

        enum Extra: String, CodingKey {
            case group, headlineSensitivity = "headline_sensitivity", sensitivityByBin = "bin_sensitivity"
        }

        func encode(to encoder: Encoder) throws {
            try summary.encode(to: encoder)
            var c = encoder.container(keyedBy: Extra.self)
            try c.encode(group, forKey: .group)
            try c.encode(summary.headlineSensitivity, forKey: .headlineSensitivity)
            try c.encode(summary.bins.map(\.sensitivity), forKey: .sensitivityByBin)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every file called `name` in `root` or below, each once (compared by standardized path:
    /// the enumerator's URLs and `root`'s may be spelled differently), sorted by path.
    static func find(_ name: String, under root: URL) -> [URL] {
        var byPath: [String: URL] = [:]
        let direct = root.appendingPathComponent(name).standardizedFileURL
        if FileManager.default.fileExists(atPath: direct.path) { byPath[direct.path] = direct }
        if let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in e where url.lastPathComponent == name {
                let u = url.standardizedFileURL
                if byPath[u.path] == nil { byPath[u.path] = u }
            }
        }
        return byPath.keys.sorted().map { byPath[$0]! }
    }

    /// `minReaders`: of reader truth, only lesions marked by at least this many readers are
    /// targets (LIDC's usual reference is 3 of 4); the others are neither missed when not found
    /// nor false positives when found. Phantom lesions (no reader count) are unaffected.
    public static func run(truth: URL, predictions: URL, minReaders: Int = 1) throws -> Report {
        let decoder = JSONDecoder()
        let truthFiles = find("truth.json", under: truth)
        guard !truthFiles.isEmpty else { throw Failure(description: "no truth.json under \(truth.path)") }
        var preds: [(url: URL, doc: FindingsDocument)] = []
        for url in find("findings.json", under: predictions) {
            do {
                preds.append((url, try decoder.decode(FindingsDocument.self, from: Data(contentsOf: url))))
            } catch {
                throw Failure(description: "\(url.path): not an autoseg findings.json (\(error))")
            }
        }
        guard !preds.isEmpty else { throw Failure(description: "no findings.json under \(predictions.path)") }
        var cases: [CaseScore] = [], unmatchedTruths: [String] = [], used = Set<String>()
        var byTag: [String: (AnalyzerKind, [CaseScore])] = [:], tagOrder: [String] = []
        for tURL in truthFiles {
            var doc: TruthDocument
            do { doc = try decoder.decode(TruthDocument.self, from: Data(contentsOf: tURL)) } catch {
                throw Failure(description: "\(tURL.path): not an autoseg truth.json (\(error))")
            }
            for i in doc.lesions.indices where (doc.lesions[i].readers ?? Int.max) < minReaders { doc.lesions[i].target = false }
            let marks = doc.smallMarks ?? []
            let labels = try NIfTI.read(tURL.deletingLastPathComponent().appendingPathComponent("truth.nii"))
            let uids = Set(doc.series.map(\.seriesInstanceUID))
            let mine = preds.filter { !uids.isDisjoint(with: $0.doc.sourceSeries) }
            let base = "\(doc.kind.rawValue)-\(doc.seed)"
            var scored: [(String, CaseScore)] = []
            if mine.isEmpty {
                unmatchedTruths.append(tURL.deletingLastPathComponent().path)
                let empty = Volume<UInt16>(dimensions: labels.dimensions, geometry: labels.geometry, repeating: 0)
                scored.append(("", Evaluation.score(name: base + " (no prediction)", analyzer: doc.kind, truth: labels,
                                                    truthLesions: doc.lesions, truthVolumesML: doc.volumesML,
                                                    predicted: empty, predictedLesions: [], predictedVolumesML: [:])))
            }
            for p in mine {
                used.insert(p.url.path)
                let predLabels = try NIfTI.read(p.url.deletingLastPathComponent().appendingPathComponent("labels.nii"))
                guard predLabels.dimensions == labels.dimensions else {
                    throw Failure(description: "\(p.url.path): grid \(predLabels.dimensions) ≠ truth grid \(labels.dimensions)")
                }
                let roles = doc.series.filter { p.doc.sourceSeries.contains($0.seriesInstanceUID) }.map(\.role)
                let tag = doc.kind == .infarct ? (roles.contains(.adc) ? "adc" : "ctp") : ""
                let lesionNumbers = Set(p.doc.findings.filter { $0.kind != .hypoperfusion }.map(\.number))
                scored.append((tag, Evaluation.score(
                    name: base + (tag.isEmpty ? "" : "-\(tag)"), analyzer: doc.kind, truth: labels,
                    truthLesions: doc.lesions, truthVolumesML: doc.volumesML, predicted: predLabels,
                    predictedLesions: lesionNumbers,
                    predictedVolumesML: Evaluation.predictedVolumes(p.doc.caseMeasurements),
                    predictedCentres: Dictionary(p.doc.findings.filter { $0.centroidMM.count == 3 }.map {
                        ($0.number, SIMD3($0.centroidMM[0], $0.centroidMM[1], $0.centroidMM[2]))
                    }, uniquingKeysWith: { a, _ in a }),
                    smallMarks: marks)))
            }
            for (tag, score) in scored {
                cases.append(score)
                let key = doc.kind.rawValue + (tag.isEmpty ? "" : "-\(tag)")
                if byTag[key] == nil { tagOrder.append(key); byTag[key] = (doc.kind, []) }
                byTag[key]!.1.append(score)
            }
        }
        guard !used.isEmpty else {
            throw Failure(description: "none of the \(preds.count) findings.json under \(predictions.path) is about a series "
                          + "of the \(truthFiles.count) truth(s) under \(truth.path): nothing paired")
        }
        let summaries = tagOrder.map { EvaluationSummary(analyzer: byTag[$0]!.0, scores: byTag[$0]!.1) }
        let unmatchedPreds = preds.map(\.url.path).filter { !used.contains($0) }
        return Report(cases: cases, summaries: summaries, groups: tagOrder, unmatchedTruths: unmatchedTruths,
                      unmatchedPredictions: unmatchedPreds)
    }
}

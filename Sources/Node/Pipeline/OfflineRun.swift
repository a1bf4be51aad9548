import Analysis
import DICOM
import Dispatch
import Foundation
import Imaging

/// What happened to one planned analysis.
public struct AnalysisOutcome: Sendable {
    public enum Status: String, Sendable, Codable { case analyzed, refused, failed }
    public var analyzer: AnalyzerKind
    public var seriesInstanceUID: String
    public var status: Status
    /// Why it was refused or failed.
    public var reason: String?
    /// The output folder (analyzed only).
    public var output: String?
    public var document: FindingsDocument?
    public var loadSeconds: Double
    public var analyzeSeconds: Double
    public var writeSeconds: Double
}

/// `autoseg run`: analyze series read from files and write each result to
/// `<out>/<SeriesInstanceUID>-<analyzer>/` (`findings.json`, `labels.nii`). Analyses run one
/// after another; each loads and analyzes on all cores. The SEG/SR/SC objects join these files
/// in the results issue.
public struct OfflineRun: Sendable {
    public var output: URL
    public var analyzerFor: @Sendable (AnalyzerKind) -> any Analyzer

    public init(output: URL, analyzerFor: @escaping @Sendable (AnalyzerKind) -> any Analyzer) {
        self.output = output
        self.analyzerFor = analyzerFor
    }

    public func run(_ plan: PlannedAnalysis, progress: (String) -> Void) -> AnalysisOutcome {
        let uid = plan.primary.seriesInstanceUID
        var outcome = AnalysisOutcome(analyzer: plan.analyzer, seriesInstanceUID: uid, status: .failed,
                                      loadSeconds: 0, analyzeSeconds: 0, writeSeconds: 0)
        let t0 = now()
        var inputs: [InputSeries] = []
        for s in plan.series {
            do throws(VolumeError) {
                let loaded = try VolumeLoader.load(files: s.files)
                for w in loaded.warnings { progress("  \(s.seriesInstanceUID): \(w)") }
                inputs.append(InputSeries(role: s.role, info: s.info(units: loaded.units), volume: loaded.volume))
            } catch {
                outcome.reason = "cannot load series \(s.seriesInstanceUID): \(error)"
                return outcome
            }
        }
        outcome.loadSeconds = now() - t0
        let t1 = now()
        let result: AnalysisResult
        do throws(AnalysisError) {
            result = try analyzerFor(plan.analyzer).analyze(AnalysisInput(series: inputs))
        } catch {
            outcome.analyzeSeconds = now() - t1
            switch error {
            case .refused(let why): outcome.status = .refused; outcome.reason = why
            case .failed(let why): outcome.reason = why
            }
            return outcome
        }
        outcome.analyzeSeconds = now() - t1
        let t2 = now()
        let dir = output.appendingPathComponent("\(uid)-\(plan.analyzer.rawValue)")
        let doc = FindingsDocument(result: result, studyInstanceUID: plan.primary.studyInstanceUID,
                                   sourceSeries: plan.series.map(\.seriesInstanceUID))
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let (labels, _) = Evaluation.labelVolume(result, geometry: inputs[0].volume.geometry)
            try NIfTI.write(labels, to: dir.appendingPathComponent("labels.nii"),
                            description: "AutoSeg \(plan.analyzer.rawValue) \(result.version) findings")
            try writeJSON(doc, to: dir.appendingPathComponent("findings.json"))
        } catch {
            outcome.reason = "cannot write \(dir.path): \(error.localizedDescription)"
            return outcome
        }
        outcome.writeSeconds = now() - t2
        outcome.status = .analyzed
        outcome.output = dir.path
        outcome.document = doc
        return outcome
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

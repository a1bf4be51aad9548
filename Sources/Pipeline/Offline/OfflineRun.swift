import Analysis
import DICOM
import Foundation
import Imaging
import Results

/// `autoseg run`: the one analysis path (`AnalysisExecutor`) into
/// `<out>/<SeriesInstanceUID>-<analyzer>/`, plus the files of an offline run: `labels.nii`
/// and, last, `findings.json` (so a folder with a `findings.json` holds a complete result).
/// Analyses run one after another; each loads and analyzes on all cores.
public struct OfflineRun: Sendable {
    public var output: URL
    public var executor: AnalysisExecutor

    public init(output: URL, resultOptions: ResultOptions = ResultOptions()) {
        self.output = output
        executor = AnalysisExecutor(resultOptions: resultOptions)
    }

    /// The output folder of an analysis.
    public func directory(for plan: PlannedAnalysis) -> URL {
        output.appendingPathComponent("\(UID.pathComponent(plan.primary.seriesInstanceUID))-\(plan.analyzer.rawValue)")
    }

    public func run(_ plan: PlannedAnalysis, events: (AnalysisEvent) -> Void = { _ in }) -> AnalysisOutcome {
        let dir = directory(for: plan)
        let findingsFile = dir.appendingPathComponent("findings.json")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // An earlier run's findings.json must not outlive a failed rewrite.
            if FileManager.default.fileExists(atPath: findingsFile.path) {
                try FileManager.default.removeItem(at: findingsFile)
            }
        } catch {
            var outcome = AnalysisOutcome(analyzer: plan.analyzer, seriesInstanceUID: plan.primary.seriesInstanceUID)
            outcome.end(.failed, in: .write, "cannot write \(dir.path): \(error.localizedDescription)")
            return outcome
        }
        var outcome = executor.run(plan, resultsInto: dir, events: events)
        guard outcome.status == .analyzed, let result = outcome.result, let geometry = outcome.geometry else { return outcome }
        let t = now()
        let doc = FindingsDocument(result: result, studyInstanceUID: plan.primary.studyInstanceUID,
                                   sourceSeries: plan.series.map(\.seriesInstanceUID))
        do {
            let (labels, _) = Evaluation.labelVolume(result, geometry: geometry)
            try NIfTI.write(labels, to: dir.appendingPathComponent("labels.nii"),
                            description: "AutoSeg \(plan.analyzer.rawValue) \(result.version) findings")
            try writeJSON(doc, to: findingsFile)
        } catch {
            outcome.writeSeconds += now() - t
            outcome.end(.failed, in: .write, "cannot write \(dir.path): \(error.localizedDescription)")
            return outcome
        }
        outcome.writeSeconds += now() - t
        outcome.output = dir.path
        outcome.document = doc
        return outcome
    }
}

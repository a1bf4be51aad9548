import Analysis
import DICOM
import Dispatch
import Foundation
import Imaging
import Results

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
    /// The DICOM objects written (SEG, SR, key images), SEG first (analyzed only).
    public var written: [WrittenObject] = []
    public var loadSeconds: Double
    public var analyzeSeconds: Double
    public var writeSeconds: Double
}

/// `autoseg run`: analyze series read from files and write each result to
/// `<out>/<SeriesInstanceUID>-<analyzer>/`: `labels.nii`, the DICOM results of `ResultWriter`
/// (`seg.dcm`, `sr.dcm`, `sc-<n>.dcm`) and, last, `findings.json` (so a folder with a
/// `findings.json` holds a complete result). Analyses run one after another; each loads and
/// analyzes on all cores.
public struct OfflineRun: Sendable {
    public var output: URL
    public var resultOptions: ResultOptions
    public var analyzerFor: @Sendable (AnalyzerKind) -> any Analyzer

    public init(output: URL, resultOptions: ResultOptions = ResultOptions(),
                analyzerFor: @escaping @Sendable (AnalyzerKind) -> any Analyzer) {
        self.output = output
        self.resultOptions = resultOptions
        self.analyzerFor = analyzerFor
    }

    /// The output folder of an analysis.
    public func directory(for plan: PlannedAnalysis) -> URL {
        output.appendingPathComponent("\(plan.primary.seriesInstanceUID)-\(plan.analyzer.rawValue)")
    }

    public func run(_ plan: PlannedAnalysis, progress: (String) -> Void) -> AnalysisOutcome {
        let uid = plan.primary.seriesInstanceUID
        var outcome = AnalysisOutcome(analyzer: plan.analyzer, seriesInstanceUID: uid, status: .failed,
                                      loadSeconds: 0, analyzeSeconds: 0, writeSeconds: 0)
        let t0 = now()
        var inputs: [InputSeries] = [], primary: LoadedVolume?
        for s in plan.series {
            do throws(VolumeError) {
                let loaded = try VolumeLoader.load(files: s.files)
                for w in loaded.warnings { progress("  \(s.seriesInstanceUID): \(w)") }
                if primary == nil { primary = loaded }
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
        let dir = directory(for: plan)
        let doc = FindingsDocument(result: result, studyInstanceUID: plan.primary.studyInstanceUID,
                                   sourceSeries: plan.series.map(\.seriesInstanceUID))
        let findingsFile = dir.appendingPathComponent("findings.json")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // An earlier run's findings.json must not outlive a failed rewrite.
            if FileManager.default.fileExists(atPath: findingsFile.path) {
                try FileManager.default.removeItem(at: findingsFile)
            }
            let (labels, _) = Evaluation.labelVolume(result, geometry: inputs[0].volume.geometry)
            try NIfTI.write(labels, to: dir.appendingPathComponent("labels.nii"),
                            description: "AutoSeg \(plan.analyzer.rawValue) \(result.version) findings")
        } catch {
            outcome.writeSeconds = now() - t2
            outcome.reason = "cannot write \(dir.path): \(error.localizedDescription)"
            return outcome
        }
        do throws(DICOMError) {
            outcome.written = try ResultWriter.write(result: result, source: primary!, outputDirectory: dir, options: resultOptions)
        } catch {
            outcome.writeSeconds = now() - t2
            outcome.reason = "cannot write the DICOM results into \(dir.path): \(error)"
            return outcome
        }
        do {
            try writeJSON(doc, to: findingsFile)
        } catch {
            outcome.writeSeconds = now() - t2
            outcome.reason = "cannot write \(findingsFile.path): \(error.localizedDescription)"
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

import Analysis
import Imaging
import Results

/// What happened to one planned analysis (`AnalysisExecutor.run`).
public struct AnalysisOutcome: Sendable {
    public enum Status: String, Sendable, Codable { case analyzed, refused, failed }
    /// The stages of an analysis, in order.
    public enum Stage: String, Sendable, Codable { case load, analyze, write }

    public var analyzer: AnalyzerKind
    /// The primary input series.
    public var seriesInstanceUID: String
    public var status: Status
    /// Why it was refused or failed.
    public var reason: String?
    /// The stage it ended in when not analyzed.
    public var stage: Stage?
    /// The analyzer's result (analyzed only).
    public var result: AnalysisResult?
    /// The grid of the primary series (loaded only).
    public var geometry: Geometry?
    /// The DICOM objects written (SEG, SR, key images), SEG first (analyzed only).
    public var written: [WrittenObject] = []
    /// What the loader accepted but reported ("<series>: <warning>"): gaps, irregular
    /// spacing, tilt.
    public var warnings: [String] = []
    public var loadSeconds: Double = 0
    public var analyzeSeconds: Double = 0
    public var writeSeconds: Double = 0
    /// Set by `OfflineRun`: the output folder and its `findings.json` (analyzed only).
    public var output: String?
    public var document: FindingsDocument?

    init(analyzer: AnalyzerKind, seriesInstanceUID: String) {
        self.analyzer = analyzer
        self.seriesInstanceUID = seriesInstanceUID
        status = .failed
    }

    /// Ends the outcome as refused or failed in `stage`.
    mutating func end(_ status: Status, in stage: Stage, _ reason: String) {
        self.status = status
        self.stage = stage
        self.reason = reason
    }
}

/// The progress of one analysis as it happens, for logs (node) and stderr (`autoseg run`).
public enum AnalysisEvent: Sendable {
    /// A series loaded, with what the loader reported about it.
    case loaded(series: String, slices: Int, warnings: [String], seconds: Double)
    case analyzed(findings: Int, seconds: Double)
    case written(objects: Int, seconds: Double)
    /// The analysis ended in `stage` (refused or failed); `reason` says why.
    case ended(stage: AnalysisOutcome.Stage, status: AnalysisOutcome.Status, reason: String, seconds: Double)
}

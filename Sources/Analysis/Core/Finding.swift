import Foundation
import Imaging

/// What kind of thing a finding is (drives SEG/SR codes).
public enum FindingKind: String, Sendable, Codable {
    /// A lung nodule (27925004 SCT).
    case nodule
    /// A focal liver lesion (52988006 SCT).
    case lesion
    /// An ischemic infarct core (55641003 SCT).
    case core
    /// The hypoperfused region (Tmax > 6 s), core included.
    case hypoperfusion
}

public enum Laterality: String, Sendable, Codable {
    case right, left, bilateral
}

/// One thing an analyzer found: its mask on the source grid, measurements with units, a
/// category, a confidence in [0, 1] and the reason for it in words.
public struct Finding: Sendable {
    /// 1-based, stable within a result (the tracking identifier and the SEG segment number − 1).
    public var number: Int
    public var kind: FindingKind
    /// The analyzer's category, e.g. "solid", "part-solid", "ground-glass", "hypodense",
    /// "hyperdense", "cyst-like", "core".
    public var category: String
    public var mask: RegionMask
    /// Centroid in patient coordinates (LPS, mm).
    public var centroidMM: SIMD3<Double>
    public var laterality: Laterality?
    /// Where, in words ("right upper zone", "liver segment edge", "left hemisphere").
    public var site: String
    public var measurements: [Measurement]
    /// Categorical assessments (Lung-RADS), each at most once.
    public var assessments: [Assessment]
    public var confidence: Double
    public var reason: String

    public init(number: Int, kind: FindingKind, category: String, mask: RegionMask,
                centroidMM: SIMD3<Double>, laterality: Laterality? = nil, site: String = "",
                measurements: [Measurement], assessments: [Assessment] = [], confidence: Double, reason: String) {
        self.number = number
        self.kind = kind
        self.category = category
        self.mask = mask
        self.centroidMM = centroidMM
        self.laterality = laterality
        self.site = site
        self.measurements = measurements
        self.assessments = assessments
        self.confidence = min(1, max(0, confidence))
        self.reason = reason
    }

    /// The value of measurement `kind`, if present.
    public func measurement(_ kind: MeasurementName) -> Double? { measurements.first { $0.kind == kind }?.value }

    /// The value of assessment `kind`, if present.
    public func assessment(_ kind: AssessmentName) -> String? { assessments.first { $0.kind == kind }?.value }
}

/// How long one stage of an analysis took.
public struct StageTiming: Sendable, Codable, Equatable {
    public var stage: String
    public var seconds: Double

    public init(stage: String, seconds: Double) {
        self.stage = stage
        self.seconds = seconds
    }
}

/// Records stage timings: `let x = clock.stage("lung mask") { … }`.
public struct StageClock: Sendable {
    public private(set) var timings: [StageTiming] = []

    public init() {}

    public mutating func stage<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            timings.append(StageTiming(stage: name, seconds: s))
        }
        return try body()
    }

    public var total: Double { timings.reduce(0) { $0 + $1.seconds } }
}

/// An analyzer's answer for one series (or one CT perfusion study).
public struct AnalysisResult: Sendable {
    public var analyzer: AnalyzerKind
    /// The analyzer's version (goes into result UIDs and the SEG's algorithm version).
    public var version: String
    /// The series the result is about (the primary input's SeriesInstanceUID).
    public var seriesInstanceUID: String
    /// The grid every mask lives on.
    public var geometry: Geometry
    public var dimensions: Dimensions
    /// The organ the findings are in, as context ("lung", "liver", "brain") and its mask.
    public var organName: String
    public var organ: RegionMask?
    public var findings: [Finding]
    /// Per-case numbers: organ volume, tumour burden, core/Tmax/mismatch volumes, …
    public var caseMeasurements: [Measurement]
    public var timings: [StageTiming]
    /// Things worth knowing about the analysis (assumptions, warnings).
    public var notes: [String]

    public init(analyzer: AnalyzerKind, version: String, seriesInstanceUID: String, geometry: Geometry,
                dimensions: Dimensions, organName: String, organ: RegionMask?, findings: [Finding],
                caseMeasurements: [Measurement] = [], timings: [StageTiming] = [], notes: [String] = []) {
        self.analyzer = analyzer
        self.version = version
        self.seriesInstanceUID = seriesInstanceUID
        self.geometry = geometry
        self.dimensions = dimensions
        self.organName = organName
        self.organ = organ
        self.findings = findings
        self.caseMeasurements = caseMeasurements
        self.timings = timings
        self.notes = notes
    }

    /// The value of case measurement `kind`, if present.
    public func caseMeasurement(_ kind: MeasurementName) -> Double? { caseMeasurements.first { $0.kind == kind }?.value }
}

/// Why an analysis did not produce a result.
public enum AnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The analyzer cannot handle this input (wrong modality, slices too thick, no contrast, …):
    /// a normal outcome, not a failure.
    case refused(String)
    /// The analyzer tried and failed (e.g. no organ found).
    case failed(String)

    public var description: String {
        switch self {
        case .refused(let why): "refused: \(why)"
        case .failed(let why): "failed: \(why)"
        }
    }
}

/// An analyzer: pure function of its input.
public protocol Analyzer: Sendable {
    static var kind: AnalyzerKind { get }
    static var version: String { get }
    /// Throws `AnalysisError.refused` for inputs it cannot handle, with the reason.
    func analyze(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult
}

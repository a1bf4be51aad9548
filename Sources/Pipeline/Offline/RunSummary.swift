import Analysis
import Foundation
import Results

/// What `autoseg run --json` prints: every planned analysis with its status, findings, output
/// and timings; the series no analyzer was planned for, and the files that were not DICOM.
/// Optional values are written as `null`, never left out, so the keys are always there.
public struct RunSummary: Sendable, Encodable {
    public struct Finding: Sendable, Encodable {
        public var number: Int
        public var kind: FindingKind
        public var category: String
        public var volumeML: Double?
        public var confidence: Double
        public var site: String
        public var laterality: Laterality?

        enum CodingKeys: String, CodingKey {
            case number, kind, category, confidence, site, laterality
            case volumeML = "volume_ml"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(number, forKey: .number)
            try c.encode(kind, forKey: .kind)
            try c.encode(category, forKey: .category)
            try c.encode(volumeML, forKey: .volumeML)
            try c.encode(confidence, forKey: .confidence)
            try c.encode(site, forKey: .site)
            try c.encode(laterality, forKey: .laterality)
        }
    }

    public struct Object: Sendable, Encodable {
        public var kind: WrittenObject.Kind
        public var file: String
        public var sopClassUID: String
        public var sopInstanceUID: String
        public var seriesInstanceUID: String
        /// Time to build and write this object (the SEG's includes reading the source positions).
        public var writeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case kind, file
            case sopClassUID = "sop_class_uid", sopInstanceUID = "sop_instance_uid"
            case seriesInstanceUID = "series_instance_uid", writeSeconds = "write_s"
        }
    }

    public struct Timings: Sendable, Encodable {
        public var loadSeconds: Double
        public var analyzeSeconds: Double
        public var writeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case loadSeconds = "load_s", analyzeSeconds = "analyze_s", writeSeconds = "write_s"
        }
    }

    public struct Entry: Sendable, Encodable {
        public var seriesInstanceUID: String
        public var studyInstanceUID: String
        /// Every input series (CT perfusion: rCBF then Tmax).
        public var sourceSeries: [String]
        public var modality: String
        public var description: String
        public var analyzer: AnalyzerKind
        public var version: String?
        public var status: AnalysisOutcome.Status
        public var reason: String?
        public var output: String?
        public var findings: [Finding]
        public var caseMeasurements: [Analysis.Measurement]
        public var results: [Object]
        public var timings: Timings

        enum CodingKeys: String, CodingKey {
            case modality, description, analyzer, version, status, reason, output, findings, results, timings
            case seriesInstanceUID = "series_instance_uid", studyInstanceUID = "study_instance_uid"
            case sourceSeries = "source_series", caseMeasurements = "case_measurements"
        }

        public init(plan: PlannedAnalysis, outcome o: AnalysisOutcome) {
            seriesInstanceUID = plan.primary.seriesInstanceUID
            studyInstanceUID = plan.primary.studyInstanceUID
            sourceSeries = plan.series.map(\.seriesInstanceUID)
            modality = plan.primary.first.modality ?? ""
            description = plan.primary.first.seriesDescription ?? ""
            analyzer = plan.analyzer
            version = o.document?.version
            status = o.status
            reason = o.reason
            output = o.output
            findings = (o.document?.findings ?? []).map {
                Finding(number: $0.number, kind: $0.kind, category: $0.category,
                        volumeML: $0.measurements.first { $0.kind == .volume }?.value, confidence: $0.confidence,
                        site: $0.site, laterality: $0.laterality)
            }
            caseMeasurements = o.document?.caseMeasurements ?? []
            results = o.written.map {
                Object(kind: $0.kind, file: URL(fileURLWithPath: $0.path).lastPathComponent, sopClassUID: $0.sopClassUID,
                       sopInstanceUID: $0.sopInstanceUID, seriesInstanceUID: $0.seriesInstanceUID, writeSeconds: $0.seconds)
            }
            timings = Timings(loadSeconds: o.loadSeconds, analyzeSeconds: o.analyzeSeconds, writeSeconds: o.writeSeconds)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(seriesInstanceUID, forKey: .seriesInstanceUID)
            try c.encode(studyInstanceUID, forKey: .studyInstanceUID)
            try c.encode(sourceSeries, forKey: .sourceSeries)
            try c.encode(modality, forKey: .modality)
            try c.encode(description, forKey: .description)
            try c.encode(analyzer, forKey: .analyzer)
            try c.encode(version, forKey: .version)
            try c.encode(status, forKey: .status)
            try c.encode(reason, forKey: .reason)
            try c.encode(output, forKey: .output)
            try c.encode(findings, forKey: .findings)
            try c.encode(caseMeasurements, forKey: .caseMeasurements)
            try c.encode(results, forKey: .results)
            try c.encode(timings, forKey: .timings)
        }
    }

    public struct NotAnalyzed: Sendable, Encodable {
        public var seriesInstanceUID: String
        public var studyInstanceUID: String
        public var modality: String
        public var description: String
        public var files: Int
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case modality, description, files, reason
            case seriesInstanceUID = "series_instance_uid", studyInstanceUID = "study_instance_uid"
        }

        public init(_ u: Unanalyzed) {
            seriesInstanceUID = u.series.seriesInstanceUID
            studyInstanceUID = u.series.studyInstanceUID
            modality = u.series.first.modality ?? ""
            description = u.series.first.seriesDescription ?? ""
            files = u.series.files.count
            reason = u.reason
        }
    }

    public struct Skipped: Sendable, Encodable {
        public var path: String
        public var reason: String
    }

    public struct Counts: Sendable, Encodable {
        public var analyzed = 0, refused = 0, failed = 0, unanalyzed = 0, skippedFiles = 0

        enum CodingKeys: String, CodingKey {
            case analyzed, refused, failed, unanalyzed
            case skippedFiles = "skipped_files"
        }
    }

    public var output: String
    public var dicomFiles: Int
    public var series: Int
    public var analyses: [Entry]
    public var unanalyzed: [NotAnalyzed]
    public var skippedFiles: [Skipped]
    public var counts: Counts
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case output, series, analyses, unanalyzed, counts, seconds
        case dicomFiles = "dicom_files", skippedFiles = "skipped_files"
    }

    public init(output: String, scan: SeriesScan.Result, analyses: [Entry], unanalyzed: [Unanalyzed],
                seconds: Double) {
        self.output = output
        dicomFiles = scan.series.reduce(0) { $0 + $1.files.count }
        series = scan.series.count
        self.analyses = analyses
        self.unanalyzed = unanalyzed.map(NotAnalyzed.init)
        skippedFiles = scan.skipped.map { Skipped(path: $0.path, reason: $0.reason) }
        counts = Counts(analyzed: analyses.filter { $0.status == .analyzed }.count,
                        refused: analyses.filter { $0.status == .refused }.count,
                        failed: analyses.filter { $0.status == .failed }.count,
                        unanalyzed: unanalyzed.count, skippedFiles: scan.skipped.count)
        self.seconds = seconds
    }

    /// Pretty, key-sorted JSON.
    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(self), as: UTF8.self)) ?? "{}"
    }
}

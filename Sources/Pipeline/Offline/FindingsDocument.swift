import Analysis
import Foundation
import Imaging

/// `findings.json`, written by `autoseg run` next to `labels.nii` for each analyzed series:
/// everything the analyzer found, without patient identifiers. `labels.nii` holds finding
/// `number` as the label of its voxels on the source series' grid (lesion-like findings
/// painted over a hypoperfusion region).
public struct FindingsDocument: Sendable, Codable {
    public struct Item: Sendable, Codable {
        public var number: Int
        public var kind: FindingKind
        public var category: String
        public var centroidMM: [Double]
        public var laterality: Laterality?
        public var site: String
        public var measurements: [Analysis.Measurement]
        /// Categorical assessments by name, e.g. `{"lung_rads": "4A"}`.
        public var assessments: [String: String]
        public var confidence: Double
        public var reason: String
        public var voxels: Int

        enum CodingKeys: String, CodingKey {
            case number, kind, category, laterality, site, measurements, assessments, confidence, reason, voxels
            case centroidMM = "centroid_mm"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            number = try c.decode(Int.self, forKey: .number)
            kind = try c.decode(FindingKind.self, forKey: .kind)
            category = try c.decode(String.self, forKey: .category)
            centroidMM = try c.decode([Double].self, forKey: .centroidMM)
            laterality = try c.decodeIfPresent(Laterality.self, forKey: .laterality)
            site = try c.decode(String.self, forKey: .site)
            let stored = try c.decode([StoredMeasurement].self, forKey: .measurements)
            measurements = StoredMeasurement.current(stored)
            // Absent in findings written before assessments existed (0.8 and earlier wrote the
            // Lung-RADS category as a measurement, a number without its letter).
            assessments = try c.decodeIfPresent([String: String].self, forKey: .assessments) ?? [:]
            if assessments.isEmpty, let old = stored.first(where: { $0.name == "lung_rads" }) {
                assessments[AssessmentName.lungRADS.rawValue] = String(Int(old.value))
            }
            confidence = try c.decode(Double.self, forKey: .confidence)
            reason = try c.decode(String.self, forKey: .reason)
            voxels = try c.decode(Int.self, forKey: .voxels)
        }

        public init(number: Int, kind: FindingKind, category: String, centroidMM: [Double], laterality: Laterality?,
                    site: String, measurements: [Analysis.Measurement], assessments: [String: String],
                    confidence: Double, reason: String, voxels: Int) {
            self.number = number
            self.kind = kind
            self.category = category
            self.centroidMM = centroidMM
            self.laterality = laterality
            self.site = site
            self.measurements = measurements
            self.assessments = assessments
            self.confidence = confidence
            self.reason = reason
            self.voxels = voxels
        }
    }

    public var analyzer: AnalyzerKind
    public var version: String
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    /// Every input series (CT perfusion: rCBF and Tmax).
    public var sourceSeries: [String]
    public var organ: String
    public var organVoxels: Int
    public var caseMeasurements: [Analysis.Measurement]
    public var findings: [Item]
    public var timings: [StageTiming]
    public var notes: [String]

    public init(result r: AnalysisResult, studyInstanceUID: String, sourceSeries: [String]) {
        analyzer = r.analyzer
        version = r.version
        seriesInstanceUID = r.seriesInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.sourceSeries = sourceSeries
        organ = r.organName
        organVoxels = r.organ?.voxelCount ?? 0
        caseMeasurements = r.caseMeasurements
        findings = r.findings.map {
            Item(number: $0.number, kind: $0.kind, category: $0.category,
                 centroidMM: [$0.centroidMM.x, $0.centroidMM.y, $0.centroidMM.z], laterality: $0.laterality,
                 site: $0.site, measurements: $0.measurements,
                 assessments: Dictionary($0.assessments.map { ($0.kind.rawValue, $0.value) }, uniquingKeysWith: { a, _ in a }),
                 confidence: $0.confidence, reason: $0.reason,
                 voxels: $0.mask.voxelCount)
        }
        timings = r.timings
        notes = r.notes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        analyzer = try c.decode(AnalyzerKind.self, forKey: .analyzer)
        version = try c.decode(String.self, forKey: .version)
        seriesInstanceUID = try c.decode(String.self, forKey: .seriesInstanceUID)
        studyInstanceUID = try c.decode(String.self, forKey: .studyInstanceUID)
        sourceSeries = try c.decode([String].self, forKey: .sourceSeries)
        organ = try c.decode(String.self, forKey: .organ)
        organVoxels = try c.decode(Int.self, forKey: .organVoxels)
        caseMeasurements = StoredMeasurement.current(try c.decode([StoredMeasurement].self, forKey: .caseMeasurements))
        findings = try c.decode([Item].self, forKey: .findings)
        timings = try c.decode([StageTiming].self, forKey: .timings)
        notes = try c.decode([String].self, forKey: .notes)
    }

    enum CodingKeys: String, CodingKey {
        case analyzer, version, organ, findings, timings, notes
        case seriesInstanceUID = "series_instance_uid", studyInstanceUID = "study_instance_uid"
        case sourceSeries = "source_series", organVoxels = "organ_voxels", caseMeasurements = "case_measurements"
    }
}

/// A measurement as any AutoSeg version wrote it in findings.json, so that `autoseg eval` and
/// the importers read results written before a name changed: `diameter` (0.8 and earlier: the
/// equivalent-sphere diameter, now `equivalent_diameter`); names this version does not know
/// (a newer writer's, or `lung_rads`, now an assessment) are left out, not fatal.
struct StoredMeasurement: Decodable {
    var name: String
    var value: Double
    var unit: String

    static let renamed: [String: MeasurementName] = ["diameter": .equivalentDiameter]

    static func current(_ stored: [StoredMeasurement]) -> [Analysis.Measurement] {
        stored.compactMap { m in
            (MeasurementName(rawValue: m.name) ?? renamed[m.name]).map { Analysis.Measurement($0, m.value, m.unit) }
        }
    }
}

import Analysis
import DICOM
import Foundation
import Imaging
import Results

/// `expected.json` and the per-segment masks: what the written objects must contain, stated
/// independently of the writers (the contract: organ first, then findings in order; tracking
/// UIDs from `ResultUIDs`).
enum Expected {
    struct Item: Encodable {
        var name: String
        var value: Double
        var unit: String
    }

    struct Segment: Encodable {
        var number: Int
        var label: String
        var trackingID: String
        var trackingUID: String
        var findingNumber: Int?
        var mask: String
        var voxels: Int
    }

    struct FindingRecord: Encodable {
        var number: Int
        var kind: String
        var category: String
        var laterality: String?
        var site: String
        var reason: String
        var confidence: Double
        var segment: Int
        var trackingUID: String
        var measurements: [Item]
        /// Assessment name → value (Lung-RADS).
        var assessments: [String: String]
    }

    struct Document: Encodable {
        var caseName: String
        var analyzer: String
        var version: String
        var organ: String
        var studyUID: String
        var sourceSeriesUID: String
        var sourceInstanceUids: [String]
        var sourceFiles: [String]
        var dimensions: [Int]
        var dropped: [String]
        var written: [WrittenObject]
        var segments: [Segment]
        var findings: [FindingRecord]
        var caseMeasurements: [Item]
    }

    static func write(result: AnalysisResult, loaded: LoadedVolume, written: [WrittenObject], study: StudyAttributes,
                      caseName: String, to dir: URL) throws {
        let masks = dir.appendingPathComponent("masks")
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        let uids = ResultUIDs(sourceSeriesUID: loaded.seriesInstanceUID, analyzer: result.analyzer, version: result.version)
        var segments: [Segment] = []
        func add(_ m: RegionMask, label: String, trackingID: String, trackingUID: String, finding: Int?) throws {
            let number = segments.count + 1
            let name = "masks/segment-\(number).bin"
            try Data(m.full().voxels).write(to: dir.appendingPathComponent(name))
            segments.append(Segment(number: number, label: label, trackingID: trackingID, trackingUID: trackingUID,
                                    findingNumber: finding, mask: name, voxels: m.voxelCount))
        }
        if let organ = result.organ, organ.voxelCount > 0 {
            let name = result.organName.capitalized
            try add(organ, label: name, trackingID: name, trackingUID: uids.organTracking, finding: nil)
        }
        var findings: [FindingRecord] = []
        for f in result.findings where f.mask.voxelCount > 0 {
            let noun = FindingCoding.noun(of: f.kind)
            try add(f.mask, label: "\(noun) \(f.number)", trackingID: "\(noun) \(f.number)",
                    trackingUID: uids.tracking(finding: f.number), finding: f.number)
            findings.append(FindingRecord(number: f.number, kind: f.kind.rawValue, category: f.category,
                                          laterality: f.laterality?.rawValue, site: f.site, reason: f.reason,
                                          confidence: f.confidence, segment: segments.count,
                                          trackingUID: uids.tracking(finding: f.number),
                                          measurements: f.measurements.map { Item(name: $0.name, value: $0.value, unit: $0.unit) },
                                          assessments: Dictionary(f.assessments.map { ($0.kind.rawValue, $0.value) },
                                                                  uniquingKeysWith: { a, _ in a })))
        }
        let d = loaded.volume.dimensions
        let doc = Document(caseName: caseName, analyzer: result.analyzer.rawValue, version: result.version,
                           organ: result.organName, studyUID: study.studyInstanceUID,
                           sourceSeriesUID: loaded.seriesInstanceUID, sourceInstanceUids: loaded.sopInstanceUIDs,
                           sourceFiles: loaded.sources.map(\.path), dimensions: [d.slices, d.rows, d.columns],
                           dropped: study.dropped, written: written, segments: segments, findings: findings,
                           caseMeasurements: result.caseMeasurements.map { Item(name: $0.name, value: $0.value, unit: $0.unit) })
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        try e.encode(doc).write(to: dir.appendingPathComponent("expected.json"))
    }
}

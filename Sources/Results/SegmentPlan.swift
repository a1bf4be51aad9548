import Analysis
import DICOM
import Foundation

/// The segments of a result's SEG, numbered as the SEG numbers them: the organ first (when the
/// result has one), then the findings in order. The SR references these numbers.
struct SegmentPlan {
    struct Segment {
        var number: Int
        var mask: RegionMask
        var label: String
        var description: String
        var category: Code
        var type: Code
        var anatomicRegion: Code?
        var anatomicModifier: Code?
        var trackingID: String
        var trackingUID: String
        var rgb: (UInt8, UInt8, UInt8)
        /// The finding, or nil for the organ.
        var finding: Finding?
    }

    var segments: [Segment]

    /// Distinct, bright colours for findings (cycled); the organ is a muted green.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (255, 225, 25), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
        (0, 130, 200), (210, 245, 60),
    ]

    init(result: AnalysisResult, uids: ResultUIDs) {
        segments = []
        let organCode = FindingCoding.organ(result.organName) ?? FindingCoding.organ(for: result.analyzer)
        if let organ = result.organ, organ.voxelCount > 0 {
            let name = result.organName.isEmpty ? organCode.meaning : result.organName.capitalized
            segments.append(Segment(number: 1, mask: organ, label: name, description: "\(name) (context)",
                                    category: Codes.anatomicalStructure, type: organCode, anatomicRegion: nil,
                                    anatomicModifier: nil, trackingID: name, trackingUID: uids.organTracking,
                                    rgb: (128, 174, 128), finding: nil))
        }
        for (i, f) in result.findings.enumerated() where f.mask.voxelCount > 0 {
            let noun = FindingCoding.noun(of: f.kind)
            // LO: no backslash (the value delimiter), at most 64 characters.
            let words = [f.category, f.site].filter { !$0.isEmpty }.joined(separator: ", ")
                .replacingOccurrences(of: "\\", with: "/")
            segments.append(Segment(number: segments.count + 1, mask: f.mask, label: "\(noun) \(f.number)",
                                    description: String(ASCIIText.clean(words).prefix(64)),
                                    category: Codes.morphologicallyAbnormalStructure, type: FindingCoding.type(of: f.kind),
                                    anatomicRegion: organCode, anatomicModifier: FindingCoding.laterality(f.laterality),
                                    trackingID: "\(noun) \(f.number)", trackingUID: uids.tracking(finding: f.number),
                                    rgb: Self.palette[i % Self.palette.count], finding: f))
        }
    }

    /// The segment number of finding `number`, if it has a segment.
    func segmentNumber(finding number: Int) -> Int? {
        segments.first { $0.finding?.number == number }?.number
    }

    var organ: Segment? { segments.first { $0.finding == nil } }

    /// Whether any voxel belongs to two segments (SegmentsOverlap).
    var overlaps: Bool {
        for i in segments.indices {
            for j in segments.indices where j > i {
                if Self.overlap(segments[i].mask, segments[j].mask) { return true }
            }
        }
        return false
    }

    static func overlap(_ a: RegionMask, _ b: RegionMask) -> Bool {
        let lo = (max(a.box.lower.slice, b.box.lower.slice), max(a.box.lower.row, b.box.lower.row),
                  max(a.box.lower.column, b.box.lower.column))
        let hi = (min(a.box.upper.slice, b.box.upper.slice), min(a.box.upper.row, b.box.upper.row),
                  min(a.box.upper.column, b.box.upper.column))
        guard lo.0 <= hi.0, lo.1 <= hi.1, lo.2 <= hi.2 else { return false }
        for s in lo.0...hi.0 {
            for r in lo.1...hi.1 {
                for c in lo.2...hi.2 where a.contains(s, r, c) && b.contains(s, r, c) { return true }
            }
        }
        return false
    }
}

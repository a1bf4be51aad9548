import DICOM

/// The body regions a series shows, as routing sees them (DESIGN §8): from BodyPartExamined
/// and SeriesDescription when they name one, else, for CT, from the pixels (`ContentProbe`).
/// Headers win when they are specific; generic values (PARTIALBODY, WHOLEBODY, BODY, empty,
/// …) say nothing about where the lungs or the liver are.
public struct SeriesRegions: Sendable, Equatable {
    public enum Source: String, Sendable { case header, pixels, none }

    public var regions: [BodyRegion]
    public var source: Source
    /// In words: which header words, or the probe's summary.
    public var reason: String

    static let words: [(BodyRegion, [String])] = [
        (.chest, ["CHEST", "THORAX", "LUNG", "THX", "THORAC"]),
        (.abdomen, ["ABDOMEN", "ABD", "LIVER", "HEPAT"]),
        (.head, ["HEAD", "BRAIN", "SKULL", "NEURO", "CEREB"]),
    ]

    /// The regions `h`'s BodyPartExamined and SeriesDescription name (CHESTABDOMEN: both).
    public static func fromHeader(_ h: FileInfo) -> [BodyRegion] {
        let text = ((h.bodyPartExamined ?? "") + " " + (h.seriesDescription ?? "")).uppercased()
        return words.filter { $0.1.contains(where: { text.contains($0) }) }.map(\.0)
    }

    /// The regions of `s`: the header's, else the pixels' (CT only; the probe runs then).
    public static func of(_ s: ScannedSeries) -> SeriesRegions {
        let named = fromHeader(s.first)
        if !named.isEmpty {
            let part = s.first.bodyPartExamined.map { "BodyPartExamined \($0)" }
            let what = part ?? "description \"\(s.first.seriesDescription ?? "")\""
            return SeriesRegions(regions: named, source: .header, reason: what)
        }
        guard s.first.modality == "CT" else {
            return SeriesRegions(regions: [], source: .none, reason: "no region in the header")
        }
        let c = s.content
        let header = "BodyPartExamined \(s.first.bodyPartExamined ?? "absent"), description \"\(s.first.seriesDescription ?? "")\""
        return SeriesRegions(regions: c.regions, source: c.notProbed == nil ? .pixels : .none,
                             reason: "\(header) name no region; pixels: \(c.summary)")
    }

    /// "chest and abdomen".
    public var names: String { regions.map(\.rawValue).joined(separator: " and ") }
}

import Foundation

/// A body region a series can show, as rules name it (`region = "chest"`).
public enum BodyRegion: String, Sendable, Codable, CaseIterable {
    case chest, abdomen, head
}

/// The contrast phase of a CT, as rules name it (`contrast_phase = "portal-venous"`).
public enum ContrastPhase: String, Sendable, Codable, CaseIterable {
    /// No intravenous contrast: blood at 30–60 HU.
    case none
    /// Arterial: the aorta far brighter than the not-yet-enhanced liver.
    case arterial
    /// Portal-venous (or later): enhanced blood and enhanced liver parenchyma.
    case portalVenous = "portal-venous"
}

/// One number behind a preflight decision.
public struct ContentMeasurement: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var unit: String

    public var text: String {
        let v = abs(value) >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
        return "\(name) \(v)\(unit.isEmpty ? "" : " " + unit)"
    }
}

/// What the preflight (`ContentProbe`) found in a series' pixels: the regions it shows, the
/// contrast phase, and the measurements behind them, in words and numbers.
public struct ContentFindings: Sendable, Equatable {
    /// Regions the pixels show (empty: none recognised, or the series was not probed).
    public var regions: [BodyRegion] = []
    /// The measured contrast phase (CT of the trunk), nil when it could not be measured.
    public var phase: ContrastPhase?
    /// The numbers behind the decisions.
    public var measurements: [ContentMeasurement] = []
    /// Why each region or phase was (or was not) found, in words.
    public var evidence: [String] = []
    /// Slices decoded.
    public var slices = 0
    /// One line per decoded image (position, lung and liver share of the body, HU), for
    /// `rules test --verbose`.
    public var images: [String] = []
    /// Wall time of the probe, s.
    public var seconds = 0.0
    /// Why the pixels were not probed (MR, one file, not decodable), or nil.
    public var notProbed: String?

    public init() {}

    /// One line: "chest, abdomen; portal-venous (9 slices, 0.12 s): lung 31 % of body in 6/9 slices; …".
    public var summary: String {
        if let notProbed { return "not probed: \(notProbed)" }
        let what = regions.isEmpty ? "no region recognised" : regions.map(\.rawValue).joined(separator: ", ")
        let phaseText = phase.map { "; contrast \($0.rawValue)" } ?? ""
        return "\(what)\(phaseText) (\(slices) slices, \(String(format: "%.2f", seconds)) s): "
            + evidence.joined(separator: "; ")
    }

    /// The measurement named `name`, if taken.
    public func value(_ name: String) -> Double? { measurements.first { $0.name == name }?.value }
}

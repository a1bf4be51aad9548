import Analysis
import DICOM

/// The UIDs of one analysis' results, derived (DESIGN §7) from the source series, the
/// analyzer and its version: a re-run writes the same UIDs, so it replaces rather than
/// duplicates what a PACS already holds.
public struct ResultUIDs: Sendable, Equatable {
    public let sourceSeriesUID: String
    public let analyzer: AnalyzerKind
    public let version: String

    public init(sourceSeriesUID: String, analyzer: AnalyzerKind, version: String) {
        self.sourceSeriesUID = sourceSeriesUID
        self.analyzer = analyzer
        self.version = version
    }

    private func derive(_ parts: String...) -> String {
        UID.derived([sourceSeriesUID, analyzer.rawValue, version] + parts)
    }

    public var segSeries: String { derive("seg", "series") }
    public var segInstance: String { derive("seg", "instance") }
    public var srSeries: String { derive("sr", "series") }
    public var srInstance: String { derive("sr", "instance") }
    public var scSeries: String { derive("sc", "series") }
    /// The key image of finding `number`.
    public func scInstance(finding number: Int) -> String { derive("sc", "instance", String(number)) }
    /// Tracking UID of finding `number` (SEG segment and SR measurement group share it).
    public func tracking(finding number: Int) -> String { derive("tracking", "finding", String(number)) }
    /// Tracking UID of the organ segment.
    public var organTracking: String { derive("tracking", "organ") }
    /// Tracking UID of the case-level measurement group.
    public var caseTracking: String { derive("tracking", "case") }
    public var dimensionOrganization: String { derive("seg", "dimension-organization") }
    /// Device Observer UID of the SR: the analyzer and version, whatever the series.
    public var device: String { UID.derived("AutoSeg", analyzer.rawValue, version, "device") }
}

import Analysis
import Imaging

/// One synthetic series of a phantom: an analyzer input (voxels in HU for CT, in the map's unit
/// otherwise) whose `info.seriesInstanceUID` is left empty (the DICOM writer assigns it).
public typealias PhantomSeries = InputSeries

/// A synthetic case with known truth. Every series shares the grid of `labels`.
public struct Phantom: Sendable {
    public var kind: AnalyzerKind
    public var seed: UInt64
    public var series: [PhantomSeries]
    /// 0 = background, lesion `label` = its `TruthLesion.label`.
    public var labels: Volume<UInt16>
    public var lesions: [TruthLesion]
    /// Per-case truth volumes in mL (infarct: "core", "tmax", "mismatch"; liver: "liver").
    public var caseVolumesML: [String: Double]
    /// Patient-level description written into the DICOM (PatientName etc. are derived from it).
    public var name: String

    public init(kind: AnalyzerKind, seed: UInt64, series: [PhantomSeries], labels: Volume<UInt16>,
                lesions: [TruthLesion], caseVolumesML: [String: Double] = [:], name: String) {
        self.kind = kind
        self.seed = seed
        self.series = series
        self.labels = labels
        self.lesions = lesions
        self.caseVolumesML = caseVolumesML
        self.name = name
    }

    /// All series as one analyzer input.
    public var input: AnalysisInput { AnalysisInput(series: series) }
}

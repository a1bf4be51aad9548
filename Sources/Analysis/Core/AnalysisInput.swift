import Imaging

/// The analyzers AutoSeg ships (DESIGN §8). The raw value is the name used on the CLI, in the
/// config's rules and in result file names.
public enum AnalyzerKind: String, Codable, Sendable, CaseIterable {
    case lung, liver, infarct
}

/// What a series is to an analyzer.
public enum InputRole: String, Codable, Sendable {
    /// An ordinary image series (CT in HU, MR in stored units).
    case image
    /// An apparent diffusion coefficient map, values in 10⁻⁶ mm²/s.
    case adc
    /// A CT perfusion relative cerebral blood flow map (any linear unit; the analyzer compares
    /// hemispheres, so only ratios matter).
    case rcbf
    /// A CT perfusion Tmax map, seconds.
    case tmax
    /// An MR diffusion-weighted trace image (b ≈ 1000 s/mm²), stored units: read only relative
    /// to the same patient's normal-appearing brain, with its ADC map.
    case dwi
}

/// What an analyzer knows about a series apart from its voxels: the DICOM attributes its
/// refusal rules look at, already read by the caller (Analysis knows nothing of DICOM).
public struct SeriesInfo: Sendable, Codable, Equatable {
    public var seriesInstanceUID: String
    /// Modality (0008,0060), e.g. "CT", "MR".
    public var modality: String
    /// BodyPartExamined (0018,0015), upper case, may be empty.
    public var bodyPart: String
    /// SeriesDescription (0008,103E).
    public var seriesDescription: String
    /// SliceThickness (0018,0050) in mm when present; the slice spacing is in the volume.
    public var sliceThicknessMM: Double?
    /// ImageType (0008,0008) values, upper case.
    public var imageType: [String]
    /// FrameOfReferenceUID (0020,0052); empty when absent. Two series of one frame of reference
    /// share patient coordinates, so one can be resampled onto the other's grid.
    public var frameOfReferenceUID: String = ""
    /// ContrastBolusAgent (0018,0010); empty when absent.
    public var contrastAgent: String
    /// The unit of the voxel values as loaded ("HU", or a map's unit).
    public var units: String
    /// The contrast phase the preflight measured in the pixels ("none", "arterial",
    /// "portal-venous") when ContrastBolusAgent is absent; empty when not measured.
    public var contrastPhase: String = ""
    /// The measurements behind `contrastPhase`, in words.
    public var contrastEvidence: String = ""
    /// Diffusion weighting of an MR series in s/mm² (DiffusionBValue, or the vendor's private
    /// b-value), to pair a DWI trace b≈1000 with its ADC map; nil when no attribute says.
    public var diffusionBValue: Double?

    public init(seriesInstanceUID: String = "", modality: String, bodyPart: String = "",
                seriesDescription: String = "", sliceThicknessMM: Double? = nil,
                imageType: [String] = [], contrastAgent: String = "", units: String = "") {
        self.seriesInstanceUID = seriesInstanceUID
        self.modality = modality
        self.bodyPart = bodyPart
        self.seriesDescription = seriesDescription
        self.sliceThicknessMM = sliceThicknessMM
        self.imageType = imageType
        self.contrastAgent = contrastAgent
        self.units = units
    }
}

/// One series handed to an analyzer.
public struct InputSeries: Sendable {
    public var role: InputRole
    public var info: SeriesInfo
    public var volume: Volume<Float>

    public init(role: InputRole, info: SeriesInfo, volume: Volume<Float>) {
        self.role = role
        self.info = info
        self.volume = volume
    }
}

/// Everything an analyzer gets: one series (CT, ADC) or several of one study on one grid
/// (CT perfusion: rCBF and Tmax).
public struct AnalysisInput: Sendable {
    public var series: [InputSeries]

    public init(series: [InputSeries]) { self.series = series }
    public init(_ one: InputSeries) { self.series = [one] }

    /// The first series with `role`, if any.
    public func series(_ role: InputRole) -> InputSeries? { series.first { $0.role == role } }
}

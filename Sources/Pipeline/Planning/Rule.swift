/// A `[[rules]]` entry: which analyzers a completed series goes to. Rules are tried in
/// order and the first match wins; an absent field matches anything.
public struct Rule: Sendable, Equatable {
    /// The analyzers a rule can name; `none` means "matched, do not analyze".
    public static let analyzers = ["lung", "liver", "infarct", "none"]
    /// The regions `region` can name.
    public static let regions = BodyRegion.allCases.map(\.rawValue)
    /// The phases `contrast_phase` can name.
    public static let phases = ContrastPhase.allCases.map(\.rawValue)

    /// `analyzer` (required): one of `Rule.analyzers`, or a list of them (a chest–abdomen CT:
    /// `["lung", "liver"]`); the first one is `analyzer`.
    public var analyzers: [String]
    public var analyzer: String { analyzers.first ?? "none" }
    /// `modality`: the series' Modality (0008,0060), e.g. "CT", "MR".
    public var modality: String?
    /// `body_part`: accepted BodyPartExamined (0018,0015) values (a string or an array in the file).
    public var bodyPart: [String]?
    /// `series_description`: a regular expression (NSRegularExpression syntax) searched in SeriesDescription.
    public var seriesDescription: String?

    /// `min_slice_thickness`, `max_slice_thickness`: accepted SliceThickness (0018,0050) range in mm
    /// (a series without SliceThickness does not match a rule that sets either).
    public var minSliceThickness: Double?
    public var maxSliceThickness: Double?
    /// `image_type`: values that must all appear in ImageType (0008,0008), e.g. "ADC" or ["ORIGINAL", "AXIAL"].
    public var imageType: [String]?
    /// `region`: regions the series must all show (`SeriesRegions`: the header's when it names
    /// one, else the pixels'), e.g. "chest" or ["chest", "abdomen"].
    public var region: [String]?
    /// `contrast_phase`: accepted measured phases of a CT (`ContentProbe`), e.g. "portal-venous"
    /// or ["arterial", "portal-venous"]; a series whose phase cannot be measured does not match.
    public var contrastPhase: [String]?

    public init(analyzer: String, modality: String? = nil, bodyPart: [String]? = nil, seriesDescription: String? = nil,
                minSliceThickness: Double? = nil, maxSliceThickness: Double? = nil, imageType: [String]? = nil,
                region: [String]? = nil, contrastPhase: [String]? = nil) {
        self.init(analyzers: [analyzer], modality: modality, bodyPart: bodyPart, seriesDescription: seriesDescription,
                  minSliceThickness: minSliceThickness, maxSliceThickness: maxSliceThickness, imageType: imageType,
                  region: region, contrastPhase: contrastPhase)
    }

    public init(analyzers: [String], modality: String? = nil, bodyPart: [String]? = nil, seriesDescription: String? = nil,
                minSliceThickness: Double? = nil, maxSliceThickness: Double? = nil, imageType: [String]? = nil,
                region: [String]? = nil, contrastPhase: [String]? = nil) {
        self.analyzers = analyzers
        self.modality = modality
        self.bodyPart = bodyPart
        self.seriesDescription = seriesDescription
        self.minSliceThickness = minSliceThickness
        self.maxSliceThickness = maxSliceThickness
        self.imageType = imageType
        self.region = region
        self.contrastPhase = contrastPhase
    }
}

/// A `[[rules]]` entry: which analyzer a completed series goes to. Rules are tried in
/// order and the first match wins; an absent field matches anything.
public struct Rule: Sendable, Equatable {
    /// The analyzers a rule can name; `none` means "matched, do not analyze".
    public static let analyzers = ["lung", "liver", "infarct", "none"]

    /// `analyzer` (required): one of `Rule.analyzers`.
    public var analyzer: String
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

    public init(analyzer: String, modality: String? = nil, bodyPart: [String]? = nil, seriesDescription: String? = nil,
                minSliceThickness: Double? = nil, maxSliceThickness: Double? = nil, imageType: [String]? = nil) {
        self.analyzer = analyzer
        self.modality = modality
        self.bodyPart = bodyPart
        self.seriesDescription = seriesDescription
        self.minSliceThickness = minSliceThickness
        self.maxSliceThickness = maxSliceThickness
        self.imageType = imageType
    }
}

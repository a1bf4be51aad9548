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

    static let keys = ["analyzer", "modality", "body_part", "series_description", "min_slice_thickness",
                       "max_slice_thickness", "image_type"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        guard let analyzer = try r.string("analyzer", ConfigCheck.analyzer) else {
            throw .invalid(r.fullKey("analyzer"), "is required (one of \(Rule.analyzers.joined(separator: ", ")))")
        }
        self.init(analyzer: analyzer,
                  modality: try r.string("modality", ConfigCheck.nonEmpty),
                  bodyPart: try r.strings("body_part", ConfigCheck.nonEmpty, acceptsSingle: true, nonEmpty: true),
                  seriesDescription: try r.string("series_description", ConfigCheck.regex),
                  minSliceThickness: try r.number("min_slice_thickness", ConfigCheck.positive),
                  maxSliceThickness: try r.number("max_slice_thickness", ConfigCheck.positive),
                  imageType: try r.strings("image_type", ConfigCheck.nonEmpty, acceptsSingle: true, nonEmpty: true))
        if let lo = minSliceThickness, let hi = maxSliceThickness, lo > hi {
            throw .invalid(r.fullKey("min_slice_thickness"), "must not exceed max_slice_thickness (\(lo) > \(hi))")
        }
    }

    func validate(key: String) throws(ConfigError) {
        try ConfigCheck.analyzer.validate(analyzer, key: key + ".analyzer")
        if let modality { try ConfigCheck.nonEmpty.validate(modality, key: key + ".modality") }
        if let bodyPart {
            if bodyPart.isEmpty { throw .invalid(key + ".body_part", "must not be an empty array") }
            for (i, part) in bodyPart.enumerated() {
                try ConfigCheck.nonEmpty.validate(part, key: key + ".body_part[\(i)]")
            }
        }
        if let seriesDescription {
            try ConfigCheck.regex.validate(seriesDescription, key: key + ".series_description")
        }
    }
}

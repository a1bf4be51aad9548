/// `truth.json`: what the phantom contains, for `autoseg eval` and people.
public struct TruthDocument: Sendable, Codable, Equatable {
    public struct Series: Sendable, Codable, Equatable {
        public var role: InputRole
        public var seriesInstanceUID: String
        public var modality: String
        public var description: String
        public var folder: String

        public init(role: InputRole, seriesInstanceUID: String, modality: String, description: String, folder: String) {
            self.role = role
            self.seriesInstanceUID = seriesInstanceUID
            self.modality = modality
            self.description = description
            self.folder = folder
        }

        enum CodingKeys: String, CodingKey {
            case role, modality, description, folder
            case seriesInstanceUID = "series_instance_uid"
        }
    }

    public var kind: AnalyzerKind
    public var seed: UInt64
    public var size: Int
    public var studyInstanceUID: String
    public var series: [Series]
    /// Grid of `truth.nii` and of every series: slices × rows × columns, spacing mm.
    public var dimensions: [Int]
    public var spacingMM: [Double]
    public var lesions: [TruthLesion]
    public var volumesML: [String: Double]
    /// Of reader truth (LIDC): the readers' point marks of nodules < 3 mm and non-nodules. By
    /// LIDC convention they are neither targets nor false positives: a prediction on one is
    /// not counted (`Evaluation.onMark`). `nil` for phantoms.
    public var smallMarks: [SmallMark]?

    public init(kind: AnalyzerKind, seed: UInt64, size: Int, studyInstanceUID: String, series: [Series],
                dimensions: [Int], spacingMM: [Double], lesions: [TruthLesion], volumesML: [String: Double]) {
        self.kind = kind
        self.seed = seed
        self.size = size
        self.studyInstanceUID = studyInstanceUID
        self.series = series
        self.dimensions = dimensions
        self.spacingMM = spacingMM
        self.lesions = lesions
        self.volumesML = volumesML
    }

    enum CodingKeys: String, CodingKey {
        case kind, seed, size, series, dimensions, lesions
        case studyInstanceUID = "study_instance_uid", spacingMM = "spacing_mm", volumesML = "volumes_ml"
        case smallMarks = "small_marks"
    }
}

/// A reader's point mark that is neither a target nor a false positive (LIDC: a nodule < 3 mm
/// or a non-nodule).
public struct SmallMark: Sendable, Codable, Equatable {
    /// "nodule<3mm" or "non-nodule".
    public var kind: String
    /// Centre in patient coordinates (LPS, mm).
    public var centerMM: [Double]

    public init(kind: String, centerMM: [Double]) {
        self.kind = kind
        self.centerMM = centerMM
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case centerMM = "center_mm"
    }
}

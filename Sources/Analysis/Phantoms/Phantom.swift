import Imaging

/// One lesion a phantom contains, as written to `truth.json`.
public struct TruthLesion: Sendable, Codable, Equatable {
    /// Its value in the truth label volume (`truth.nii`), 1…N.
    public var label: Int
    /// What it is: lung "solid" / "part-solid" / "ground-glass" (plus "juxtapleural" in `site`),
    /// liver "metastasis" / "cyst" / "hyperdense", infarct "core".
    public var type: String
    /// Centre in patient coordinates (LPS, mm).
    public var centerMM: [Double]
    /// The three principal diameters of the drawn shape, mm, largest first.
    public var diametersMM: [Double]
    /// Equivalent-sphere diameter of the labelled voxels, mm (what size bins use).
    public var diameterMM: Double
    /// Volume of the labelled voxels, mL.
    public var volumeML: Double
    /// Whether a detector is expected to find it (counts towards sensitivity).
    public var target: Bool
    /// Where, in words ("right upper zone, juxtapleural", "liver edge", …).
    public var site: String

    public init(label: Int, type: String, centerMM: [Double], diametersMM: [Double], diameterMM: Double,
                volumeML: Double, target: Bool = true, site: String = "") {
        self.label = label
        self.type = type
        self.centerMM = centerMM
        self.diametersMM = diametersMM
        self.diameterMM = diameterMM
        self.volumeML = volumeML
        self.target = target
        self.site = site
    }

    enum CodingKeys: String, CodingKey {
        case label, type, site, target
        case centerMM = "center_mm", diametersMM = "diameters_mm", diameterMM = "diameter_mm", volumeML = "volume_ml"
    }
}

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
    }
}

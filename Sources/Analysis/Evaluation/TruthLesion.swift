/// One lesion a phantom contains, as written to `truth.json`: what `Evaluation` scores
/// predictions against (the `Phantoms` target makes them).
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
    /// Of reader truth (LIDC): how many readers marked it; `nil` for phantoms. `autoseg eval
    /// --min-readers N` makes only lesions with at least N readers targets.
    public var readers: Int?

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
        case label, type, site, target, readers
        case centerMM = "center_mm", diametersMM = "diameters_mm", diameterMM = "diameter_mm", volumeML = "volume_ml"
    }
}

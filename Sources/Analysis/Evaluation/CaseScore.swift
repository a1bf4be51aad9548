/// How one truth lesion fared.
public struct LesionScore: Sendable, Codable, Equatable {
    public var truthLabel: Int
    public var type: String
    public var diameterMM: Double
    public var target: Bool
    /// The prediction matched to it (its label / finding number), if any.
    public var matchedPrediction: Int?
    /// Dice of the lesion with its matched prediction (0 when missed).
    public var dice: Double
    public var truthVolumeML: Double
    /// Volume of the matched prediction (0 when missed).
    public var predictedVolumeML: Double

    public var detected: Bool { matchedPrediction != nil }
    /// Signed relative volume error in % (nil when missed).
    public var volumeErrorPercent: Double? {
        guard detected, truthVolumeML > 0 else { return nil }
        return (predictedVolumeML - truthVolumeML) / truthVolumeML * 100
    }

    enum CodingKeys: String, CodingKey {
        case type, target, dice
        case truthLabel = "truth_label", diameterMM = "diameter_mm", matchedPrediction = "matched_prediction"
        case truthVolumeML = "truth_volume_ml", predictedVolumeML = "predicted_volume_ml"
    }
}

/// A per-case volume (core, Tmax, mismatch, liver) compared with its truth.
public struct VolumeComparison: Sendable, Codable, Equatable {
    public var name: String
    public var truthML: Double
    public var predictedML: Double

    public var errorML: Double { predictedML - truthML }
    public var errorPercent: Double { truthML > 0 ? errorML / truthML * 100 : (predictedML == 0 ? 0 : .infinity) }

    enum CodingKeys: String, CodingKey {
        case name
        case truthML = "truth_ml", predictedML = "predicted_ml"
    }
}

/// The score of one case (one analyzed series against its phantom truth).
public struct CaseScore: Sendable, Codable, Equatable {
    public var name: String
    public var analyzer: AnalyzerKind
    public var lesions: [LesionScore]
    /// Predictions that matched no truth lesion (and lie on no reader's small mark).
    public var falsePositives: [Int]
    /// Predictions that matched no truth lesion but lie on a reader's small mark (LIDC nodule
    /// < 3 mm or non-nodule): neither true nor false positives.
    public var onSmallMarks: [Int]
    /// Dice of the union of all truth lesions with the union of all predicted lesions
    /// (1 when both are empty).
    public var caseDice: Double
    public var volumes: [VolumeComparison]

    enum CodingKeys: String, CodingKey {
        case name, analyzer, lesions, volumes
        case falsePositives = "false_positives", caseDice = "case_dice", onSmallMarks = "on_small_marks"
    }
}

/// Every categorical assessment an analyzer reports beside its measurements. The raw value is
/// the stable machine key in findings JSON and CSV and the catalog; the SR codes each one as a
/// coded evaluation (`FindingCoding.assessment` in `Results`).
public enum AssessmentName: String, Sendable, Codable, CaseIterable {
    /// Lung-RADS v2022 category of a nodule at baseline: "2", "3", "4A", "4B" or "4X".
    case lungRADS = "lung_rads"

    /// How a radiologist names it.
    public var title: String {
        switch self {
        case .lungRADS: "Lung-RADS v2022 category"
        }
    }
}

/// One categorical assessment of a finding, e.g. Lung-RADS "4A".
public struct Assessment: Sendable, Codable, Equatable {
    public var kind: AssessmentName
    public var value: String

    public init(_ kind: AssessmentName, _ value: String) {
        self.kind = kind
        self.value = value
    }
}

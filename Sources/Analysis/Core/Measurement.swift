/// One number with its unit (UCUM: "mL", "mm", "mm3", "[hnsf'U]", "um2/s", "s", "%", "1").
/// `kind` says what it measures; SR encoding and exports map it to codes.
public struct Measurement: Sendable, Codable, Equatable {
    public var kind: MeasurementName
    public var value: Double
    public var unit: String

    /// The stable machine key (`volume`, `long_axis`, `mean_hu`, …): `kind`'s raw value, the
    /// key of JSON, CSV and catalog records.
    public var name: String { kind.rawValue }

    public init(_ kind: MeasurementName, _ value: Double, _ unit: String) {
        self.kind = kind
        self.value = value
        self.unit = unit
    }

    enum CodingKeys: String, CodingKey {
        case kind = "name", value, unit
    }
}

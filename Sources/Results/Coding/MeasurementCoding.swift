import DICOM

/// How one measurement is written in the SR: its concept name, for statistics of a map
/// (mean, standard deviation) the derivation modifier (TID 1419 row 4), and for a measurement
/// of one side of an organ its own finding site with laterality (TID 1419 rows 9-10).
public struct MeasurementConcept: Sendable, Equatable {
    public var concept: Code
    public var derivation: Code?
    public var site: Code?
    public var laterality: Code?

    public init(_ concept: Code, derivation: Code? = nil, site: Code? = nil, laterality: Code? = nil) {
        self.concept = concept
        self.derivation = derivation
        self.site = site
        self.laterality = laterality
    }
}

/// Maps the analyzers' measurement names (`Measurement.name`) and UCUM units to codes:
/// DESIGN §7's codes where it has one, IBSI's sphericity, else the private scheme.
public enum MeasurementCoding {
    static let table: [String: MeasurementConcept] = [
        "volume": .init(Codes.volume),
        "diameter": .init(Codes.diameter),
        "long_axis": .init(Codes.longAxis),
        "short_axis": .init(Codes.shortAxis),
        "mean_hu": .init(Codes.attenuationCoefficient, derivation: Codes.mean),
        "sd_hu": .init(Codes.attenuationCoefficient, derivation: Codes.standardDeviation),
        "mean_adc": .init(Codes.apparentDiffusionCoefficient, derivation: Codes.mean),
        "sd_adc": .init(Codes.apparentDiffusionCoefficient, derivation: Codes.standardDeviation),
        "mean_rcbf_ratio": .init(Codes.relativeRegionalBloodFlow, derivation: Codes.mean),
        "mean_tmax": .init(Codes.tmax, derivation: Codes.mean),
        "sphericity": .init(Codes.sphericity),
        "distance_to_pleura": .init(.autoseg("DIST-PLEURA", "Distance to pleura")),
        "contrast_to_liver": .init(.autoseg("CONTRAST-LIVER", "Contrast to liver")),
        "lung_rads": .init(.autoseg("LUNG-RADS", "Lung-RADS v2022 category")),
        "tumour_burden": .init(.autoseg("TUMOUR-BURDEN", "Tumour burden")),
        "lesion_count": .init(.autoseg("LESION-COUNT", "Lesion count")),
        "core_volume": .init(.autoseg("CORE-VOLUME", "Infarct core volume")),
        "tmax6_volume": .init(.autoseg("TMAX6-VOLUME", "Tmax > 6 s volume")),
        "mismatch_volume": .init(.autoseg("MISMATCH-VOLUME", "Mismatch volume")),
        "mismatch_ratio": .init(.autoseg("MISMATCH-RATIO", "Mismatch ratio")),
        "confidence": .init(Codes.confidence),
    ]

    /// The concept for measurement `name`; unknown names get a private code made from the
    /// name, so a new measurement is never lost (only less portable).
    public static func concept(for name: String) -> MeasurementConcept {
        if let known = table[name] { return known }
        // "right_lung_volume": Volume, site Lung, laterality Right (else the right and left
        // lung volumes would be two indistinguishable Volume items).
        for (prefix, side) in [("right_", Codes.right), ("left_", Codes.left)] where name.hasPrefix(prefix) && name.hasSuffix("_volume") {
            if let organ = FindingCoding.organ(String(name.dropFirst(prefix.count).dropLast("_volume".count))) {
                return .init(Codes.volume, site: organ, laterality: side)
            }
        }
        if name.hasSuffix("_volume") { return .init(Codes.volume) }
        let words = name.replacingOccurrences(of: "_", with: " ")
        return .init(.autoseg(name, words.prefix(1).uppercased() + words.dropFirst()))
    }

    /// Whether `name` is a case measurement that is the volume of organ `organ` (e.g.
    /// "lung_volume"); it is reported with the organ's segment rather than in the case group.
    public static func isOrganVolume(_ name: String, organ: String) -> Bool {
        name == "\(organ.lowercased())_volume"
    }

    /// The UCUM code of a unit string as the analyzers write it.
    public static func unit(_ ucum: String) -> Code {
        switch ucum {
        case "mL": Code("mL", "UCUM", "milliliter")
        case "mm": Code("mm", "UCUM", "millimeter")
        case "mm2": Code("mm2", "UCUM", "square millimeter")
        case "mm3": Code("mm3", "UCUM", "cubic millimeter")
        case "[hnsf'U]": Code("[hnsf'U]", "UCUM", "Hounsfield unit")
        case "um2/s": Code("um2/s", "UCUM", "um2/s")
        case "%": Code("%", "UCUM", "Percent")
        case "s": Code("s", "UCUM", "second")
        case "1", "": Code("1", "UCUM", "no units")
        default: Code(ucum, "UCUM", ucum)
        }
    }
}

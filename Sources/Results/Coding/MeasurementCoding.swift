import Analysis
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

/// Maps the analyzers' measurements (`Measurement.kind`) and UCUM units to codes: DESIGN §7's
/// codes where it has one, IBSI's sphericity, else the private scheme. Every `MeasurementName`
/// has its concept here (an exhaustive switch: a new measurement does not compile without one).
public enum MeasurementCoding {
    /// The concept for measurement `kind`.
    public static func concept(for kind: MeasurementName) -> MeasurementConcept {
        switch kind {
        case .volume: .init(Codes.volume)
        // The sphere of the same volume: not a caliper diameter, so not SNOMED's "Diameter".
        case .equivalentDiameter: .init(.autoseg("EQ-DIAMETER", "Equivalent sphere diameter"))
        case .longAxis: .init(Codes.longAxis)
        case .shortAxis: .init(Codes.shortAxis)
        // Lung-RADS v2022's size: (long + short axis) / 2; no standard code.
        case .meanDiameter: .init(.autoseg("MEAN-DIAMETER", "Mean diameter (Lung-RADS)"))
        case .sphericity: .init(Codes.sphericity)
        // No standard code for the solid part of a part-solid nodule (Lung-RADS sizes it apart).
        case .solidDiameter: .init(.autoseg("SOLID-DIAMETER", "Solid component diameter"))
        case .meanHU: .init(Codes.attenuationCoefficient, derivation: Codes.mean)
        case .sdHU: .init(Codes.attenuationCoefficient, derivation: Codes.standardDeviation)
        case .meanADC: .init(Codes.apparentDiffusionCoefficient, derivation: Codes.mean)
        case .sdADC: .init(Codes.apparentDiffusionCoefficient, derivation: Codes.standardDeviation)
        case .meanRCBFRatio: .init(Codes.relativeRegionalBloodFlow, derivation: Codes.mean)
        case .meanTmax: .init(Codes.tmax, derivation: Codes.mean)
        case .distanceToPleura: .init(.autoseg("DIST-PLEURA", "Distance to pleura"))
        case .contrastToLiver: .init(.autoseg("CONTRAST-LIVER", "Contrast to liver"))
        case .confidence: .init(Codes.confidence)
        // An organ's volume: its group's finding (or the case summary's site) says which organ.
        case .lungVolume, .liverVolume, .brainVolume: .init(Codes.volume)
        // One side of an organ: Volume with its own site and laterality (else the right and left
        // lung volumes would be two indistinguishable Volume items).
        case .rightLungVolume: .init(Codes.volume, site: Codes.lung, laterality: Codes.right)
        case .leftLungVolume: .init(Codes.volume, site: Codes.lung, laterality: Codes.left)
        case .tumourBurden: .init(.autoseg("TUMOUR-BURDEN", "Tumour burden"))
        case .lesionCount: .init(.autoseg("LESION-COUNT", "Lesion count"))
        case .coreVolume: .init(.autoseg("CORE-VOLUME", "Infarct core volume"))
        case .adc620Volume: .init(.autoseg("ADC620-VOLUME", "ADC<620 volume (RAPID-comparable)"))
        case .tmax6Volume: .init(.autoseg("TMAX6-VOLUME", "Tmax > 6 s volume"))
        case .mismatchVolume: .init(.autoseg("MISMATCH-VOLUME", "Mismatch volume"))
        case .mismatchRatio: .init(.autoseg("MISMATCH-RATIO", "Mismatch ratio"))
        }
    }

    /// Whether `kind` is a case measurement that is the volume of organ `organ` (e.g.
    /// `.lungVolume` for "lung"); it is reported with the organ's segment rather than in the
    /// case group.
    public static func isOrganVolume(_ kind: MeasurementName, organ: String) -> Bool {
        kind.rawValue == "\(organ.lowercased())_volume"
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

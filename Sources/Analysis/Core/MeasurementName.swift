/// Every measurement an analyzer reports. The raw value is the stable machine key of
/// `Measurement.name`: findings JSON and CSV, the catalog and the SR coding
/// (`MeasurementCoding` in `Results` has one concept per case, so a new name cannot be added
/// without its code).
public enum MeasurementName: String, Sendable, Codable, CaseIterable {
    // Of a finding: size and shape.
    /// Volume of the mask, mL.
    case volume
    /// Diameter of the sphere of the same volume, mm (not a caliper measurement: it can exceed
    /// the long axis of a lesion elongated along the body axis).
    case equivalentDiameter = "equivalent_diameter"
    /// Longest in-plane diameter on the axial slice where it is greatest, caliper edge to edge
    /// (Lung-RADS, Fleischner, RECIST), mm.
    case longAxis = "long_axis"
    /// Largest width perpendicular to the long axis on that slice, mm.
    case shortAxis = "short_axis"
    /// Lung-RADS v2022 mean diameter: (long axis + short axis) / 2, to 0.1 mm.
    case meanDiameter = "mean_diameter"
    /// Sphericity (1 for a ball).
    case sphericity
    /// Equivalent diameter of a part-solid nodule's largest solid component, mm.
    case solidDiameter = "solid_diameter"

    // Of a finding: intensities.
    /// Mean and standard deviation of HU.
    case meanHU = "mean_hu", sdHU = "sd_hu"
    /// Mean and standard deviation of the ADC, 10⁻⁶ mm²/s.
    case meanADC = "mean_adc", sdADC = "sd_adc"
    /// Mean rCBF as a percentage of the contralateral hemisphere's.
    case meanRCBFRatio = "mean_rcbf_ratio"
    /// Mean Tmax, s.
    case meanTmax = "mean_tmax"

    // Of a finding: the analyzer's own.
    /// Distance from a lung nodule to the pleura, mm.
    case distanceToPleura = "distance_to_pleura"
    /// A liver lesion's mean HU minus the liver's.
    case contrastToLiver = "contrast_to_liver"
    /// A finding's confidence reported as a measurement.
    case confidence

    // Of a case.
    /// Organ volumes, mL (`<organ>_volume` is reported with the organ's segment).
    case lungVolume = "lung_volume", liverVolume = "liver_volume", brainVolume = "brain_volume"
    /// One lung's volume, mL.
    case rightLungVolume = "right_lung_volume", leftLungVolume = "left_lung_volume"
    /// Lesion volume as a percentage of the liver's.
    case tumourBurden = "tumour_burden"
    /// Number of liver lesions.
    case lesionCount = "lesion_count"
    /// Infarct core, Tmax > 6 s and mismatch (Tmax − core) volumes, mL.
    case coreVolume = "core_volume", tmax6Volume = "tmax6_volume", mismatchVolume = "mismatch_volume"
    /// The RAPID-comparable single-threshold volume of an ADC map: ADC < 620 ×10⁻⁶ mm²/s
    /// (brain-edge band out), mL, reported beside the core, which also asks for DWI hyperintensity.
    case adc620Volume = "adc620_volume"
    /// Tmax > 6 s volume over core volume.
    case mismatchRatio = "mismatch_ratio"
}

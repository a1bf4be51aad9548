import DICOM

extension Code {
    /// AutoSeg's private coding scheme, for concepts no standard scheme has a code for. Every
    /// SR that uses it declares it in its CodingSchemeIdentificationSequence.
    public static let privateScheme = "99AUTOSEG"
    public static let privateSchemeName = "AutoSeg private codes"
    /// The private scheme as an SR declares it.
    public static let autosegScheme = CodingScheme(designator: privateScheme, name: privateSchemeName)

    /// A code of the private scheme; `value` is upper-cased, limited to SH (16 characters).
    public static func autoseg(_ value: String, _ meaning: String) -> Code {
        let cleaned = value.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return Code(String(String(cleaned).prefix(16)), privateScheme, String(meaning.prefix(64)))
    }
}

/// The codes of DESIGN §7, plus the few more the SEG and SR need.
public enum Codes {
    // Segment categories.
    public static let morphologicallyAbnormalStructure = Code("49755003", "SCT", "Morphologically Abnormal Structure")
    public static let anatomicalStructure = Code("91723000", "SCT", "Anatomical Structure")
    // Finding types.
    public static let nodule = Code("27925004", "SCT", "Nodule")
    public static let lesion = Code("52988006", "SCT", "Lesion")
    public static let mass = Code("4147007", "SCT", "Mass")
    public static let infarct = Code("55641003", "SCT", "Infarct")
    /// The hypoperfused region (Tmax > 6 s): DESIGN §7 has no code; SNOMED CT "Ischemia"
    /// (morphologic abnormality) describes tissue with reduced blood flow, core included.
    public static let ischemia = Code("52674009", "SCT", "Ischemia")
    // Organs.
    public static let lung = Code("39607008", "SCT", "Lung")
    public static let liver = Code("10200004", "SCT", "Liver")
    public static let brain = Code("12738006", "SCT", "Brain")
    // Laterality (CID 244).
    public static let right = Code("24028007", "SCT", "Right")
    public static let left = Code("7771000", "SCT", "Left")
    public static let rightAndLeft = Code("51440002", "SCT", "Right and left")
    // Categories.
    public static let groundGlassOpacity = Code("112120", "DCM", "Ground glass opacity")
    // Measurements.
    public static let volume = Code("118565006", "SCT", "Volume")
    public static let diameter = Code("81827009", "SCT", "Diameter")
    public static let longAxis = Code("103339001", "SCT", "Long axis")
    public static let shortAxis = Code("103340004", "SCT", "Short axis")
    public static let attenuationCoefficient = Code("112031", "DCM", "Attenuation Coefficient")
    public static let apparentDiffusionCoefficient = Code("113041", "DCM", "Apparent Diffusion Coefficient")
    public static let relativeRegionalBloodFlow = Code("126397", "DCM", "Relative Regional Blood Flow")
    public static let tmax = Code("113084", "DCM", "Tmax")
    /// IBSI's sphericity feature (PS3.16 CID 7477 uses IBSI codes).
    public static let sphericity = Code("QCFX", "IBSI", "Sphericity")
    public static let mean = Code("373098007", "SCT", "Mean")
    public static let standardDeviation = Code("386136009", "SCT", "Standard Deviation")
    // SR structure.
    public static let finding = Code("121071", "DCM", "Finding")
    public static let findingSite = Code("363698007", "SCT", "Finding Site")
    public static let comment = Code("121106", "DCM", "Comment")
    public static let noAbnormality = Code("111286", "DCM", "No abnormality")
    public static let ctUnspecifiedBodyRegion = Code("25045-6", "LN", "CT unspecified body region")
    public static let mrUnspecifiedBodyRegion = Code("25056-3", "LN", "MRI unspecified body region")
    public static let imagingProcedure = Code("363679005", "SCT", "Imaging procedure")
    // SEG algorithm families (CID 7162).
    public static let multiScaleFiltering = Code("123106", "DCM", "Multi-Scale/Resolution Filtering")
    public static let histogramAnalysis = Code("123105", "DCM", "Histogram Analysis")
    // Private concepts (no standard code).
    public static let category = Code.autoseg("CATEGORY", "AutoSeg category")
    public static let confidence = Code.autoseg("CONFIDENCE", "AutoSeg confidence")
    public static let siteDescription = Code.autoseg("SITE", "Site description")
}

import Analysis
import DICOM

/// Codes and words for findings, organs, laterality and categories (DESIGN §7).
public enum FindingCoding {
    /// The segmented property type of a finding.
    public static func type(of kind: FindingKind) -> Code {
        switch kind {
        case .nodule: Codes.nodule
        case .lesion: Codes.lesion
        case .core: Codes.infarct
        case .hypoperfusion: Codes.ischemia
        }
    }

    /// The tracking identifier's noun ("Nodule 3").
    public static func noun(of kind: FindingKind) -> String {
        switch kind {
        case .nodule: "Nodule"
        case .lesion: "Lesion"
        case .core: "Infarct core"
        case .hypoperfusion: "Hypoperfusion"
        }
    }

    /// The anatomy code of an organ name ("lung", "liver", "brain"); nil for an unknown organ.
    public static func organ(_ name: String) -> Code? {
        switch name.lowercased() {
        case "lung", "lungs": Codes.lung
        case "liver": Codes.liver
        case "brain": Codes.brain
        default: nil
        }
    }

    /// The organ a finding of an analyzer lies in, when the result names none.
    public static func organ(for analyzer: AnalyzerKind) -> Code {
        switch analyzer {
        case .lung: Codes.lung
        case .liver: Codes.liver
        case .infarct: Codes.brain
        }
    }

    public static func laterality(_ l: Laterality?) -> Code? {
        switch l {
        case .right: Codes.right
        case .left: Codes.left
        case .bilateral: Codes.rightAndLeft
        case nil: nil
        }
    }

    /// The category as a code: DESIGN §7's ground-glass opacity, else a private code whose
    /// meaning is the analyzer's own word.
    public static func category(_ category: String) -> Code {
        switch category.lowercased() {
        case "ground-glass", "ground glass", "ggo": Codes.groundGlassOpacity
        default: .autoseg(category, category)
        }
    }

    /// An assessment as a coded SR evaluation: its concept and its value as a code, e.g.
    /// (Lung-RADS v2022 category, Lung-RADS 4A). No standard scheme codes Lung-RADS categories,
    /// so both are private codes whose meanings read as a radiologist writes them.
    public static func assessment(_ a: Assessment) -> (concept: Code, value: Code) {
        switch a.kind {
        case .lungRADS:
            (.autoseg("LUNG-RADS", a.kind.title), .autoseg("LUNG-RADS-\(a.value)", "Lung-RADS \(a.value)"))
        }
    }

    /// The analyzer in words, for series descriptions and SEG/SR labels.
    public static func title(of analyzer: AnalyzerKind) -> String {
        switch analyzer {
        case .lung: "lung nodules"
        case .liver: "liver lesions"
        case .infarct: "infarct"
        }
    }

    /// The SEG algorithm family (CID 7162) of an analyzer: the lung analyzer finds blobs by
    /// multi-scale Hessian filtering; liver and infarct threshold against tissue statistics.
    public static func algorithmFamily(of analyzer: AnalyzerKind) -> Code {
        analyzer == .lung ? Codes.multiScaleFiltering : Codes.histogramAnalysis
    }

    /// Procedure reported (CID 100) for the source modality.
    public static func procedure(modality: String) -> Code {
        switch modality.uppercased() {
        case "CT": Codes.ctUnspecifiedBodyRegion
        case "MR": Codes.mrUnspecifiedBodyRegion
        default: Codes.imagingProcedure
        }
    }
}

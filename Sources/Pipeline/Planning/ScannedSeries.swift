import Analysis
import DICOM

/// The files of one series found among inputs, with what the router and analyzers need.
public struct ScannedSeries: Sendable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var files: [String]
    /// Header of the first file (modality, body part, description, image type, contrast, …).
    public var first: FileInfo
    private let cache = ContentCache()

    public init(seriesInstanceUID: String, studyInstanceUID: String, files: [String], first: FileInfo) {
        self.seriesInstanceUID = seriesInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.files = files
        self.first = first
    }

    /// What the pixels show (`ContentProbe`), probed on first use and kept.
    public var content: ContentFindings { cache.get { ContentProbe.probe(self) } }

    /// Whether the series was already probed (routing asked for its content).
    public var isProbed: Bool { cache.isSet }

    /// What the series is to an analyzer, from its attributes (`DiffusionNaming`): an ADC map
    /// or a DWI trace (MR, by ImageType or vendor naming), a CT perfusion map ("TMAX" / "CBF" but not "CBV"
    /// in the description), otherwise an image.
    public var role: InputRole {
        if first.modality == "MR", let kind = DiffusionNaming.kind(of: first) { return kind == .adc ? .adc : .dwi }
        let text = ((first.seriesDescription ?? "") + " " + first.imageType.joined(separator: " ")).uppercased()
        let words = Set(text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        if words.contains("TMAX") { return .tmax }
        if words.contains("RCBF") || words.contains("CBF") { return .rcbf }
        return .image
    }

    /// SeriesInfo for the analyzer (units come from the loaded volume). With `measuredPhase`
    /// (an analyzer that checks contrast), a CT carries the phase its pixels show, whatever
    /// its ContrastBolusAgent says (the header is a hint: the agent is copied into plain
    /// series of a contrast study, and left out of contrast series).
    /// `loaded`: the series' volume, already loaded, to probe from instead of decoding a sample.
    public func info(units: String, measuredPhase: Bool = true, loaded: LoadedVolume? = nil) -> SeriesInfo {
        var info = SeriesInfo(seriesInstanceUID: seriesInstanceUID, modality: first.modality ?? "",
                              bodyPart: (first.bodyPartExamined ?? "").uppercased(),
                              seriesDescription: first.seriesDescription ?? "", sliceThicknessMM: first.sliceThickness,
                              imageType: first.imageType.map { $0.uppercased() },
                              contrastAgent: first.contrastBolusAgent ?? "", units: units)
        info.diffusionBValue = first.diffusionBValue
        if measuredPhase && first.modality == "CT" && role == .image {
            let c = loaded.map { l in cache.get { ContentProbe.probe(self, loaded: l) } } ?? content
            if let phase = c.phase {
                info.contrastPhase = phase.rawValue
                info.contrastEvidence = c.evidence.last ?? ""
            }
        }
        info.frameOfReferenceUID = first.frameOfReferenceUID ?? ""
        // A DWI series' b-value: the highest of its first and last files (b0 + b1000 in one series).
        if role == .dwi { info.diffusionBValue = DiffusionNaming.bValue(of: self) }
        return info
    }
}

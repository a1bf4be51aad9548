import Analysis
import DICOM

/// The files of one series found among inputs, with what the router and analyzers need.
public struct ScannedSeries: Sendable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var files: [String]
    /// Header of the first file (modality, body part, description, image type, contrast, …).
    public var first: FileInfo

    public init(seriesInstanceUID: String, studyInstanceUID: String, files: [String], first: FileInfo) {
        self.seriesInstanceUID = seriesInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.files = files
        self.first = first
    }

    /// What the series is to an analyzer, from its attributes: an ADC map (MR, "ADC" in the
    /// description or image type), a CT perfusion map ("TMAX" / "CBF" but not "CBV" in the
    /// description), otherwise an image.
    public var role: InputRole {
        let text = ((first.seriesDescription ?? "") + " " + first.imageType.joined(separator: " ")).uppercased()
        let words = Set(text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        if first.modality == "MR" && (words.contains("ADC") || text.contains("APPARENT DIFFUSION")) { return .adc }
        if words.contains("TMAX") { return .tmax }
        if words.contains("RCBF") || words.contains("CBF") { return .rcbf }
        return .image
    }

    /// SeriesInfo for the analyzer (units come from the loaded volume).
    public func info(units: String) -> SeriesInfo {
        SeriesInfo(seriesInstanceUID: seriesInstanceUID, modality: first.modality ?? "",
                   bodyPart: (first.bodyPartExamined ?? "").uppercased(),
                   seriesDescription: first.seriesDescription ?? "", sliceThicknessMM: first.sliceThickness,
                   imageType: first.imageType.map { $0.uppercased() }, contrastAgent: first.contrastBolusAgent ?? "",
                   units: units)
    }
}

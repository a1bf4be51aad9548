import DICOM
import Foundation

/// MR diffusion series by their attributes (DESIGN §8 preflight): ADC maps and DWI traces as
/// vendors name them. Siemens: ImageType `…\ADC` / `…\TRACEW`, descriptions `…_ADC`,
/// `…_TRACEW`; Philips: `dADC` (not `eADC`, the exponential ADC, which is not in mm²/s),
/// `DWI`; GE: "Apparent Diffusion Coefficient (mm2/s)", "DWI"; b-values written as `b1000`
/// or `b=1000`. DiffusionBValue (0018,9087) is not read here: the bridge's header read does
/// not carry it yet, so a DWI is recognised by ImageType and naming only.
public enum DiffusionNaming {
    public enum Kind: String, Sendable { case adc, dwi }

    /// Words (letters and digits, upper case) of ImageType that name an ADC map or a DWI trace.
    static let adcWords: Set<String> = ["ADC", "DADC"]
    static let dwiWords: Set<String> = ["TRACEW", "TRACE", "DWI", "DIFFUSION"]

    /// The diffusion kind of an MR series, or nil.
    public static func kind(of h: FileInfo) -> Kind? {
        guard h.modality == "MR" else { return nil }
        let description = (h.seriesDescription ?? "").uppercased()
        let words = Set((description + " " + h.imageType.joined(separator: " ").uppercased())
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        if !words.isDisjoint(with: adcWords) || description.contains("APPARENT DIFFUSION") { return .adc }
        if !words.isDisjoint(with: dwiWords) || words.contains(where: isBValue)
            || description.range(of: #"\bB\s*=\s*[0-9]"#, options: .regularExpression) != nil { return .dwi }
        return nil
    }

    /// "B1000", "B0", "B800": a b-value word.
    private static func isBValue(_ w: String) -> Bool {
        w.count >= 2 && w.first == "B" && w.dropFirst().allSatisfy(\.isNumber)
    }
}

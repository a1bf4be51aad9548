import Analysis
import DICOM
import Foundation

/// MR diffusion series by their attributes (DESIGN §8 preflight): ADC maps and DWI traces as
/// vendors name them. Siemens: ImageType `…\ADC` / `…\TRACEW`, descriptions `…_ADC`,
/// `…_TRACEW`; Philips: `dADC` (not `eADC`, the exponential ADC, which is not in mm²/s),
/// `DWI`; GE: "Apparent Diffusion Coefficient (mm2/s)", "DWI"; b-values written as `b1000`
/// or `b=1000`.
///
/// The b-value: DiffusionBValue (0018,9087) is not carried by `FileInfo` yet (the header read
/// is being extended); until then `bValue(of:)` reads it from the naming only. When `FileInfo`
/// has it, the first line of `bValue(of:)` returns it — the one place to change.
public enum DiffusionNaming {
    public enum Kind: String, Sendable { case adc, dwi }

    /// Words (letters and digits, upper case) of ImageType that name an ADC map or a DWI trace.
    static let adcWords: Set<String> = ["ADC", "DADC"]
    static let dwiWords: Set<String> = ["TRACEW", "TRACE", "DWI", "DIFFUSION"]
    /// Words of the other diffusion-derived maps, which are neither: the exponential ADC (Philips
    /// `eADC`, GE "Exponential Apparent Diffusion Coefficient", Siemens ImageType `EXP`:
    /// exp(−b·ADC), unitless) and the tensor maps (`FA`, `ColFA`, `TENSOR`), which carry
    /// DIFFUSION in their ImageType too.
    static let otherWords: Set<String> = ["EADC", "EXP", "EXPONENTIAL", "FA", "COLFA", "TENSOR"]
    /// The b-values a DWI trace for infarct reading has (`InfarctCore.dwiBValues`, b ≈ 1000).
    public static let traceBValues: ClosedRange<Double> = InfarctCore.dwiBValues

    /// The diffusion kind of an MR series, or nil.
    public static func kind(of h: FileInfo) -> Kind? {
        guard h.modality == "MR" else { return nil }
        let description = (h.seriesDescription ?? "").uppercased()
        let words = Set((description + " " + h.imageType.joined(separator: " ").uppercased())
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        guard words.isDisjoint(with: otherWords) else { return nil }
        if !words.isDisjoint(with: adcWords) || description.contains("APPARENT DIFFUSION") { return .adc }
        if !words.isDisjoint(with: dwiWords) || words.contains(where: isBValue)
            || description.range(of: #"\bB\s*=\s*[0-9]"#, options: .regularExpression) != nil { return .dwi }
        return nil
    }

    /// The b-value (s/mm²) of a diffusion image, when its header says it: DiffusionBValue (or
    /// the GE / Siemens private b-value, read by the bridge), else a `b1000` / `b=1000` /
    /// `b 1000` in the series description; nil when nothing says it.
    public static func bValue(of h: FileInfo) -> Double? {
        if let b = h.diffusionBValue { return b }
        // "b=1000" and "b 1000" become "B1000"; "ep2d_diff_b0_b1000" names two: the trace is the highest.
        let d = (h.seriesDescription ?? "").uppercased()
            .replacingOccurrences(of: #"(?<![A-Z0-9])B\s*=?\s*(?=[0-9])"#, with: "B", options: .regularExpression)
        let words = d.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return words.filter(isBValue).compactMap { Double($0.dropFirst()) }.filter { $0 <= 10_000 }.max()
    }

    /// The b-value a DWI series is read at: the highest its first and last files state (a series
    /// holding b0 and b1000 images lists them b-value by b-value or interleaved, so one of the
    /// two ends is a b1000 image); nil when neither states one.
    public static func bValue(of s: ScannedSeries) -> Double? { bValues(of: s).max() }

    /// The b-values the first and last files of a diffusion series state (one or two).
    public static func bValues(of s: ScannedSeries) -> [Double] {
        var values = [bValue(of: s.first)].compactMap { $0 }
        if s.files.count > 1, let last = s.files.last, let h = try? FileInfo.read(path: last), let b = bValue(of: h) {
            values.append(b)
        }
        return values
    }

    /// Whether a DWI series of b-value `b` (nil: unknown) can stand for the b ≈ 1000 trace: an
    /// unknown b is accepted (a series named TRACEW / DWI is the trace in every vendor's stroke
    /// protocol), a known one must lie in `traceBValues`.
    public static func isTrace(bValue b: Double?) -> Bool { b.map(traceBValues.contains) ?? true }

    /// "B1000", "B0", "B800": a b-value word.
    private static func isBValue(_ w: String) -> Bool {
        w.count >= 2 && w.first == "B" && w.dropFirst().allSatisfy(\.isNumber)
    }
}

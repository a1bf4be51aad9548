import Foundation

/// Text for DICOM's default character repertoire. Result objects copy the source's Specific
/// Character Set (whatever it is) with its patient/study attributes; everything AutoSeg writes
/// itself (every string the encoders hand the bridge) is kept to ASCII, which every character set contains, so nothing needs converting.
/// Analyzer texts such as "ADC < 620 ×10⁻⁶ mm²/s" become "ADC < 620 x10^-6 mm2/s".
public enum ASCIIText {
    static let replacements: [Character: String] = [
        "×": "x", "⁻": "^-", "⁺": "^+", "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
        "⁷": "7", "⁸": "8", "⁹": "9", "µ": "u", "μ": "u", "≥": ">=", "≤": "<=", "±": "+/-", "°": " deg",
        "–": "-", "—": "-", "‐": "-", "−": "-", "…": "...", "‘": "'", "’": "'", "“": "\"", "”": "\"", "→": "->",
        "≈": "~", "·": ".", "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Å": "A", "å": "a",
        // Greek letters the analyzers' reasons use (the lung analyzer's scale "σ 2.8 mm").
        "σ": "sigma", "Σ": "Sigma", "Δ": "delta", "δ": "delta", "λ": "lambda", "α": "alpha", "β": "beta",
    ]

    /// `s` with every non-ASCII character replaced by an ASCII look-alike (accents dropped,
    /// symbols spelled out) or "?"; control characters other than tab, CR and LF removed.
    public static func clean(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        var out = ""
        for ch in s {
            if ch.isASCII {
                if let v = ch.asciiValue, v >= 0x20 && v < 0x7F || v == 9 || v == 10 || v == 13 { out.append(ch) }
            } else if let r = replacements[ch] {
                out += r
            } else {
                let stripped = String(ch).decomposedStringWithCanonicalMapping.unicodeScalars
                    .filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }
                out += stripped.isEmpty ? "?" : String(String.UnicodeScalarView(stripped))
            }
        }
        return out
    }
}

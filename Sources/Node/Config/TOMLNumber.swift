/// TOML integers and floats: an optional sign, decimal digits with `_` only between
/// digits, no leading zeros; a float has a fraction, an exponent or both.
enum TOMLNumber {
    /// Parses `token`, found on `line`.
    static func parse(_ token: String, line: Int) throws(ConfigError) -> TOMLValue {
        func fail(_ message: String) throws(ConfigError) -> Never { throw .syntax(message, line: line) }
        var body = Substring(token)
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        if token.contains(":") || isDateLike(body) {
            try fail("dates and times are not supported (got '\(token)'; quote it to make a string)")
        }
        if body.count > 1, body.first == "0", let radix = body.dropFirst().first, "xob".contains(radix) {
            try fail("hexadecimal, octal and binary integers are not supported (got '\(token)')")
        }
        // integer part [. fraction] [e exponent]
        let exponentStart = body.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = body[..<(exponentStart ?? body.endIndex)]
        let exponent = exponentStart.map { body[body.index(after: $0)...] }
        let dot = mantissa.firstIndex(of: ".")
        let integerPart = mantissa[..<(dot ?? mantissa.endIndex)]
        let fraction = dot.map { mantissa[mantissa.index(after: $0)...] }

        guard let intDigits = digits(integerPart) else { try fail("invalid number '\(token)'") }
        if intDigits.count > 1 && intDigits.first == "0" {
            try fail("invalid number '\(token)': leading zeros are not allowed")
        }
        var fracDigits: String?
        if let fraction {
            guard let d = digits(fraction) else { try fail("invalid number '\(token)': expected digits after '.'") }
            fracDigits = d
        }
        var expDigits: String?
        if var exponent {
            var expSign = ""
            if let s = exponent.first, s == "+" || s == "-" {
                expSign = s == "-" ? "-" : ""
                exponent = exponent.dropFirst()
            }
            guard let d = digits(exponent) else { try fail("invalid number '\(token)': expected digits after 'e'") }
            expDigits = expSign + d
        }

        if fracDigits == nil && expDigits == nil {
            guard let value = Int(sign + intDigits) else { try fail("integer '\(token)' is out of range") }
            return .integer(value)
        }
        let text = sign + intDigits + (fracDigits.map { "." + $0 } ?? "") + (expDigits.map { "e" + $0 } ?? "")
        guard let value = Double(text), value.isFinite else { try fail("float '\(token)' is out of range") }
        return .float(value)
    }

    /// The digits of `s` with its underscores removed, or nil if `s` is empty, has a
    /// non-digit, or an underscore that is not between two digits.
    private static func digits(_ s: Substring) -> String? {
        guard let first = s.first, let last = s.last, first.isASCIIDigit, last.isASCIIDigit else { return nil }
        var out = ""
        var previous: Character = "_"
        for c in s {
            if c == "_" {
                guard previous != "_" else { return nil }
            } else if c.isASCIIDigit {
                out.append(c)
            } else {
                return nil
            }
            previous = c
        }
        return out
    }

    /// `1979-05-27…`: four digits then '-'.
    private static func isDateLike(_ s: Substring) -> Bool {
        let chars = Array(s.prefix(5))
        return chars.count == 5 && chars[0..<4].allSatisfy(\.isASCIIDigit) && chars[4] == "-"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

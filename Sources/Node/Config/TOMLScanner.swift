/// The character cursor under `TOMLParser`: position, line number, whitespace,
/// comments, line ends, keys and strings. Errors carry the current line.
struct TOMLScanner {
    private let text: [Unicode.Scalar]
    private(set) var index = 0
    /// The 1-based line of the character at `index`.
    private(set) var line = 1

    init(_ source: String) {
        text = Array(source.unicodeScalars)
    }

    var current: Unicode.Scalar? { peek(0) }

    func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    mutating func advance() {
        guard index < text.count else { return }
        if text[index] == "\n" { line += 1 }
        index += 1
    }

    func error(_ message: String) -> ConfigError {
        .syntax(message, line: line)
    }

    /// Spaces and tabs (not newlines).
    mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { advance() }
    }

    /// A `#` comment up to (not including) the end of the line.
    mutating func skipComment() throws(ConfigError) {
        guard current == "#" else { return }
        while let c = current, c != "\n", c != "\r" {
            if TOMLScanner.isControl(c) && c != "\t" {
                throw error("control character \(TOMLScanner.name(c)) in comment")
            }
            advance()
        }
    }

    /// Consumes `\n` or `\r\n`; false if not at a line end. A lone `\r` is an error.
    mutating func consumeNewline() throws(ConfigError) -> Bool {
        if current == "\n" { advance(); return true }
        if current == "\r" {
            guard peek(1) == "\n" else { throw error("carriage return not followed by a line feed") }
            advance(); advance()
            return true
        }
        return false
    }

    /// After a header or a `key = value`: spaces, an optional comment, then the line end (or the end of input).
    mutating func expectLineEnd(after what: String) throws(ConfigError) {
        skipSpaces()
        try skipComment()
        guard let c = current else { return }
        if try consumeNewline() { return }
        throw error("unexpected \(TOMLScanner.name(c)) after \(what) (expected end of line or '#' comment)")
    }

    /// Whitespace, newlines and comments: between lines and between array elements.
    mutating func skipTrivia() throws(ConfigError) {
        while true {
            skipSpaces()
            try skipComment()
            if try !consumeNewline() { return }
        }
    }

    // MARK: Keys

    /// A bare key (`A-Z a-z 0-9 _ -`) or a quoted one (`"…"` or `'…'`).
    mutating func parseKey() throws(ConfigError) -> String {
        switch current {
        case "\"": return try parseBasicString()
        case "'": return try parseLiteralString()
        default:
            var key = ""
            while let c = current, TOMLScanner.isBareKeyCharacter(c) {
                key.unicodeScalars.append(c)
                advance()
            }
            guard !key.isEmpty else {
                throw error(current.map { "expected a key, found \(TOMLScanner.name($0))" } ?? "expected a key")
            }
            return key
        }
    }

    static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: Strings

    /// `"…"` with escapes `\" \\ \b \t \n \f \r \uXXXX \UXXXXXXXX`, on one line.
    mutating func parseBasicString() throws(ConfigError) -> String {
        if peek(1) == "\"" && peek(2) == "\"" { throw error("multi-line strings (\"\"\") are not supported") }
        advance()
        var out = ""
        while true {
            guard let c = current, c != "\n", c != "\r" else {
                throw error("unterminated string (a string must end on the line it starts)")
            }
            advance()
            switch c {
            case "\"": return out
            case "\\": out.unicodeScalars.append(try parseEscape())
            default:
                if TOMLScanner.isControl(c) && c != "\t" {
                    throw error("control character \(TOMLScanner.name(c)) in string must be escaped")
                }
                out.unicodeScalars.append(c)
            }
        }
    }

    private mutating func parseEscape() throws(ConfigError) -> Unicode.Scalar {
        guard let c = current else { throw error("unterminated string") }
        advance()
        switch c {
        case "\"": return "\""
        case "\\": return "\\"
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let h = current, h.properties.isASCIIHexDigit else {
                    throw error("invalid escape '\\\(c)': expected \(count) hex digits")
                }
                hex.unicodeScalars.append(h)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                throw error("invalid escape '\\\(c)\(hex)': not a Unicode scalar value")
            }
            return scalar
        default:
            throw error("invalid escape '\\\(c)' in string (allowed: \\\" \\\\ \\b \\t \\n \\f \\r \\uXXXX \\UXXXXXXXX)")
        }
    }

    /// `'…'`: taken as written, no escapes, on one line.
    mutating func parseLiteralString() throws(ConfigError) -> String {
        if peek(1) == "'" && peek(2) == "'" { throw error("multi-line literal strings (''') are not supported") }
        advance()
        var out = ""
        while true {
            guard let c = current, c != "\n", c != "\r" else {
                throw error("unterminated literal string (a string must end on the line it starts)")
            }
            advance()
            if c == "'" { return out }
            if TOMLScanner.isControl(c) && c != "\t" {
                throw error("control character \(TOMLScanner.name(c)) in literal string")
            }
            out.unicodeScalars.append(c)
        }
    }

    // MARK: Characters

    static func isControl(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x20 || c.value == 0x7F
    }

    /// `'x'`, or `U+000B` for control characters, for messages.
    static func name(_ c: Unicode.Scalar) -> String {
        if c == "\n" || c == "\r" { return "end of line" }
        if isControl(c) {
            return "U+" + TOMLValue.hex4(c.value)
        }
        return "'\(c)'"
    }
}

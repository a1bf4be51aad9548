/// A small, strict parser for the TOML subset the node configuration uses.
///
/// Reads comments, blank lines, `[table]` and `[[array.of.tables]]` headers (dotted,
/// bare or quoted keys), and `key = value` lines with a bare or quoted key, where a value
/// is a basic `"string"` (escapes `\" \\ \b \t \n \f \r \uXXXX \UXXXXXXXX`), a
/// `'literal string'`, an integer (sign, `_` between digits), a float, a boolean, or an
/// array of values (may span lines, trailing comma and comments allowed, may nest).
/// Everything else (inline tables, dotted keys on the left of `=`, multi-line strings,
/// dates, hex/octal/binary integers, `inf`/`nan`) is an error that says so. Duplicate keys
/// and tables are errors. Every error carries the line it was found on.
struct TOMLParser {
    private var scanner: TOMLScanner
    private let root = TOMLTableBuilder(isDefined: true)
    /// The table `key = value` lines go into: the last header's.
    private var current: TOMLTableBuilder
    /// Its dotted path for messages (`node`, `peers[1]`; empty for the root).
    private var currentPath = ""

    static func parse(_ text: String) throws(ConfigError) -> TOMLTable {
        var parser = TOMLParser(text)
        try parser.parseDocument()
        return parser.root.build()
    }

    private init(_ text: String) {
        scanner = TOMLScanner(text)
        current = root
    }

    private mutating func parseDocument() throws(ConfigError) {
        if scanner.current == "\u{FEFF}" { scanner.advance() }
        while true {
            try scanner.skipTrivia()
            guard let c = scanner.current else { return }
            if c == "[" { try parseHeader() } else { try parseKeyValue() }
        }
    }

    // MARK: Headers

    private mutating func parseHeader() throws(ConfigError) {
        let line = scanner.line
        scanner.advance()
        let isArray = scanner.current == "["
        if isArray { scanner.advance() }
        var path: [String] = []
        repeat {
            if !path.isEmpty { scanner.advance() }  // the '.'
            scanner.skipSpaces()
            path.append(try scanner.parseKey())
            scanner.skipSpaces()
        } while scanner.current == "."
        let closing = isArray ? "]]" : "]"
        for _ in closing.unicodeScalars {
            guard scanner.current == "]" else {
                throw scanner.error("expected '\(closing)' to close the header [\(isArray ? "[" : "")\(path.joined(separator: "."))")
            }
            scanner.advance()
        }
        try scanner.expectLineEnd(after: "the header")
        if isArray { try appendTable(path, line: line) } else { try openTable(path, line: line) }
    }

    /// Walks to the parent of the last path element, creating missing tables implicitly;
    /// through an array of tables it goes into the last entry.
    private func parent(of path: [String], line: Int) throws(ConfigError) -> (TOMLTableBuilder, String) {
        var table = root
        var display = ""
        for key in path.dropLast() {
            display = TOMLParser.join(display, key)
            switch table[key] {
            case nil:
                let child = TOMLTableBuilder()
                table[key] = .table(child)
                table = child
            case .table(let child):
                table = child
            case .tableArray(let entries):
                display += "[\(entries.count - 1)]"
                table = entries[entries.count - 1]
            case .value:
                throw .syntax("'\(display)' is a value, not a table", line: line, key: display)
            }
        }
        return (table, display)
    }

    /// `[a.b]`
    private mutating func openTable(_ path: [String], line: Int) throws(ConfigError) {
        let (parent, parentPath) = try parent(of: path, line: line)
        let key = path[path.count - 1]
        let display = TOMLParser.join(parentPath, key)
        switch parent[key] {
        case nil:
            let table = TOMLTableBuilder(isDefined: true)
            parent[key] = .table(table)
            current = table
        case .table(let table) where !table.isDefined:
            table.isDefined = true
            current = table
        case .table:
            throw .syntax("duplicate table [\(display)]", line: line, key: display)
        case .tableArray:
            throw .syntax("[\(display)] is already an array of tables ([[\(display)]])", line: line, key: display)
        case .value:
            throw .syntax("[\(display)] redefines the key '\(display)'", line: line, key: display)
        }
        currentPath = display
    }

    /// `[[a.b]]`
    private mutating func appendTable(_ path: [String], line: Int) throws(ConfigError) {
        let (parent, parentPath) = try parent(of: path, line: line)
        let key = path[path.count - 1]
        let display = TOMLParser.join(parentPath, key)
        let table = TOMLTableBuilder(isDefined: true)
        switch parent[key] {
        case nil:
            parent[key] = .tableArray([table])
            currentPath = display + "[0]"
        case .tableArray(let entries):
            parent[key] = .tableArray(entries + [table])
            currentPath = display + "[\(entries.count)]"
        case .table:
            throw .syntax("[[\(display)]] but '\(display)' is already a table ([\(display)])", line: line, key: display)
        case .value:
            throw .syntax("[[\(display)]] redefines the key '\(display)'", line: line, key: display)
        }
        current = table
    }

    // MARK: Key/value lines

    private mutating func parseKeyValue() throws(ConfigError) {
        let line = scanner.line
        let key = try scanner.parseKey()
        scanner.skipSpaces()
        if scanner.current == "." {
            throw scanner.error("dotted keys ('\(key).…') are not supported; use a [table] header")
        }
        guard scanner.current == "=" else { throw scanner.error("expected '=' after key '\(key)'") }
        scanner.advance()
        scanner.skipSpaces()
        let value = try parseValue()
        try scanner.expectLineEnd(after: "the value of '\(key)'")
        let display = TOMLParser.join(currentPath, key)
        guard current[key] == nil else {
            throw .syntax("duplicate key '\(display)'", line: line, key: display)
        }
        current[key] = .value(value)
    }

    // MARK: Values

    private mutating func parseValue() throws(ConfigError) -> TOMLValue {
        guard let c = scanner.current, c != "\n", c != "\r", c != "#" else {
            throw scanner.error("expected a value")
        }
        switch c {
        case "\"": return .string(try scanner.parseBasicString())
        case "'": return .string(try scanner.parseLiteralString())
        case "[": return try parseArray()
        case "{": throw scanner.error("inline tables ({ … }) are not supported; use a [table] or [[array of tables]] header")
        default: break
        }
        var token = ""
        while let t = scanner.current, TOMLScanner.isBareKeyCharacter(t) || "+.:".unicodeScalars.contains(t) {
            token.unicodeScalars.append(t)
            scanner.advance()
        }
        if token.isEmpty { throw scanner.error("expected a value, found \(TOMLScanner.name(c))") }
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        default: break
        }
        guard let first = token.unicodeScalars.first, ("0"..."9").contains(first) || "+-.".unicodeScalars.contains(first)
        else {
            throw scanner.error("invalid value '\(token)' (strings must be quoted; booleans are true or false)")
        }
        return try TOMLNumber.parse(token, line: scanner.line)
    }

    /// `[ v, v, … ]`, possibly over several lines with comments, trailing comma allowed.
    private mutating func parseArray() throws(ConfigError) -> TOMLValue {
        let startLine = scanner.line
        scanner.advance()
        var items: [TOMLValue] = []
        while true {
            try scanner.skipTrivia()
            guard scanner.current != nil else {
                throw scanner.error("unterminated array (the array starting on line \(startLine) has no closing ']')")
            }
            if scanner.current == "]" { scanner.advance(); return .array(items) }
            items.append(try parseValue())
            try scanner.skipTrivia()
            switch scanner.current {
            case ",": scanner.advance()
            case "]": scanner.advance(); return .array(items)
            case nil:
                throw scanner.error("unterminated array (the array starting on line \(startLine) has no closing ']')")
            case let other?:
                throw scanner.error("expected ',' or ']' in array, found \(TOMLScanner.name(other))")
            }
        }
    }

    private static func join(_ base: String, _ key: String) -> String {
        base.isEmpty ? key : base + "." + key
    }
}

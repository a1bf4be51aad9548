import Foundation

/// Reads the typed values of one table of the file, with the environment overrides for
/// that table winning over the file. Every error names the full dotted key, or the
/// environment variable when the value came from one, says what was expected and what
/// was given. A read returns nil when the key is absent (the caller applies the default).
struct ConfigReader {
    /// The table's dotted path: "" (root), "node", "peers[0]".
    let path: String
    let table: TOMLTable
    /// key → the variable that sets it and its raw text.
    let overrides: [String: (variable: String, raw: String)]

    init(path: String, table: TOMLTable, overrides: [String: (variable: String, raw: String)] = [:]) {
        self.path = path
        self.table = table
        self.overrides = overrides
    }

    func fullKey(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// Throws for the first key, in document order, that is not in `known`.
    func rejectUnknownKeys(_ known: [String]) throws(ConfigError) {
        for (key, value) in table.entries where !known.contains(key) {
            let isSection: Bool
            switch value {
            case .table: isSection = true
            case .array(let items): isSection = !items.isEmpty && items.allSatisfy { if case .table = $0 { true } else { false } }
            default: isSection = false
            }
            throw .unknownKey(fullKey(key), isSection: isSection)
        }
    }

    private enum Source {
        case file(TOMLValue)
        case environment(variable: String, raw: String)
    }

    private func source(_ key: String) -> Source? {
        if let o = overrides[key] { return .environment(variable: o.variable, raw: o.raw) }
        return table[key].map(Source.file)
    }

    // MARK: Scalars

    func int(_ key: String, _ check: ConfigCheck.Integer) throws(ConfigError) -> Int? {
        switch source(key) {
        case nil: return nil
        case .file(.integer(let v))?:
            try check.validate(v, key: fullKey(key))
            return v
        case .file(let other)?:
            throw .invalid(fullKey(key), expected: check.expected, got: other.display)
        case .environment(let variable, let raw)?:
            guard case .integer(let v)? = try? TOMLNumber.parse(trimmed(raw), line: 0) else {
                throw .invalid(variable, expected: check.expected, got: TOMLValue.quoted(raw))
            }
            try check.validate(v, key: variable)
            return v
        }
    }

    /// An integer or a float.
    func number(_ key: String, _ check: ConfigCheck.Number) throws(ConfigError) -> Double? {
        let value: Double
        let name: String
        switch source(key) {
        case nil: return nil
        case .file(.integer(let v))?: (value, name) = (Double(v), fullKey(key))
        case .file(.float(let v))?: (value, name) = (v, fullKey(key))
        case .file(let other)?:
            throw .invalid(fullKey(key), expected: check.expected, got: other.display)
        case .environment(let variable, let raw)?:
            switch try? TOMLNumber.parse(trimmed(raw), line: 0) {
            case .integer(let v)?: value = Double(v)
            case .float(let v)?: value = v
            default: throw .invalid(variable, expected: check.expected, got: TOMLValue.quoted(raw))
            }
            name = variable
        }
        try check.validate(value, key: name)
        return value
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        switch source(key) {
        case nil: return nil
        case .file(.boolean(let b))?: return b
        case .file(let other)?: throw .invalid(fullKey(key), expected: "true or false", got: other.display)
        case .environment(let variable, let raw)?:
            switch trimmed(raw).lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: throw .invalid(variable, expected: "true or false", got: TOMLValue.quoted(raw))
            }
        }
    }

    func string(_ key: String, _ check: ConfigCheck.Text) throws(ConfigError) -> String? {
        switch source(key) {
        case nil: return nil
        case .file(.string(let s))?:
            try check.validate(s, key: fullKey(key))
            return s
        case .file(let other)?:
            throw .invalid(fullKey(key), expected: check.expected, got: other.display)
        case .environment(let variable, let raw)?:
            try check.validate(raw, key: variable)
            return raw
        }
    }

    /// An array of strings (or, if `acceptsSingle`, one string), each passing `check`.
    /// From the environment: a comma-separated list. `nonEmpty` rejects `[]`.
    func strings(_ key: String, _ check: ConfigCheck.Text, acceptsSingle: Bool = false, nonEmpty: Bool = false)
        throws(ConfigError) -> [String]?
    {
        let expected = (acceptsSingle ? "a string or " : "") + (nonEmpty ? "a non-empty " : "an ")
            + "array of strings, each \(check.expected)"
        switch source(key) {
        case nil: return nil
        case .environment(let variable, let raw)?:
            let items = raw.split(separator: ",").map { trimmed(String($0)) }.filter { !$0.isEmpty }
            if nonEmpty && items.isEmpty { throw .invalid(variable, expected: expected, got: TOMLValue.quoted(raw)) }
            for item in items { try check.validate(item, key: variable) }
            return items
        case .file(let value)?:
            var items: [String] = []
            switch value {
            case .string(let s) where acceptsSingle:
                try check.validate(s, key: fullKey(key))
                items = [s]
            case .array(let elements):
                for (i, element) in elements.enumerated() {
                    guard case .string(let s) = element else {
                        throw .invalid(fullKey(key) + "[\(i)]", expected: check.expected, got: element.display)
                    }
                    try check.validate(s, key: fullKey(key) + "[\(i)]")
                    items.append(s)
                }
            default:
                throw .invalid(fullKey(key), expected: expected, got: value.display)
            }
            if nonEmpty && items.isEmpty { throw .invalid(fullKey(key), expected: expected, got: value.display) }
            return items
        }
    }

    // MARK: Tables

    /// The sub-table `key` (empty if absent), read with `overrides`.
    func section(_ key: String, overrides: [String: (variable: String, raw: String)]) throws(ConfigError) -> ConfigReader {
        switch table[key] {
        case nil: return ConfigReader(path: fullKey(key), table: TOMLTable(), overrides: overrides)
        case .table(let t)?: return ConfigReader(path: fullKey(key), table: t, overrides: overrides)
        case let other?: throw .invalid(fullKey(key), expected: "a table ([\(fullKey(key))])", got: other.display)
        }
    }

    /// The entries of the array of tables `key` (`[[key]]`); empty if absent.
    func tableArray(_ key: String) throws(ConfigError) -> [ConfigReader] {
        guard let value = table[key] else { return [] }
        let expected = "an array of tables ([[\(fullKey(key))]])"
        guard case .array(let items) = value else { throw .invalid(fullKey(key), expected: expected, got: value.display) }
        var readers: [ConfigReader] = []
        for (i, item) in items.enumerated() {
            guard case .table(let t) = item else { throw .invalid(fullKey(key), expected: expected, got: value.display) }
            readers.append(ConfigReader(path: fullKey(key) + "[\(i)]", table: t))
        }
        return readers
    }

    private func trimmed(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespaces)
    }
}

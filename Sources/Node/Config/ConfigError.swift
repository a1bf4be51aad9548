/// A configuration problem: a syntax error in the file, an unknown key, section or
/// environment variable, or a value of the wrong type or out of range.
///
/// `description` is the one line the CLI prints before exiting with status 2, e.g.
/// `config: node.port: must be an integer in 0...65535 (got "abc")`,
/// `config: unknown key 'node.colour'` or `config: line 7: expected '=' after key 'port'`.
/// Keys are dotted paths; entries of arrays of tables are indexed from 0 (`peers[1].host`
/// is the second `[[peers]]`). A value set from the environment is named by its variable
/// (`AUTOSEG_NODE_PORT`).
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    enum Code: Sendable, Equatable {
        case syntax, unknownKey, unknownSection, unknownVariable, invalidValue, unreadableFile
    }

    let code: Code
    /// The dotted key (or environment variable) at fault, if the error is about one.
    public let key: String?
    /// What is wrong, without the `config:` prefix, line or key.
    public let message: String
    /// The line of the file, for syntax errors (1-based).
    public let line: Int?
    /// The file (or `<string>`) a syntax error was found in.
    public let source: String?

    init(_ code: Code, key: String? = nil, message: String, line: Int? = nil, source: String? = nil) {
        self.code = code
        self.key = key
        self.message = message
        self.line = line
        self.source = source
    }

    public var description: String {
        switch code {
        case .syntax:
            var prefix = "config: "
            if let source, source != NodeConfig.stringSource { prefix += "\(source): " }
            if let line { prefix += "line \(line): " }
            return prefix + message
        case .invalidValue:
            return "config: " + (key.map { "\($0): " } ?? "") + message
        case .unknownKey, .unknownSection, .unknownVariable, .unreadableFile:
            return "config: " + message
        }
    }

    /// This error attributed to the file (or string) it was read from.
    func from(source: String) -> ConfigError {
        ConfigError(code, key: key, message: message, line: line, source: source)
    }

    // MARK: Makers

    static func syntax(_ message: String, line: Int, key: String? = nil) -> ConfigError {
        ConfigError(.syntax, key: key, message: message, line: line)
    }

    static func unknownKey(_ key: String, isSection: Bool) -> ConfigError {
        ConfigError(isSection ? .unknownSection : .unknownKey, key: key,
                    message: "unknown \(isSection ? "section" : "key") '\(key)'")
    }

    static func unknownVariable(_ name: String) -> ConfigError {
        ConfigError(.unknownVariable, key: name,
                    message: "unknown environment variable '\(name)': it names no configuration key"
                        + " (AUTOSEG_<SECTION>_<KEY>; [[peers]] and [[rules]] cannot be set from the environment)")
    }

    /// `key: must be <expected> (got <given>)`.
    static func invalid(_ key: String, expected: String, got given: String) -> ConfigError {
        ConfigError(.invalidValue, key: key, message: "must be \(expected) (got \(given))")
    }

    static func invalid(_ key: String, _ message: String) -> ConfigError {
        ConfigError(.invalidValue, key: key, message: message)
    }

    static func unreadable(_ path: String, _ reason: String) -> ConfigError {
        ConfigError(.unreadableFile, message: "cannot read config file '\(path)': \(reason)")
    }
}

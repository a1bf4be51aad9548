import Foundation
import Pipeline

/// The node's configuration (`conf/autoseg.toml`, DESIGN §4): every key optional with a
/// documented default, unknown keys are errors, `AUTOSEG_<SECTION>_<KEY>` environment
/// variables override the file.
public struct NodeConfig: Sendable, Equatable {
    /// `[node]`
    public var node = NodeSection()
    /// `[security]`
    public var security = SecuritySection()
    /// `[pipeline]`
    public var pipeline = PipelineSection()
    /// `[[peers]]`: known DICOM nodes.
    public var peers: [Peer] = []
    /// `[[rules]]`: routing, first match wins.
    public var rules: [Rule] = []
    /// `[http]`
    public var http = HTTPSection()
    /// The file this configuration was read from (nil: built-in defaults or a string).
    public var source: String?

    /// All defaults (no peers, no rules).
    public init() {}

    public init(node: NodeSection = NodeSection(), security: SecuritySection = SecuritySection(),
                pipeline: PipelineSection = PipelineSection(), peers: [Peer] = [], rules: [Rule] = [],
                http: HTTPSection = HTTPSection())
    {
        self.node = node
        self.security = security
        self.pipeline = pipeline
        self.peers = peers
        self.rules = rules
        self.http = http
    }

    /// The `source` of a configuration given as a string: not named in error messages.
    static let stringSource = "<string>"
    static let sections = ["node", "security", "pipeline", "peers", "rules", "http"]

    /// Loads the file (nil path = defaults only, missing explicit file = error), then
    /// applies environment overrides, then validates.
    public static func load(path: String?, environment: [String: String]) throws(ConfigError) -> NodeConfig {
        guard let path else { return try decode(TOMLTable(), environment: environment) }
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigError.unreadable(path, "not valid UTF-8")
            }
            text = decoded
        } catch let error as ConfigError {
            throw error
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw .unreadable(path, reason)
        }
        var config = try parse(toml: text, environment: environment, source: path)
        config.source = path
        return config
    }

    /// Parses TOML text, applies environment overrides, validates. `source` names the
    /// text in syntax errors (a file path; `<string>` is not shown).
    public static func parse(toml: String, environment: [String: String] = [:], source: String = "<string>")
        throws(ConfigError) -> NodeConfig
    {
        let table: TOMLTable
        do {
            table = try TOMLParser.parse(toml)
        } catch {
            throw error.from(source: source)
        }
        return try decode(table, environment: environment)
    }

    /// Checks every value and the rules between them (TLS needs a certificate and key).
    /// `load` and `parse` do this; call it on a configuration built in code.
    public func validate() throws(ConfigError) {
        try node.validate()
        try security.validate()
        try pipeline.validate()
        for (i, peer) in peers.enumerated() {
            try peer.validate(key: "peers[\(i)]")
            if peer.tls && (security.certFile == nil || security.keyFile == nil) {
                throw .invalid("peers[\(i)].tls", "needs security.cert_file and security.key_file (the client credentials)")
            }
        }
        for (i, rule) in rules.enumerated() { try rule.validate(key: "rules[\(i)]") }
        try http.validate()
    }

    /// Typed configuration from a parsed document and the environment.
    static func decode(_ document: TOMLTable, environment: [String: String]) throws(ConfigError) -> NodeConfig {
        let overrides = try ConfigEnvironment.overrides(from: environment)
        let root = ConfigReader(path: "", table: document)
        try root.rejectUnknownKeys(sections)
        var config = NodeConfig()
        config.node = try NodeSection(reading: root.section("node", overrides: overrides["node"] ?? [:]))
        config.security = try SecuritySection(reading: root.section("security", overrides: overrides["security"] ?? [:]))
        config.pipeline = try PipelineSection(reading: root.section("pipeline", overrides: overrides["pipeline"] ?? [:]))
        for entry in try root.tableArray("peers") { config.peers.append(try Peer(reading: entry)) }
        for entry in try root.tableArray("rules") { config.rules.append(try Rule(reading: entry)) }
        config.http = try HTTPSection(reading: root.section("http", overrides: overrides["http"] ?? [:]))
        try config.validate()
        return config
    }
}

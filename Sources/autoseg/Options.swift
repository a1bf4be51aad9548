import ArgumentParser
import Foundation
import Logging
import Node

/// `--config` shared by the commands that read the node's configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML). Default: conf/autoseg.toml if present, else built-in defaults.")
    var config: String?

    /// Loads and validates; exits 2 naming the bad key on any configuration error.
    func load() -> NodeConfig { Self.load(path: path) }

    /// The file `load()` reads (nil: built-in defaults), as an absolute path so that a reload
    /// reads the same file whatever the current directory is then.
    var path: String? {
        var path = config
        if path == nil, let env = ProcessInfo.processInfo.environment["AUTOSEG_CONFIG"] { path = env }
        if path == nil, FileManager.default.fileExists(atPath: "conf/autoseg.toml") { path = "conf/autoseg.toml" }
        return path.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// Loads and validates `path` (nil: built-in defaults); exits 2 naming the bad key.
    static func load(path: String?) -> NodeConfig {
        do {
            return try NodeConfig.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("\(error)", code: 2)
        }
    }
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
    var level: Logger.Level { Logger.Level(rawValue: rawValue)! }
}

/// Logs go to stderr (structured metadata, one line per event).
func bootstrapLogging(_ level: LogLevelOption) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = OneLineLogHandler(StreamLogHandler.standardError(label: label))
        handler.logLevel = level.level
        return handler
    }
    return Logger(label: "autoseg")
}

/// One event, one line: line breaks in a message or a metadata value (a peer's error text,
/// a DCMTK condition) are written as `\n`, so tools that read the log line by line see whole events.
struct OneLineLogHandler: LogHandler {
    private var inner: StreamLogHandler

    init(_ inner: StreamLogHandler) {
        self.inner = inner
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var e = event
        e.message = "\(Self.oneLine(event.message.description))"
        e.metadata = event.metadata?.mapValues { Self.oneLine($0) }
        inner.log(event: e)
    }

    static func oneLine(_ s: String) -> String {
        s.contains(where: \.isNewline) ? s.replacingOccurrences(of: "\r\n", with: "\\n")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\n") : s
    }

    static func oneLine(_ v: Logger.MetadataValue) -> Logger.MetadataValue {
        switch v {
        case .string(let s): .string(oneLine(s))
        case .stringConvertible(let c): .string(oneLine(c.description))
        case .array(let a): .array(a.map { oneLine($0) })
        case .dictionary(let d): .dictionary(d.mapValues { oneLine($0) })
        }
    }
}

extension NodeConfig {
    /// `node.data_dir` (relative to the current folder); exits 1 when it holds no catalog.
    func existingDataDirectory() -> DataDirectory {
        let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let dataDirectory = DataDirectory(root: node.dataDirectoryURL(relativeTo: base))
        guard FileManager.default.fileExists(atPath: dataDirectory.catalogPath) else {
            fail("no catalog at \(dataDirectory.catalogPath) (has the node run with this data_dir?)", code: 1)
        }
        return dataDirectory
    }
}

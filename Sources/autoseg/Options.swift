import ArgumentParser
import Foundation
import Logging
import Node

/// `--config` shared by the commands that read the node's configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML). Default: conf/autoseg.toml if present, else built-in defaults.")
    var config: String?

    /// Loads and validates; exits 2 naming the bad key on any configuration error.
    func load() -> NodeConfig {
        var path = config
        if path == nil, let env = ProcessInfo.processInfo.environment["AUTOSEG_CONFIG"] { path = env }
        if path == nil, FileManager.default.fileExists(atPath: "conf/autoseg.toml") { path = "conf/autoseg.toml" }
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
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level.level
        return handler
    }
    return Logger(label: "autoseg")
}

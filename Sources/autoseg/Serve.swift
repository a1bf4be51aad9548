import ArgumentParser
import DICOM
import Foundation
import Logging
import Node
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node: C-STORE/C-ECHO SCP until SIGINT/SIGTERM (graceful).")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevelOption = .info
    @Flag(help: "Let DCMTK log its own network messages (at the same level, to stderr).")
    var dcmtkLog = false

    func run() async throws {
        let config = options.load()
        let logger = bootstrapLogging(logLevel)
        do {
            let dcmtkLevel: DICOMToolkit.LogLevel =
                dcmtkLog ? (logLevel.level <= .debug ? .debug : .info) : .quiet
            try DICOMToolkit.initialize(logLevel: dcmtkLevel)
        } catch {
            fail("\(error)", code: 1)
        }
        let node: AutoSegNode
        do {
            node = try buildNode(config: config, deliveryHelper: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                                 logger: logger)
        } catch let error as NodeError {
            if case .configuration(let why) = error { fail(why, code: 2) }
            fail("cannot start: \(error)", code: 1)
        } catch {
            fail("cannot start: \(error)", code: 1)
        }
        if config.http.port != 0 {
            logger.info("HTTP status API", metadata: [
                "http.address": "\(config.http.host):\(config.http.port)", "http.paths": "/ (console) /health /status /metrics"])
        }
        // SIGHUP re-reads the rules and peers of the same file (an invalid file changes nothing).
        logger.info("configuration", metadata: ["config.path": "\(config.source ?? "(built-in defaults)")",
                                                "autoseg.version": "\(AutoSegVersion.current)"])
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) { node.reload() }
        }
        defer { reloads.cancel() }
        let group = node.serviceGroup(gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            fail("\(error)", code: 1)
        }
    }
}

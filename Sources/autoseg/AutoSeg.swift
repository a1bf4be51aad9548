import ArgumentParser
import Foundation
import Node

/// `autoseg`: the root command only lists subcommands (DESIGN §3).
@main
struct AutoSeg: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoseg",
        abstract: "AutoSeg: a durable DICOM node that segments what it receives.",
        version: "autoseg \(AutoSegVersion.current)",
        subcommands: [Serve.self, Run.self, Send.self, Echo.self, PhantomCommand.self, Eval.self, Rules.self, Status.self,
                      Findings.self, Redeliver.self, DeliverBatch.self]
    )

    /// Exit codes per DESIGN §3: 0 success, 1 failure of the work, 2 bad usage or
    /// configuration (ArgumentParser's own usage errors would otherwise exit 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Prints one line to stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("autoseg: \(message)\n".utf8))
    Foundation.exit(code)
}

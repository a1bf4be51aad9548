import ArgumentParser
import Foundation
import Node

/// `autoseg deliver-batch`: the node's delivery process (not for people): a `DeliveryBatch`
/// as JSON on stdin, one JSON line per file result on stdout (see `DeliveryBatch.serve`).
struct DeliverBatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver-batch", abstract: "Internal: one delivery of the node's outbox (JSON on stdin).",
        shouldDisplay: false)

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let code = DeliveryBatch.serve(input: input, output: FileHandle.standardOutput)
        if code != 0 { throw ExitCode(code) }
    }
}

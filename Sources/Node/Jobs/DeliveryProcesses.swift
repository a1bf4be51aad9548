import DICOM
import Foundation

/// Runs a `DeliveryBatch` in a delivery process (`<helper> deliver-batch`) and hands each
/// file's result to the caller as its line arrives; without a helper executable (a node built
/// inside tests) the batch runs in this process, one at a time. Keeps the running processes so
/// that shutdown can end them when the grace is over.
final class DeliveryProcesses: @unchecked Sendable {
    /// The `autoseg` executable, or nil.
    let helper: URL?
    private let lock = NSLock()
    private var running: [Int32: Process] = [:]
    /// In-process sends, one at a time (see `DeliveryBatch`).
    private static let inProcess = NSLock()

    init(helper: URL?) {
        self.helper = helper
    }

    /// Sends `batch`; `result` gets each file's outcome. Throws when no association could be
    /// made (the error text), or the delivery process failed.
    func send(_ batch: DeliveryBatch, result: (StorageSCU.FileResult) -> Void) throws {
        guard let helper else {
            Self.inProcess.lock()
            defer { Self.inProcess.unlock() }
            do throws(DICOMError) {
                _ = try batch.scu.send(paths: batch.paths) { r, _, _ in result(r) }
            } catch {
                throw DeliveryError(description: "\(error)")
            }
            return
        }
        let p = Process()
        p.executableURL = helper
        p.arguments = ["deliver-batch"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        lock.withLock { running[p.processIdentifier] = p }
        defer { lock.withLock { running[p.processIdentifier] = nil } }
        input.fileHandleForWriting.write(try JSONEncoder().encode(batch))
        try? input.fileHandleForWriting.close()

        var buffer = Data(), failure: String?
        let reader = output.fileHandleForReading
        func consume(_ line: Data) {
            guard !line.isEmpty, let l = try? JSONDecoder().decode(DeliveryBatch.Line.self, from: line) else { return }
            if let r = l.fileResult { result(r) } else if let e = l.error { failure = e }
        }
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: 0x0A) {
                consume(buffer[buffer.startIndex..<nl])
                buffer.removeSubrange(buffer.startIndex...nl)
            }
        }
        consume(buffer)
        p.waitUntilExit()
        if let failure { throw DeliveryError(description: failure) }
        if p.terminationReason == .uncaughtSignal {
            throw DeliveryError(description: "delivery process ended by signal \(p.terminationStatus)")
        }
    }

    /// Ends every running delivery process (shutdown grace over); returns how many.
    @discardableResult
    func terminateAll() -> Int {
        let all = lock.withLock { Array(running.values) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        return all.count
    }
}

struct DeliveryError: Error, CustomStringConvertible {
    var description: String
}

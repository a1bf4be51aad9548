import DICOM
import Foundation

/// One batch of result files for one peer, as the outbox hands it to a delivery process
/// (`autoseg deliver-batch`, JSON on its standard input). Each delivery runs DCMTK's SCU in a
/// process of its own: concurrent DCMTK SCU associations in one process were seen to break
/// each other (a healthy peer's release made a stalled peer's association fail at once), and a
/// process can be ended when the shutdown grace is over, whatever the peer does.
public struct DeliveryBatch: Codable, Sendable {
    public var peer: ApplicationEntity
    public var callingAE: String
    public var maxPDU: Int
    /// Seconds to connect, for the association and for each C-STORE response.
    public var timeout: Int
    public var tls: TLSConfiguration?
    public var paths: [String]

    /// One line of the delivery process's output: a file's result, or the error that ended it.
    public struct Line: Codable, Sendable {
        public var path: String?
        public var sent: Bool?
        public var status: UInt16?
        public var sopInstanceUID: String?
        public var message: String?
        public var error: String?

        var fileResult: StorageSCU.FileResult? {
            guard let path, let sent, let status else { return nil }
            return StorageSCU.FileResult(path: path, sent: sent, status: DIMSEStatus(rawValue: status),
                                         sopInstanceUID: sopInstanceUID ?? "", message: message ?? "")
        }
    }

    var scu: StorageSCU {
        StorageSCU(peer: peer, callingAE: callingAE, maxPDU: maxPDU, acseTimeout: timeout, dimseTimeout: timeout, tls: tls)
    }

    /// The delivery process: reads a batch from `input`, sends it, writes one JSON line per
    /// file as its response arrives (then an `error` line if the association failed) to
    /// `output`, flushing each. Returns the exit code (0: every file has a result line).
    public static func serve(input: Data, output: FileHandle) -> Int32 {
        let encoder = JSONEncoder()
        func emit(_ line: Line) {
            guard var data = try? encoder.encode(line) else { return }
            data.append(0x0A)
            output.write(data)
        }
        let batch: DeliveryBatch
        do { batch = try JSONDecoder().decode(DeliveryBatch.self, from: input) } catch {
            emit(Line(error: "cannot read the batch: \(error)"))
            return 2
        }
        do {
            try DICOMToolkit.initialize()
            _ = try batch.scu.send(paths: batch.paths) { r, _, _ in
                emit(Line(path: r.path, sent: r.sent, status: r.status.rawValue, sopInstanceUID: r.sopInstanceUID,
                          message: r.message))
            }
            return 0
        } catch {
            emit(Line(error: "\(error)"))
            return 1
        }
    }
}

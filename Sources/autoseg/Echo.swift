import ArgumentParser
import DICOM
import Foundation
import Node

struct Echo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "C-ECHO a DICOM node: AE@HOST:PORT, or a [[peers]] entry of the configuration by its AE title.",
        discussion: """
            A configured peer is echoed as the node would reach it (its host, port and TLS settings). \
            A rejected association prints the peer's reason (result, source, reason). Exit 0 when the \
            peer answered success, 1 otherwise, 2 on bad usage (an unknown peer name included).
            """)

    @Argument(help: "The peer: AE@HOST:PORT, or the AE title of a [[peers]] entry.") var peer: String
    @Option(help: "Our calling AE title (default: the node's node.ae_title, else AUTOSEG).") var callingAE: String?
    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if let callingAE, !ApplicationEntity.isValidAETitle(callingAE) {
            throw ValidationError("bad --calling-ae '\(callingAE)'")
        }
    }

    func run() throws {
        let config = options.load()
        let target: ApplicationEntity
        var tls: TLSConfiguration?
        if peer.contains("@") {
            do { target = try ApplicationEntity(parsing: peer) } catch { fail("\(error)", code: 2) }
        } else if let p = config.peers.first(where: { $0.aeTitle == peer }) {
            target = ApplicationEntity(aeTitle: p.aeTitle, host: p.host, port: p.port)
            tls = PeerTLS.client(peer: p, credentials: config.security.credentials(
                relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)))
        } else {
            let known = config.peers.map(\.aeTitle)
            fail("no [[peers]] entry with ae_title \"\(peer)\" (configured: \(known.isEmpty ? "none" : known.joined(separator: ", "))); "
                 + "give AE@HOST:PORT or a configured peer", code: 2)
        }
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }
        let start = Date()
        do {
            try StorageSCU(peer: target, callingAE: callingAE ?? config.node.aeTitle, tls: tls).echo()
        } catch {
            fail("\(error)", code: 1)
        }
        print("C-ECHO \(target)\(tls == nil ? "" : " (TLS)"): success (\(String(format: "%.1f", Date().timeIntervalSince(start) * 1000)) ms)")
    }
}

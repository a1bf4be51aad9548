import ArgumentParser
import DICOM
import Foundation

struct Echo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "C-ECHO a DICOM node (AE@HOST:PORT).")

    @Argument(help: "The peer, as AE@HOST:PORT.") var peer: String
    @Option(help: "Our calling AE title.") var callingAE = "AUTOSEG"

    func validate() throws {
        do { _ = try ApplicationEntity(parsing: peer) } catch { throw ValidationError("\(error)") }
        guard ApplicationEntity.isValidAETitle(callingAE) else { throw ValidationError("bad --calling-ae '\(callingAE)'") }
    }

    func run() throws {
        let target = try! ApplicationEntity(parsing: peer)
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }
        let start = Date()
        do {
            try StorageSCU(peer: target, callingAE: callingAE).echo()
        } catch {
            fail("\(error)", code: 1)
        }
        print("C-ECHO \(target): success (\(String(format: "%.1f", Date().timeIntervalSince(start) * 1000)) ms)")
    }
}

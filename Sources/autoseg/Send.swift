import ArgumentParser
import DICOM
import Foundation

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "C-STORE files or folders (recursively) to a DICOM node; one status line per file.")

    @Argument(help: "DICOM files or folders.") var inputs: [String]
    @Option(help: "The peer, as AE@HOST:PORT.") var to: String
    @Option(help: "Our calling AE title.") var callingAE = "AUTOSEG"

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one file or folder") }
        do { _ = try ApplicationEntity(parsing: to) } catch { throw ValidationError("--to: \(error)") }
        guard ApplicationEntity.isValidAETitle(callingAE) else { throw ValidationError("bad --calling-ae '\(callingAE)'") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("no such file or folder: \(input)")
        }
    }

    /// Regular files under the inputs, folders walked recursively, in a stable order.
    static func collect(_ inputs: [String]) -> [String] {
        var files: [String] = []
        for input in inputs {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: input, isDirectory: &isDir)
            if !isDir.boolValue { files.append(input); continue }
            let base = URL(fileURLWithPath: input)
            let walker = FileManager.default.enumerator(
                at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            var found: [String] = []
            while let url = walker?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    found.append(url.path)
                }
            }
            files.append(contentsOf: found.sorted())
        }
        return files
    }

    func run() throws {
        let target = try! ApplicationEntity(parsing: to)
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }
        let files = Send.collect(inputs)
        guard !files.isEmpty else { fail("no files found", code: 1) }
        let start = Date()
        let results: [StorageSCU.FileResult]
        do {
            results = try StorageSCU(peer: target, callingAE: callingAE).send(paths: files) { r, index, total in
                let tag = r.succeeded ? "OK  " : "FAIL"
                let status = r.sent ? r.status.hex : "----"
                print("\(tag) \(status) \(r.path) \(r.sopInstanceUID) \(r.succeeded ? "" : r.message)")
            }
        } catch {
            fail("\(error)", code: 1)
        }
        let ok = results.filter(\.succeeded).count
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(
            "sent \(ok)/\(files.count) files to \(target) in \(String(format: "%.2f", seconds)) s (\(String(format: "%.1f", Double(ok) / max(seconds, 1e-6))) /s)\n".utf8))
        if ok != files.count { throw ExitCode(1) }
    }
}

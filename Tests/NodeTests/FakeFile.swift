import Catalog
import CatalogTestSupport
import Foundation
@testable import Node

// A stand-in for DICOM files in reconcile tests: the catalog never parses DICOM, reconcile
// takes a reader, and the spool layout is `DataDirectory`'s, not the files'.

struct FakeFileError: Error, CustomStringConvertible {
    var description: String
}

enum FakeFile {
    static let magic = "FAKEDCM"

    /// Writes `record` as `key=value` lines at `record.filePath` in `data`.
    @discardableResult
    static func write(_ record: InstanceRecord, in data: DataDirectory, padding: Int = 0) throws -> URL {
        let url = data.url(of: record.filePath)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var lines = [
            magic,
            "sop=\(record.sopInstanceUID)", "class=\(record.sopClassUID)",
            "study=\(record.studyInstanceUID)", "series=\(record.seriesInstanceUID)",
            "patient=\(record.patientID)", "name=\(record.patientName)",
            "ts=\(record.transferSyntaxUID)",
        ]
        if let modality = record.modality { lines.append("modality=\(modality)") }
        if let number = record.instanceNumber { lines.append("number=\(number)") }
        lines += ["ae=\(record.callingAE)", "host=\(record.remoteHost)", "received=\(record.receivedAt.timeIntervalSince1970)"]
        lines.append("pad=" + String(repeating: "x", count: padding))
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    /// Writes arbitrary bytes at a data-dir-relative path.
    @discardableResult
    static func writeRaw(_ text: String, at relative: String, in data: DataDirectory) throws -> URL {
        let url = data.url(of: relative)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The reader handed to `reconcile`: parses what `write` wrote; throws on anything else.
    /// It reports a wrong path and size on purpose (reconcile must use its own); calling AE,
    /// host and received time are what the file says (as a real file's meta and mtime).
    static func read(_ url: URL) throws -> InstanceRecord {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == magic else { throw FakeFileError(description: "not a fake DICOM file: \(url.lastPathComponent)") }
        lines.removeFirst()
        var fields: [String: String] = [:]
        for line in lines {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return InstanceRecord(
            sopInstanceUID: fields["sop"] ?? "", sopClassUID: fields["class"] ?? "",
            studyInstanceUID: fields["study"] ?? "", seriesInstanceUID: fields["series"] ?? "",
            patientID: fields["patient"] ?? "", patientName: fields["name"] ?? "",
            modality: fields["modality"], instanceNumber: fields["number"].flatMap { Int($0) },
            transferSyntaxUID: fields["ts"] ?? "1.2.840.10008.1.2",
            filePath: "wrong/path.dcm", fileSize: -1,
            receivedAt: fields["received"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) ?? time(500),
            callingAE: fields["ae"] ?? "", remoteHost: fields["host"] ?? "")
    }
}

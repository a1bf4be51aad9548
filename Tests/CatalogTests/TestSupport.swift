import Catalog
import Foundation
import Logging
import XCTest

/// Collects log events in memory (the logging system is never bootstrapped in tests).
final class LogCapture: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func append(_ entry: Entry) {
        lock.lock()
        stored.append(entry)
        lock.unlock()
    }

    func logger(_ label: String = "catalog.test") -> Logger {
        Logger(label: label) { _ in CaptureHandler(capture: self) }
    }

    func messages(_ level: Logger.Level? = nil) -> [String] {
        entries.filter { level == nil || $0.level == level }.map(\.message)
    }

    func entries(containing text: String) -> [Entry] {
        entries.filter { $0.message.contains(text) }
    }
}

struct CaptureHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.append(.init(
            level: event.level, message: event.message.description,
            metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }))
    }
}

/// A fresh folder under the temporary directory, removed at the end of the test.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("catalog-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A fixed point in time (whole seconds, so it survives the REAL round trip exactly).
func time(_ offset: Int) -> Date {
    Date(timeIntervalSince1970: 1_700_000_000 + Double(offset))
}

/// A record with plausible values; UIDs derived from the numbers given.
func makeRecord(
    sop: Int, series: Int = 1, study: Int = 1, patient: String = "P1",
    received: Date = time(0), size: Int64 = 1000, seriesNumber: Int? = nil,
    modality: String? = "CT", callingAE: String = "MODALITY"
) -> InstanceRecord {
    let studyUID = "1.2.826.0.1.3680043.10.1.\(study)"
    let seriesUID = "\(studyUID).\(series)"
    let sopUID = "\(seriesUID).\(sop)"
    return InstanceRecord(
        sopInstanceUID: sopUID, sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
        studyInstanceUID: studyUID, seriesInstanceUID: seriesUID,
        patientID: patient, patientName: "Doe^\(patient)",
        patientBirthDate: "19700101", patientSex: "O",
        studyDate: "20240102", studyTime: "101500", accessionNumber: "ACC\(study)",
        studyDescription: "Study \(study)", modality: modality, bodyPartExamined: "CHEST",
        seriesDescription: "Series \(series)", seriesNumber: seriesNumber ?? series, instanceNumber: sop,
        transferSyntaxUID: "1.2.840.10008.1.2.1",
        filePath: "spool/\(studyUID)/\(seriesUID)/\(sopUID).dcm",
        fileSize: size, receivedAt: received, callingAE: callingAE, remoteHost: "10.0.0.1")
}

// MARK: A stand-in for DICOM files: the catalog never parses DICOM, reconcile takes a reader.

struct FakeFileError: Error, CustomStringConvertible {
    var description: String
}

enum FakeFile {
    static let magic = "FAKEDCM"

    /// Writes `record` as `key=value` lines at `dataDir/record.filePath`.
    @discardableResult
    static func write(_ record: InstanceRecord, in dataDir: URL, padding: Int = 0) throws -> URL {
        let url = dataDir.appendingPathComponent(record.filePath)
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
        lines.append("pad=" + String(repeating: "x", count: padding))
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    /// Writes arbitrary bytes at a data-dir-relative path.
    @discardableResult
    static func writeRaw(_ text: String, at relative: String, in dataDir: URL) throws -> URL {
        let url = dataDir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The reader handed to `reconcile`: parses what `write` wrote; throws on anything else.
    /// It reports a wrong path, size and calling AE on purpose: reconcile must use its own.
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
            filePath: "wrong/path.dcm", fileSize: -1, receivedAt: time(500),
            callingAE: "READER", remoteHost: "reader-host")
    }
}

// Helpers shared by CatalogTests and NodeTests (not API): log capture, catalog records,
// temporary folders.
import Catalog
import Foundation
import Logging
import XCTest

/// Collects log events in memory (the logging system is never bootstrapped in tests).
public final class LogCapture: @unchecked Sendable {
    public struct Entry {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata

        public init(level: Logger.Level, message: String, metadata: Logger.Metadata) {
            self.level = level
            self.message = message
            self.metadata = metadata
        }
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    public init() {}

    public var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    public func append(_ entry: Entry) {
        lock.lock()
        stored.append(entry)
        lock.unlock()
    }

    public func logger(_ label: String = "catalog.test") -> Logger {
        Logger(label: label) { _ in CaptureHandler(capture: self) }
    }

    public func messages(_ level: Logger.Level? = nil) -> [String] {
        entries.filter { level == nil || $0.level == level }.map(\.message)
    }

    public func entries(containing text: String) -> [Entry] {
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
public func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("catalog-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A fixed point in time (whole seconds, so it survives the REAL round trip exactly).
public func time(_ offset: Int) -> Date {
    Date(timeIntervalSince1970: 1_700_000_000 + Double(offset))
}

/// A record with plausible values; UIDs derived from the numbers given.
public func makeRecord(
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

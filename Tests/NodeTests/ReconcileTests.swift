import Catalog
import CatalogTestSupport
import Foundation
import XCTest
@testable import Node

/// `Catalog.reconcile(spool:reader:)` against a real `DataDirectory` (fake files, real folders).
final class ReconcileTests: XCTestCase {
    private var logs = LogCapture()
    private var data: DataDirectory!
    private var catalog: Catalog!
    private let files = FileManager.default

    override func setUpWithError() throws {
        logs = LogCapture()
        data = DataDirectory(root: try makeTemporaryDirectory(self))
        try data.prepare()
        catalog = try Catalog(path: data.catalogPath, logger: logs.logger())
    }

    private func reconcile() throws -> ReconcileReport {
        try catalog.reconcile(spool: data, reader: FakeFile.read)
    }

    private func exists(_ relative: String) -> Bool {
        files.fileExists(atPath: data.url(of: relative).path)
    }

    func testUncataloguedFilesAreAdded() throws {
        let records = (1...3).map { makeRecord(sop: $0) } + [makeRecord(sop: 1, series: 2, study: 2)]
        for record in records { try FakeFile.write(record, in: data, padding: 10 * record.instanceNumber!) }

        let report = try reconcile()
        XCTAssertEqual(report.scanned, 4)
        XCTAssertEqual(report.added, 4)
        XCTAssertEqual(report.unreadable + report.markedMissing + report.restored + report.duplicates, 0)
        XCTAssertGreaterThanOrEqual(report.seconds, 0)

        let counts = try catalog.counts()
        XCTAssertEqual(counts.instances, 4)
        XCTAssertEqual(counts.studies, 2)
        for record in records {
            let stored = try XCTUnwrap(try catalog.instance(sopInstanceUID: record.sopInstanceUID))
            XCTAssertEqual(stored.status, .stored)
            XCTAssertEqual(stored.record.filePath, record.filePath, "path relative to the data dir, from the walk")
            let size = try files.attributesOfItem(atPath: data.url(of: record.filePath).path)[.size]
            XCTAssertEqual(stored.record.fileSize, (size as? NSNumber)?.int64Value, "size from the disk")
            XCTAssertEqual(stored.record.callingAE, record.callingAE, "calling AE as the file says")
            XCTAssertEqual(stored.record.remoteHost, record.remoteHost, "host as the file says")
            XCTAssertEqual(stored.record.receivedAt.timeIntervalSince1970, record.receivedAt.timeIntervalSince1970,
                           accuracy: 0.001, "received time as the file says")
            XCTAssertEqual(stored.record.modality, "CT")
        }

        let again = try reconcile()
        XCTAssertEqual(again.scanned, 4)
        XCTAssertEqual(again.added, 0, "catalogued files are not read again")
    }

    func testFilesStoredByIngestAreNotReadAgain() throws {
        let record = makeRecord(sop: 1, callingAE: "CT1")
        try FakeFile.write(record, in: data)
        try catalog.recordInstances([record])
        var readerCalls = 0
        let report = try catalog.reconcile(spool: data) { url in
            readerCalls += 1
            return try FakeFile.read(url)
        }
        XCTAssertEqual(readerCalls, 0)
        XCTAssertEqual(report.added, 0)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: record.sopInstanceUID)?.record.callingAE, "CT1")
    }

    func testDeletedFileBecomesMissingAndComesBack() throws {
        let kept = makeRecord(sop: 1)
        let lost = makeRecord(sop: 2, size: 500)
        try FakeFile.write(kept, in: data)
        let lostURL = try FakeFile.write(lost, in: data)
        try catalog.recordInstances([kept, lost])
        let saved = try Data(contentsOf: lostURL)
        try files.removeItem(at: lostURL)

        let report = try reconcile()
        XCTAssertEqual(report.markedMissing, 1)
        XCTAssertEqual(report.scanned, 1)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: lost.sopInstanceUID)?.status, .missing)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: kept.sopInstanceUID)?.status, .stored)
        let counts = try catalog.counts()
        XCTAssertEqual(counts.instances, 2, "the row is kept")
        XCTAssertEqual(counts.missingInstances, 1)
        XCTAssertEqual(counts.bytes, 1000)
        XCTAssertEqual(try catalog.seriesSummaries(studyInstanceUID: lost.studyInstanceUID).first?.missingInstanceCount, 1)
        let warning = try XCTUnwrap(logs.entries(containing: "missing").first)
        XCTAssertEqual(warning.level, .warning)
        XCTAssertEqual(warning.metadata["catalog.file"], .string(lost.filePath))

        XCTAssertEqual(try reconcile().markedMissing, 0, "already missing")

        try saved.write(to: lostURL)
        let back = try reconcile()
        XCTAssertEqual(back.restored, 1)
        XCTAssertEqual(back.added, 0)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: lost.sopInstanceUID)?.status, .stored)
        XCTAssertEqual(try catalog.counts().missingInstances, 0)
    }

    func testMissingRowIsRestoredWhenStoredAgain() throws {
        let record = makeRecord(sop: 1)
        try catalog.recordInstances([record])
        XCTAssertEqual(try reconcile().markedMissing, 1)
        try catalog.recordInstances([record])
        XCTAssertEqual(try catalog.instance(sopInstanceUID: record.sopInstanceUID)?.status, .stored)
    }

    func testUnreadableFileIsMovedToQuarantine() throws {
        let good = makeRecord(sop: 1)
        try FakeFile.write(good, in: data)
        let junkPath = "spool/1.2.3/1.2.3.4/1.2.3.4.5.dcm"
        try FakeFile.writeRaw("\u{0}\u{1}not dicom", at: junkPath, in: data)
        var noUID = makeRecord(sop: 2)
        noUID.sopInstanceUID = ""
        noUID.filePath = "spool/\(noUID.studyInstanceUID)/\(noUID.seriesInstanceUID)/nouid.dcm"
        try FakeFile.write(noUID, in: data)

        let report = try reconcile()
        XCTAssertEqual(report.scanned, 3)
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(report.unreadable, 2)
        XCTAssertFalse(exists(junkPath))
        XCTAssertFalse(exists(noUID.filePath))
        let moved = data.url(of: "quarantine/1.2.3/1.2.3.4/1.2.3.4.5.dcm")
        XCTAssertEqual(try String(contentsOf: moved, encoding: .utf8), "\u{0}\u{1}not dicom", "moved, never altered")
        XCTAssertTrue(exists("quarantine/\(noUID.studyInstanceUID)/\(noUID.seriesInstanceUID)/nouid.dcm"))
        let warnings = logs.entries(containing: "quarantine").filter { $0.level == .warning }
        XCTAssertEqual(warnings.count, 2)
        XCTAssertEqual(Set(warnings.compactMap { $0.metadata["catalog.file"]?.description }), [junkPath, noUID.filePath])
        XCTAssertEqual(try catalog.counts().instances, 1)

        // A second unreadable file of the same name does not overwrite the first.
        try FakeFile.writeRaw("again", at: junkPath, in: data)
        XCTAssertEqual(try reconcile().unreadable, 1)
        XCTAssertTrue(exists("quarantine/1.2.3/1.2.3.4/1.2.3.4.5.1.dcm"))
        XCTAssertEqual(try String(contentsOf: moved, encoding: .utf8), "\u{0}\u{1}not dicom")
    }

    func testTemporaryFilesInIncomingAreRemoved() throws {
        try FakeFile.writeRaw("partial", at: "spool/.incoming/3-1.part", in: data)
        try FakeFile.writeRaw("partial", at: "spool/.incoming/nested/3-2.part", in: data)
        try FakeFile.writeRaw("keep", at: "spool/.incoming/notes.txt", in: data)
        let inIncoming = makeRecord(sop: 9)
        try FakeFile.writeRaw(FakeFile.magic, at: "spool/.incoming/\(inIncoming.sopInstanceUID).dcm", in: data)

        let report = try reconcile()
        XCTAssertEqual(report.tempFilesRemoved, 2)
        XCTAssertFalse(exists("spool/.incoming/3-1.part"))
        XCTAssertFalse(exists("spool/.incoming/nested/3-2.part"))
        XCTAssertTrue(exists("spool/.incoming/notes.txt"))
        XCTAssertEqual(report.scanned, 0, ".incoming is not part of the spool layout")
        XCTAssertEqual(try reconcile().tempFilesRemoved, 0)
    }

    func testOnlyTheSpoolLayoutIsScanned() throws {
        try FakeFile.writeRaw(FakeFile.magic, at: "spool/top.dcm", in: data)
        try FakeFile.writeRaw(FakeFile.magic, at: "spool/1.2/second.dcm", in: data)
        try FakeFile.writeRaw(FakeFile.magic, at: "spool/1.2/1.2.3/4/too-deep.dcm", in: data)
        try FakeFile.writeRaw("x", at: "spool/1.2/1.2.3/notes.txt", in: data)
        try FakeFile.write(makeRecord(sop: 1), in: data)
        let report = try reconcile()
        XCTAssertEqual(report.scanned, 1)
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(report.unreadable, 0)
        XCTAssertTrue(exists("spool/top.dcm"))
    }

    func testCopyOfACataloguedInstanceElsewhereIsLeftAlone() throws {
        let record = makeRecord(sop: 1)
        try FakeFile.write(record, in: data)
        try catalog.recordInstances([record])
        var copy = record
        copy.filePath = "spool/\(record.studyInstanceUID)/9.9/\(record.sopInstanceUID).dcm"
        try FakeFile.write(copy, in: data)

        let report = try reconcile()
        XCTAssertEqual(report.duplicates, 1)
        XCTAssertEqual(report.added, 0)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: record.sopInstanceUID)?.record.filePath, record.filePath)
        XCTAssertTrue(exists(copy.filePath), "never deleted")
        XCTAssertEqual(try reconcile().duplicates, 1, "stable: the catalogued path keeps winning")
    }

    func testInstanceWhoseFileMovedFollowsIt() throws {
        let record = makeRecord(sop: 1)
        try catalog.recordInstances([record])  // its file was never written: it is gone
        var moved = record
        moved.filePath = "spool/\(record.studyInstanceUID)/\(record.seriesInstanceUID)/renamed.dcm"
        try FakeFile.write(moved, in: data)

        let report = try reconcile()
        XCTAssertEqual(report.added, 1)
        let stored = try catalog.instance(sopInstanceUID: record.sopInstanceUID)
        XCTAssertEqual(stored?.record.filePath, moved.filePath)
        XCTAssertEqual(stored?.status, .stored)
        XCTAssertEqual(try catalog.counts().instances, 1)
    }

    func testMissingSpoolFolderMarksEverythingMissing() throws {
        try catalog.recordInstances([makeRecord(sop: 1), makeRecord(sop: 2)])
        try files.removeItem(at: data.spoolDirectory)
        let report = try reconcile()
        XCTAssertEqual(report.scanned, 0)
        XCTAssertEqual(report.markedMissing, 2)
        XCTAssertEqual(report.tempFilesRemoved, 0)
    }

    /// Many files: one walk, inserts in batches of 500. 5 000 here to keep the suite quick;
    /// the same code was measured with 100 000 (README).
    func testFiveThousandFiles() throws {
        let total = 5_000
        for i in 0..<total {
            try FakeFile.write(makeRecord(sop: i, series: i / 500, study: i / 2500), in: data)
        }
        let report = try reconcile()
        XCTAssertEqual(report.scanned, total)
        XCTAssertEqual(report.added, total)
        XCTAssertEqual(try catalog.counts().instances, total)
        XCTAssertEqual(try catalog.counts().series, total / 500)
        XCTAssertLessThan(report.seconds, 60)

        let again = try reconcile()
        XCTAssertEqual(again.added, 0)
        XCTAssertEqual(again.scanned, total)
        XCTAssertLessThan(again.seconds, 10, "a clean start costs one walk and one query")
    }
}

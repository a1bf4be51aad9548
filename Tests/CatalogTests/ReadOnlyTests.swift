import Catalog
import CatalogTestSupport
import Foundation
import XCTest

final class ReadOnlyTests: XCTestCase {
    func testReadOnlyCatalogReadsWhileWriterIsOpen() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("autoseg.sqlite").path
        let writer = try Catalog(path: path, logger: LogCapture().logger())
        try writer.recordInstances((1...10).map { makeRecord(sop: $0) })

        let reader = try Catalog(readOnlyPath: path, logger: LogCapture().logger())
        XCTAssertTrue(reader.isReadOnly)
        XCTAssertEqual(try reader.counts().instances, 10)
        XCTAssertEqual(try reader.appliedMigrations(), MigrationTests.all)

        try writer.recordInstances((11...15).map { makeRecord(sop: $0) })
        XCTAssertEqual(try reader.counts().instances, 15, "sees commits made after it opened")
        XCTAssertEqual(try reader.recentStudies(limit: 5).first?.instanceCount, 15)

        XCTAssertThrowsError(try reader.recordInstances([makeRecord(sop: 99)])) { error in
            XCTAssertEqual(error as? CatalogError, .readOnly, "\(error)")
            XCTAssertTrue("\(error)".contains("SQLITE_READONLY"), "\(error)")
        }
        try writer.recordInstances([makeRecord(sop: 16)])
        XCTAssertEqual(try reader.counts().instances, 16, "a failed write leaves the reader usable")
    }

    func testReadOnlyOpenAfterWriterClosed() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("autoseg.sqlite").path
        var writer: Catalog? = try Catalog(path: path, logger: LogCapture().logger())
        try writer?.recordInstances([makeRecord(sop: 1)])
        writer = nil
        let reader = try Catalog(readOnlyPath: path, logger: LogCapture().logger())
        XCTAssertEqual(try reader.counts().instances, 1)
    }

    func testReadOnlyOpenOfMissingFileFails() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("none.sqlite").path
        XCTAssertThrowsError(try Catalog(readOnlyPath: path, logger: LogCapture().logger())) { error in
            XCTAssertEqual(error as? CatalogError, .cannotOpen, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a read-only open creates nothing")
    }

    func testReadOnlyOpenOfUnmigratedDatabaseFails() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("empty.sqlite").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))  // an empty SQLite database
        XCTAssertThrowsError(try Catalog(readOnlyPath: path, logger: LogCapture().logger())) { error in
            XCTAssertEqual(error as? CatalogError, .schemaTooOld, "\(error)")
            XCTAssertTrue("\(error)".contains("0001_initial"), "\(error)")
        }
    }

    func testReadOnlyOpenOfAFileThatIsNotADatabaseFails() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("junk.sqlite").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 4096)))
        XCTAssertThrowsError(try Catalog(readOnlyPath: path, logger: LogCapture().logger())) { error in
            XCTAssertEqual(error as? CatalogError, .corrupt, "\(error)")
        }
    }
}

@testable import Catalog
import CatalogTestSupport
import Foundation
import XCTest

final class MigrationTests: XCTestCase {
    static let all = ["0001_initial", "0002_pipeline", "0003_dead_letter", "0004_assessments"]

    func testInMemoryCatalogAppliesEveryMigrationOnceInOrder() throws {
        let logs = LogCapture()
        let catalog = try Catalog.inMemory(logger: logs.logger())
        XCTAssertEqual(try catalog.appliedMigrations(), Self.all)
        let applied = logs.entries(containing: "migration applied")
        XCTAssertEqual(applied.map { "\($0.metadata["catalog.migration"] ?? "")" }, Self.all)
        XCTAssertEqual(applied.first?.metadata["catalog.path"], ":memory:")
        XCTAssertEqual(try catalog.counts(), CatalogCounts())
    }

    func testReopeningFileDatabaseDoesNotRerunMigrations() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("var/autoseg.sqlite").path  // folder created on open
        let firstLogs = LogCapture()
        var first: Catalog? = try Catalog(path: path, logger: firstLogs.logger())
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(firstLogs.entries(containing: "migration applied").count, Self.all.count)
        try first?.recordInstances([makeRecord(sop: 1)])
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"), "file catalogs run in WAL mode")
        first = nil

        let secondLogs = LogCapture()
        let second = try Catalog(path: path, logger: secondLogs.logger())
        XCTAssertEqual(try second.appliedMigrations(), Self.all)
        XCTAssertTrue(secondLogs.entries(containing: "migration").isEmpty, "\(secondLogs.messages())")
        XCTAssertEqual(try second.counts().instances, 1, "data survives reopening")
        XCTAssertFalse(secondLogs.messages().contains { $0.contains("WAL") }, "\(secondLogs.messages())")
    }

    func testFileCatalogCommitsAreDurable() throws {
        // synchronous=FULL (2): the WAL is fsync'd at every commit, so a row the ingest has
        // committed before answering 0000 survives a power loss (NORMAL syncs at checkpoints).
        let path = try makeTemporaryDirectory(self).appendingPathComponent("autoseg.sqlite").path
        let catalog = try Catalog(path: path, logger: LogCapture().logger())
        let level = try catalog.withConnection { try $0.queryFirst("PRAGMA synchronous") { $0.int(0) } }
        XCTAssertEqual(level, 2)
    }

    func testOpeningAPathThatIsAFolderFails() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try Catalog(path: dir.path, logger: LogCapture().logger())) { error in
            XCTAssertEqual(error as? CatalogError, .cannotOpen, "\(error)")
            XCTAssertTrue("\(error)".contains(dir.path), "\(error)")
        }
    }
}

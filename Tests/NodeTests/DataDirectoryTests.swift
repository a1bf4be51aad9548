import Foundation
import XCTest
@testable import Node

/// The layout of `data_dir` (DESIGN §5), spelled out once here as the contract that
/// integration tests and existing catalogs rely on.
final class DataDirectoryTests: XCTestCase {
    let data = DataDirectory(root: URL(fileURLWithPath: "/srv/autoseg/./var/"))

    func testPathsOfTheLayout() {
        XCTAssertEqual(data.root.path, "/srv/autoseg/var")
        XCTAssertEqual(data.catalogPath, "/srv/autoseg/var/autoseg.sqlite")
        XCTAssertEqual(data.spoolDirectory.path, "/srv/autoseg/var/spool")
        XCTAssertEqual(data.incomingDirectory.path, "/srv/autoseg/var/spool/.incoming")
        XCTAssertEqual(data.outboxDirectory.path, "/srv/autoseg/var/outbox")
        XCTAssertEqual(data.workDirectory(job: 42).path, "/srv/autoseg/var/outbox/.work/job-42")
    }

    func testCataloguedPathsAreRelativeToTheDataDirectory() {
        let instance = DataDirectory.instancePath(study: "1.2", series: "1.2.3", instance: "1.2.3.4")
        XCTAssertEqual(instance, "spool/1.2/1.2.3/1.2.3.4.dcm")
        let result = DataDirectory.resultPath(sopInstanceUID: "2.25.7")
        XCTAssertEqual(result, "outbox/2.25.7.dcm")
        XCTAssertEqual(data.url(of: instance).path, "/srv/autoseg/var/spool/1.2/1.2.3/1.2.3.4.dcm")
        XCTAssertEqual(data.relativePath(of: data.url(of: result)), result)
        XCTAssertEqual(data.relativePath(of: URL(fileURLWithPath: "/elsewhere/x.dcm")), "/elsewhere/x.dcm")
    }

    func testPrepareCreatesTheFoldersAndRemovesNothing() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("datadir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let data = DataDirectory(root: tmp.appendingPathComponent("var"))
        try data.prepare()
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.incomingDirectory.path, isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.workDirectory(job: 1).deletingLastPathComponent().path,
                                                     isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue)

        let kept = data.incomingDirectory.appendingPathComponent("1-1.part")
        try Data("half".utf8).write(to: kept)
        try data.prepare()
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept.path), "prepare removes nothing")
    }
}

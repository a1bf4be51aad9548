import Catalog
import DICOM
import Foundation
import Logging
import ServiceLifecycle
import XCTest
@testable import Node

/// The node assembled by `buildNode` on port 0 with a temporary data dir, driven by the
/// real DCMTK SCU; logs captured in memory (the logging system is never bootstrapped).
final class StorageNodeTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("nodetests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    func makeFile(sop: String, study: String = "1.2.826.0.1.3680043.8.498.7",
                  series: String = "1.2.826.0.1.3680043.8.498.7.1") throws -> String {
        let dump = tmp.appendingPathComponent("\(sop).txt")
        let out = tmp.appendingPathComponent("in-\(sop).dcm").path
        try """
        (0008,0016) UI =MRImageStorage
        (0008,0018) UI [\(sop)]
        (0008,0060) CS [MR]
        (0010,0010) PN [Node^Test]
        (0010,0020) LO [NODE-1]
        (0020,000d) UI [\(study)]
        (0020,000e) UI [\(series)]
        (0020,0013) IS [1]
        """.write(to: dump, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/dump2dcm")
        p.arguments = [dump.path, out]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return out
    }

    func config(_ edit: (inout NodeConfig) -> Void = { _ in }) -> NodeConfig {
        var c = NodeConfig()
        c.node.port = 0
        c.node.dataDir = tmp.appendingPathComponent("data").path
        c.node.minFreeMB = 0
        c.node.shutdownGrace = 5
        c.http.port = 0
        edit(&c)
        return c
    }

    /// Runs `body` against a started node, then shuts it down gracefully.
    func withNode(_ config: NodeConfig, _ body: (AutoSegNode, Int) throws -> Void) async throws {
        var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        let node = try buildNode(config: config, logger: logger)
        let group = node.serviceGroup(logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let listening = await Task.detached { node.waitUntilListening() }.value
            let port = try XCTUnwrap(listening)
            do { try body(node, port) } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func testStoreIsDurableAndCatalogued() async throws {
        let files = try (1...5).map { try makeFile(sop: "1.2.826.0.1.3680043.8.498.7.1.\($0)") }
        try await withNode(config()) { node, port in
            let scu = StorageSCU(peer: .init(aeTitle: "AUTOSEG", host: "127.0.0.1", port: port), callingAE: "MOD1")
            let results = try scu.send(paths: files)
            XCTAssertEqual(results.filter(\.succeeded).count, 5)
            // Re-sending replaces, never duplicates.
            XCTAssertEqual(try scu.send(paths: [files[0]]).first?.status, .success)
            let counts = try node.catalog.counts()
            XCTAssertEqual(counts.instances, 5)
            XCTAssertEqual(counts.series, 1)
            let stored = try XCTUnwrap(node.catalog.instance(sopInstanceUID: "1.2.826.0.1.3680043.8.498.7.1.3"))
            XCTAssertEqual(stored.record.filePath,
                           "spool/1.2.826.0.1.3680043.8.498.7/1.2.826.0.1.3680043.8.498.7.1/1.2.826.0.1.3680043.8.498.7.1.3.dcm")
            XCTAssertEqual(stored.record.callingAE, "MOD1")
            XCTAssertTrue(FileManager.default.fileExists(atPath: node.dataDirectory.url(of: stored.record.filePath).path))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: node.dataDirectory.incomingDirectory.path), [])
        }
    }

    func testNonConformantUIDIsStoredButNeverAPath() async throws {
        // Issue 14 (DESIGN §6, liberal): a leading-zero series UID is stored under its value,
        // in a folder named by its digest (`UID.pathComponent`), never by the value.
        let bad = try makeFile(sop: "1.2.826.0.1.3680043.8.498.9.1", study: "1.2.826.0.1.3680043.8.498.9",
                               series: "1.2.03")
        try await withNode(config()) { node, port in
            let scu = StorageSCU(peer: .init(aeTitle: "AUTOSEG", host: "127.0.0.1", port: port))
            let r = try XCTUnwrap(try scu.send(paths: [bad]).first)
            XCTAssertEqual(r.status, .success)
            XCTAssertEqual(try node.catalog.counts().instances, 1)
            let study = node.dataDirectory.spoolDirectory.appendingPathComponent("1.2.826.0.1.3680043.8.498.9")
            XCTAssertFalse(FileManager.default.fileExists(atPath: study.appendingPathComponent("1.2.03").path))
            let series = UID.pathComponent("1.2.03")
            XCTAssertTrue(series.hasPrefix("x"))
            XCTAssertTrue(FileManager.default.fileExists(
                atPath: study.appendingPathComponent(series).appendingPathComponent("1.2.826.0.1.3680043.8.498.9.1.dcm").path))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: node.dataDirectory.incomingDirectory.path), [])
        }
    }

    func testAssociationPolicy() async throws {
        let c = config { $0.security.allowedCallers = [AllowedCaller(aeTitle: "GOOD", host: nil)] }
        try await withNode(c) { node, port in
            XCTAssertNoThrow(try StorageSCU(peer: .init(aeTitle: "AUTOSEG", host: "127.0.0.1", port: port),
                                            callingAE: "GOOD").echo())
            XCTAssertThrowsError(try StorageSCU(peer: .init(aeTitle: "AUTOSEG", host: "127.0.0.1", port: port),
                                                callingAE: "EVIL").echo())
            XCTAssertThrowsError(try StorageSCU(peer: .init(aeTitle: "OTHER", host: "127.0.0.1", port: port),
                                                callingAE: "GOOD").echo())
            XCTAssertEqual(node.ingest.snapshot.rejectedAssociations, 2)
        }
    }

    func testWatermarkRefusesAssociations() async throws {
        // More free space than any disk has: every association is rejected (transient).
        let c = config { $0.node.minFreeMB = 1 << 40 }
        try await withNode(c) { node, port in
            XCTAssertThrowsError(try StorageSCU(peer: .init(aeTitle: "AUTOSEG", host: "127.0.0.1", port: port)).echo())
            XCTAssertEqual(try node.catalog.counts().instances, 0)
        }
    }

    func testReconcileAddsFilesTheCatalogMissed() async throws {
        let file = try makeFile(sop: "1.2.826.0.1.3680043.8.498.7.1.99")
        let data = tmp.appendingPathComponent("data")
        let dir = data.appendingPathComponent("spool/1.2.826.0.1.3680043.8.498.7/1.2.826.0.1.3680043.8.498.7.1")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: dir.appendingPathComponent("1.2.826.0.1.3680043.8.498.7.1.99.dcm").path)
        let incoming = data.appendingPathComponent("spool/.incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: incoming.appendingPathComponent("1-1.part"))
        try await withNode(config()) { node, _ in
            XCTAssertEqual(try node.catalog.counts().instances, 1)
            XCTAssertEqual(try node.catalog.instance(sopInstanceUID: "1.2.826.0.1.3680043.8.498.7.1.99")?.record.patientID, "NODE-1")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: incoming.path), [])
        }
    }
}

import Foundation
import XCTest
@testable import DICOM

/// The SCP and SCU wrappers against each other and against DCMTK's own command-line
/// tools (Debian `dcmtk`), on a free port.
final class SCPRoundTripTests: SCPTestCase {
    final class Recorder: StorageSCPDelegate, @unchecked Sendable {
        let lock = NSLock()
        let directory: URL
        var stored: [StoreRequest] = []
        var rejected: [String] = []
        var ended: [AssociationSummary] = []
        var refuseNext: StoreOutcome?
        init(directory: URL) { self.directory = directory }

        func acceptAssociation(_ r: AssociationRequest) -> AssociationDecision {
            r.calledAE == "TESTSCP" ? .accept : .rejectCalledAE(reason: "not us")
        }
        func precheckStore(callingAE: String) -> StoreOutcome? { lock.withLock { refuseNext } }
        func store(_ r: StoreRequest) -> StoreOutcome {
            let dest = directory.appendingPathComponent(r.info.sopInstanceUID + ".dcm").path
            XCTAssertEqual(rename(r.tempPath, dest), 0)
            lock.withLock { stored.append(r) }
            return .success
        }
        func storeRefused(associationID: UInt64, callingAE: String, status: DIMSEStatus?, reason: String) {}
        func associationRejected(_ r: AssociationRequest, reason: String) { lock.withLock { rejected.append(reason) } }
        func associationEnded(_ s: AssociationSummary) { lock.withLock { ended.append(s) } }
        func connectionsRefused(peerHost: String, count: Int, reason: String) {
            lock.withLock { refusedConnections += count }
        }
        var refusedConnections = 0
    }

    /// Writes a small CT instance with DCMTK's `dump2dcm`.
    func makeFile(sop: String, name: String) throws -> String {
        let dump = tmp.appendingPathComponent(name + ".txt")
        let out = tmp.appendingPathComponent(name + ".dcm").path
        try """
        (0008,0016) UI =CTImageStorage
        (0008,0018) UI [\(sop)]
        (0008,0060) CS [CT]
        (0010,0010) PN [Test^Patient]
        (0010,0020) LO [PID-1]
        (0018,0015) CS [CHEST]
        (0020,000d) UI [1.2.826.0.1.3680043.8.498.1]
        (0020,000e) UI [1.2.826.0.1.3680043.8.498.1.2]
        (0020,0011) IS [3]
        (0020,0013) IS [7]
        """.write(to: dump, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run("/usr/bin/dump2dcm", [dump.path, out]), 0)
        return out
    }

    @discardableResult
    func run(_ tool: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func testEchoStoreAndRefusals() throws {
        let recorder = Recorder(directory: tmp)
        let scp = try StorageSCP(
            configuration: .init(aeTitle: "TESTSCP", port: 0, incomingDirectory: incoming),
            delegate: recorder)
        let port = scp.port
        XCTAssertGreaterThan(port, 0)
        let peer = ApplicationEntity(aeTitle: "TESTSCP", host: "127.0.0.1", port: port)

        try StorageSCU(peer: peer, callingAE: "TESTSCU").echo()
        XCTAssertEqual(try run("/usr/bin/echoscu", ["-aec", "TESTSCP", "127.0.0.1", "\(port)"]), 0)
        XCTAssertNotEqual(try run("/usr/bin/echoscu", ["-aec", "WRONG", "127.0.0.1", "\(port)"]), 0)
        XCTAssertThrowsError(try StorageSCU(peer: .init(aeTitle: "WRONG", host: "127.0.0.1", port: port)).echo())

        let good = try makeFile(sop: "1.2.826.0.1.3680043.8.498.1.2.3", name: "good")
        let notDICOM = tmp.appendingPathComponent("not.dcm").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notDICOM))
        let results = try StorageSCU(peer: peer, callingAE: "TESTSCU").send(paths: [good, notDICOM])
        XCTAssertEqual(results.count, 2)
        let byPath = Dictionary(uniqueKeysWithValues: results.map { ($0.path, $0) })
        XCTAssertEqual(byPath[good]?.succeeded, true)
        XCTAssertEqual(byPath[notDICOM]?.sent, false)

        let stored = recorder.lock.withLock { recorder.stored }
        XCTAssertEqual(stored.count, 1)
        let info = try XCTUnwrap(stored.first?.info)
        XCTAssertEqual(info.sopInstanceUID, "1.2.826.0.1.3680043.8.498.1.2.3")
        XCTAssertEqual(info.sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        XCTAssertEqual(info.patientName, "Test^Patient")
        XCTAssertEqual(info.bodyPartExamined, "CHEST")
        XCTAssertEqual(info.seriesNumber, 3)
        XCTAssertEqual(info.instanceNumber, 7)
        XCTAssertEqual(stored.first?.callingAE, "TESTSCU")
        XCTAssertEqual(stored.first?.peerHost, "127.0.0.1")
        // The file read back from where the delegate put it has the same header.
        let reread = try FileInfo.read(path: tmp.appendingPathComponent(info.sopInstanceUID + ".dcm").path)
        XCTAssertEqual(reread.sopInstanceUID, info.sopInstanceUID)
        // Its file meta says who sent it to whom (PS3.10 7.1), its mtime when it arrived.
        XCTAssertEqual(reread.provenance.callingAE, "TESTSCU")
        XCTAssertEqual(reread.provenance.calledAE, "TESTSCP")
        XCTAssertEqual(reread.provenance.peerHost, "127.0.0.1")
        let receivedAt = try XCTUnwrap(reread.provenance.receivedAt)
        XCTAssertLessThan(abs(receivedAt.timeIntervalSinceNow), 60)
        // The dataset is stored as received: identical to the sent file's after the meta.
        let sent = try Data(contentsOf: URL(fileURLWithPath: good))
        let kept = try Data(contentsOf: tmp.appendingPathComponent(info.sopInstanceUID + ".dcm"))
        let sentScan = try DatasetScan.scan(path: good)
        let keptScan = try DatasetScan.scan(path: tmp.appendingPathComponent(info.sopInstanceUID + ".dcm").path)
        XCTAssertEqual(sent.suffix(from: sentScan.datasetOffset), kept.suffix(from: keptScan.datasetOffset))

        // A precheck refusal answers its status without storing; /usr/bin/storescu sees the failure.
        recorder.lock.withLock { recorder.refuseNext = StoreOutcome(.outOfResources, "test watermark") }
        let second = try makeFile(sop: "1.2.826.0.1.3680043.8.498.1.2.4", name: "second")
        let refused = try StorageSCU(peer: peer).send(paths: [second])
        XCTAssertEqual(refused.first?.status, .outOfResources)
        XCTAssertEqual(recorder.lock.withLock { recorder.stored.count }, 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: incoming)
        XCTAssertEqual(leftovers, [])

        XCTAssertEqual(scp.shutdown(grace: 5), 0)
        XCTAssertGreaterThanOrEqual(recorder.lock.withLock { recorder.rejected.count }, 2)
        XCTAssertTrue(recorder.lock.withLock { recorder.ended.contains { $0.instancesStored == 1 && $0.endReason == "released" } })
    }
}

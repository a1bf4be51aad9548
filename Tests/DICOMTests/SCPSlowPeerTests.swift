import Foundation
import XCTest
@testable import DICOM

#if canImport(Glibc)
import Glibc
#endif

/// The SCP's negotiation off the accept thread: a connection that says nothing holds neither
/// the accept thread nor an association slot, is closed after acse_timeout, and connections
/// over the negotiating caps are closed at once and reported.
final class SCPSlowPeerTests: SCPTestCase {
    typealias Recorder = SCPRoundTripTests.Recorder

    /// A TCP connection from `source` (a loopback address: 127.0.0.2 counts as another host
    /// than the SCU's 127.0.0.1) to 127.0.0.1:`port` that sends nothing.
    func silentConnection(to port: Int, from source: String = "127.0.0.2") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(bound, 0, "bind \(source): \(String(cString: strerror(errno)))")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(rc, 0, "connect: \(String(cString: strerror(errno)))")
        return fd
    }

    /// Seconds until the SCP closed `fd` (a read returns 0 or fails), nil if still open after `timeout`.
    func closedWithin(_ fd: Int32, _ timeout: Double) -> Double? {
        let start = Date()
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) <= 0 ? Date().timeIntervalSince(start) : nil
    }

    func testSilentConnectionsHoldNeitherTheAcceptThreadNorASlot() throws {
        let recorder = Recorder(directory: tmp)
        let scp = try StorageSCP(
            configuration: .init(aeTitle: "TESTSCP", port: 0, maxAssociations: 1, acseTimeout: 1, maxNegotiating: 3,
                                 maxNegotiatingPerHost: 2, incomingDirectory: incoming),
            delegate: recorder)
        let silent = try (0..<2).map { _ in try silentConnection(to: scp.port) }
        defer { silent.forEach { close($0) } }
        XCTAssertTrue(waitUntil { scp.negotiatingConnections == 2 })

        // Over the per-host cap: closed at once, unread, and reported.
        let third = try silentConnection(to: scp.port)
        defer { close(third) }
        XCTAssertNotNil(closedWithin(third, 0.5), "a 3rd negotiating connection from one host was not closed at once")
        XCTAssertTrue(waitUntil { recorder.lock.withLock { recorder.refusedConnections } == 1 })

        // The one association slot is free: an echo goes through at once.
        let start = Date()
        try StorageSCU(peer: .init(aeTitle: "TESTSCP", host: "127.0.0.1", port: scp.port), callingAE: "TESTSCU").echo()
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(scp.negotiatingConnections, 2)

        // acse_timeout (1 s) from their connect: closed, reported as rejected.
        for fd in silent { XCTAssertNotNil(closedWithin(fd, 3), "a silent connection outlived acse_timeout") }
        XCTAssertTrue(waitUntil { scp.negotiatingConnections == 0 })
        XCTAssertTrue(waitUntil { recorder.lock.withLock { recorder.rejected.contains { $0.contains("acse_timeout") } } })
        XCTAssertEqual(scp.shutdown(grace: 1), 0)
    }

    func testStopAcceptingClosesNegotiatingConnectionsAtOnce() throws {
        let scp = try StorageSCP(
            configuration: .init(aeTitle: "TESTSCP", port: 0, acseTimeout: 30,
                                 incomingDirectory: incoming),
            delegate: Recorder(directory: tmp))
        let fd = try silentConnection(to: scp.port)
        defer { close(fd) }
        XCTAssertTrue(waitUntil { scp.negotiatingConnections == 1 })
        let start = Date()
        scp.stopAccepting()
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertNotNil(closedWithin(fd, 1))
        XCTAssertEqual(scp.negotiatingConnections, 0)
    }

    private func waitUntil(_ timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

import DICOM
import Foundation
import XCTest

import Pipeline
@testable import Node

/// `AUTOSEG_<SECTION>_<KEY>` overrides, loading files, and the small pieces of the config API.
final class ConfigEnvironmentTests: XCTestCase {
    // MARK: Environment

    func testEnvironmentOverridesWinOverFile() throws {
        let file = """
            [node]
            port = 5000
            ae_title = "FILE"
            [security]
            allowed_callers = ["FROMFILE"]
            [pipeline]
            stable_seconds = 30
            [http]
            port = 9000
            """
        let c = try parse(file, env: [
            "AUTOSEG_NODE_PORT": "4000", "AUTOSEG_NODE_AE_TITLE": "X",
            "AUTOSEG_SECURITY_ALLOWED_CALLERS": "A, B@10.0.0.1,",
            "AUTOSEG_PIPELINE_STABLE_SECONDS": "2", "AUTOSEG_HTTP_PORT": "0",
            "AUTOSEG_CONFIG": "ignored.toml", "HOME": "/root", "AUTOSEGX": "not ours",
        ])
        XCTAssertEqual(c.node.port, 4000)
        XCTAssertEqual(c.node.aeTitle, "X")
        XCTAssertEqual(c.security.allowedCallers, [AllowedCaller(aeTitle: "A"), AllowedCaller(aeTitle: "B", host: "10.0.0.1")])
        XCTAssertEqual(c.pipeline.stableSeconds, 2)
        XCTAssertEqual(c.http.port, 0)
        XCTAssertEqual(try parse(file, env: ["AUTOSEG_SECURITY_ALLOWED_CALLERS": ""]).security.allowedCallers, [])
        XCTAssertEqual(try NodeConfig.load(path: nil, environment: ["AUTOSEG_NODE_PORT": "0"]).node.port, 0)
    }

    func testEveryScalarKeyCanBeOverridden() throws {
        let env = [
            "AUTOSEG_NODE_AE_TITLE": "ENV AE", "AUTOSEG_NODE_PORT": " 1234 ", "AUTOSEG_NODE_DATA_DIR": "/data",
            "AUTOSEG_NODE_MAX_ASSOCIATIONS": "3", "AUTOSEG_NODE_MAX_PDU": "16384", "AUTOSEG_NODE_MIN_FREE_MB": "1_000",
            "AUTOSEG_NODE_ACSE_TIMEOUT": "5", "AUTOSEG_NODE_IDLE_TIMEOUT": "6", "AUTOSEG_NODE_SHUTDOWN_GRACE": "7",
            "AUTOSEG_NODE_MAX_NEGOTIATING": "9", "AUTOSEG_NODE_MAX_NEGOTIATING_PER_HOST": "8",
            "AUTOSEG_NODE_HOST": "127.0.0.1", "AUTOSEG_SECURITY_ALLOWED_CALLERS": "CT01", "AUTOSEG_SECURITY_TLS": "TRUE",
            "AUTOSEG_SECURITY_CERT_FILE": "c.pem", "AUTOSEG_SECURITY_KEY_FILE": "k.pem", "AUTOSEG_SECURITY_CA_FILE": "ca.pem",
            "AUTOSEG_PIPELINE_STABLE_SECONDS": "0.25", "AUTOSEG_PIPELINE_WORKERS": "2", "AUTOSEG_HTTP_PORT": "8081",
            "AUTOSEG_PIPELINE_MEMORY_MB": "4096", "AUTOSEG_PIPELINE_KEY_IMAGES": "false",
            "AUTOSEG_PIPELINE_RETRY_MAX_SECONDS": "30", "AUTOSEG_HTTP_HOST": "0.0.0.0",
            "AUTOSEG_PIPELINE_DELIVERY_TIMEOUT": "12", "AUTOSEG_PIPELINE_DEAD_LETTER_AFTER": "5",
            "AUTOSEG_HTTP_USER": "ops", "AUTOSEG_HTTP_PASSWORD_HASH": "sha256:" + String(repeating: "0f", count: 32),
            "AUTOSEG_HTTP_LOOPBACK_PATIENT_NAMES": "true",
        ]
        let c = try parse("", env: env)
        XCTAssertEqual(c.node, NodeSection(aeTitle: "ENV AE", port: 1234, dataDir: "/data", maxAssociations: 3,
                                           maxPDU: 16384, minFreeMB: 1000, acseTimeout: 5, idleTimeout: 6,
                                           maxNegotiating: 9, maxNegotiatingPerHost: 8, shutdownGrace: 7,
                                           host: "127.0.0.1"))
        XCTAssertEqual(c.security, SecuritySection(allowedCallers: [AllowedCaller(aeTitle: "CT01")], tls: true,
                                                   certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem"))
        var pipeline = PipelineSection(stableSeconds: 0.25, workers: 2, memoryMB: 4096, keyImages: false, retryMaxSeconds: 30)
        pipeline.deliveryTimeout = 12
        pipeline.deadLetterAfter = 5
        XCTAssertEqual(c.pipeline, pipeline)
        var http = HTTPSection(port: 8081, host: "0.0.0.0")
        http.user = "ops"
        http.passwordHash = "sha256:" + String(repeating: "0f", count: 32)
        http.loopbackPatientNames = true
        XCTAssertEqual(c.http, http)
        // One variable per key of the overridable sections, no more.
        let expected = ConfigEnvironment.sections.flatMap { s in s.keys.map { ConfigEnvironment.variable(section: s.name, key: $0) } }
        XCTAssertEqual(Set(expected), Set(env.keys))
        XCTAssertEqual(try parse("", env: ["AUTOSEG_SECURITY_TLS": "0"]).security.tls, false)
    }

    func testBadEnvironmentValuesNameTheVariable() {
        assertConfigError("", env: ["AUTOSEG_NODE_PORT": "abc"], key: "AUTOSEG_NODE_PORT",
                          contains: [#"config: AUTOSEG_NODE_PORT: must be an integer in 0...65535 (got "abc")"#])
        assertConfigError("[node]\nport = 1", env: ["AUTOSEG_NODE_PORT": "70000"], key: "AUTOSEG_NODE_PORT",
                          contains: ["(got 70000)"])
        assertConfigError("", env: ["AUTOSEG_NODE_PORT": ""], key: "AUTOSEG_NODE_PORT")
        assertConfigError("", env: ["AUTOSEG_NODE_PORT": "1.5"], key: "AUTOSEG_NODE_PORT")
        assertConfigError("", env: ["AUTOSEG_NODE_AE_TITLE": "A\\B"], key: "AUTOSEG_NODE_AE_TITLE", contains: ["AE title"])
        assertConfigError("", env: ["AUTOSEG_NODE_DATA_DIR": ""], key: "AUTOSEG_NODE_DATA_DIR")
        assertConfigError("", env: ["AUTOSEG_SECURITY_TLS": "maybe"], key: "AUTOSEG_SECURITY_TLS",
                          contains: [#"must be true or false (got "maybe")"#])
        assertConfigError("", env: ["AUTOSEG_SECURITY_ALLOWED_CALLERS": "GOOD,BAD\\AE"],
                          key: "AUTOSEG_SECURITY_ALLOWED_CALLERS", contains: [#"(got "BAD\\AE")"#])
        assertConfigError("", env: ["AUTOSEG_PIPELINE_STABLE_SECONDS": "0"], key: "AUTOSEG_PIPELINE_STABLE_SECONDS")
        assertConfigError("", env: ["AUTOSEG_PIPELINE_STABLE_SECONDS": "soon"], key: "AUTOSEG_PIPELINE_STABLE_SECONDS")
        assertConfigError("", env: ["AUTOSEG_PIPELINE_WORKERS": "-1"], key: "AUTOSEG_PIPELINE_WORKERS")
        assertConfigError("", env: ["AUTOSEG_HTTP_PORT": "http"], key: "AUTOSEG_HTTP_PORT")
    }

    func testUnknownAutosegVariablesAreErrors() {
        for name in ["AUTOSEG_NODE_COLOUR", "AUTOSEG_NODE_PROT", "AUTOSEG_PEERS_HOST", "AUTOSEG_RULES_ANALYZER",
                     "AUTOSEG_", "AUTOSEG_node_port", "AUTOSEG_CONFIGFILE"]
        {
            assertConfigError("", env: [name: "1"], key: name, contains: ["unknown environment variable '\(name)'"])
        }
    }

    // MARK: Loading files

    func testLoadFromFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfgtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.toml")
        try "[node]\nport = 4242\n".write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try NodeConfig.load(path: good.path, environment: [:]).node.port, 4242)
        XCTAssertEqual(try NodeConfig.load(path: good.path, environment: ["AUTOSEG_NODE_PORT": "1"]).node.port, 1)

        let bad = dir.appendingPathComponent("bad.toml")
        try "[node]\nport = 4242\nport = 1\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NodeConfig.load(path: bad.path, environment: [:])) { error in
            XCTAssertEqual("\(error)", "config: \(bad.path): line 3: duplicate key 'node.port'")
        }
        let missing = dir.appendingPathComponent("missing.toml").path
        XCTAssertThrowsError(try NodeConfig.load(path: missing, environment: [:])) { error in
            XCTAssertEqual("\(error)", "config: cannot read config file '\(missing)': no such file")
        }
        let binary = dir.appendingPathComponent("binary.toml")
        try Data([0x61, 0x20, 0x3D, 0x20, 0xFF, 0xFE]).write(to: binary)
        XCTAssertThrowsError(try NodeConfig.load(path: binary.path, environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("not valid UTF-8"), "\(error)")
        }
    }

    // MARK: Small API pieces

    func testAllowedCallerParsingAndMatching() {
        XCTAssertEqual(AllowedCaller(entry: "CT01"), AllowedCaller(aeTitle: "CT01", host: nil))
        XCTAssertEqual(AllowedCaller(entry: "PACS@10.0.0.5"), AllowedCaller(aeTitle: "PACS", host: "10.0.0.5"))
        XCTAssertEqual(AllowedCaller(entry: "A@B@1.2.3.4"), AllowedCaller(aeTitle: "A@B", host: "1.2.3.4"))
        XCTAssertNil(AllowedCaller(entry: ""))
        XCTAssertNil(AllowedCaller(entry: "A@"))
        XCTAssertEqual(AllowedCaller(aeTitle: "PACS", host: "10.0.0.5").description, "PACS@10.0.0.5")

        let any = AllowedCaller(aeTitle: "CT01")
        XCTAssertTrue(any.matches(callingAE: "CT01", peerHost: "10.1.1.1"))
        XCTAssertTrue(any.matches(callingAE: "CT01  ", peerHost: "::1"))
        XCTAssertTrue(AllowedCaller(aeTitle: "CT01 ").matches(callingAE: "CT01", peerHost: "h"))
        XCTAssertFalse(any.matches(callingAE: "ct01", peerHost: "10.1.1.1"))
        XCTAssertFalse(any.matches(callingAE: "CT0", peerHost: "10.1.1.1"))
        XCTAssertFalse(any.matches(callingAE: " CT01", peerHost: "10.1.1.1"))
        let pinned = AllowedCaller(aeTitle: "PACS", host: "10.0.0.5")
        XCTAssertTrue(pinned.matches(callingAE: "PACS", peerHost: "10.0.0.5"))
        XCTAssertFalse(pinned.matches(callingAE: "PACS", peerHost: "10.0.0.50"))
        XCTAssertFalse(pinned.matches(callingAE: "OTHER", peerHost: "10.0.0.5"))
    }

    func testDataDirectoryURL() {
        let base = URL(fileURLWithPath: "/tmp/work", isDirectory: true)
        XCTAssertEqual(NodeSection(dataDir: "var").dataDirectoryURL(relativeTo: base).path, "/tmp/work/var")
        XCTAssertEqual(NodeSection(dataDir: "a/b/").dataDirectoryURL(relativeTo: base).path, "/tmp/work/a/b")
        XCTAssertEqual(NodeSection(dataDir: "../d").dataDirectoryURL(relativeTo: base).path, "/tmp/d")
        XCTAssertEqual(NodeSection(dataDir: "/srv/autoseg").dataDirectoryURL(relativeTo: base).path, "/srv/autoseg")
        XCTAssertTrue(NodeSection(dataDir: "var").dataDirectoryURL(relativeTo: base).isFileURL)
    }

    func testErrorDescriptions() {
        XCTAssertEqual(ConfigError.invalid("node.port", expected: "an integer in 0...65535", got: "\"abc\"").description,
                       #"config: node.port: must be an integer in 0...65535 (got "abc")"#)
        XCTAssertEqual(ConfigError.unknownKey("node.colour", isSection: false).description, "config: unknown key 'node.colour'")
        XCTAssertEqual(ConfigError.syntax("expected '='", line: 7).description, "config: line 7: expected '='")
        XCTAssertEqual(TOMLValue.quoted("a\"b\\c\n\u{1}"), #""a\"b\\c\n\u0001""#)
    }
}

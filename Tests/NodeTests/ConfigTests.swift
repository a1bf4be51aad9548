import DICOM
import Foundation
import XCTest

import Pipeline
@testable import Node

/// The typed node configuration: defaults, the shipped `conf/autoseg.toml`, validation of
/// every section.
final class ConfigTests: XCTestCase {
    // MARK: Defaults and the shipped file

    func testDefaults() throws {
        let c = NodeConfig()
        XCTAssertEqual(c.node.aeTitle, "AUTOSEG")
        XCTAssertEqual(c.node.port, 11112)
        XCTAssertEqual(c.node.dataDir, "var")
        XCTAssertEqual(c.node.maxAssociations, 16)
        XCTAssertEqual(c.node.maxPDU, 131072)
        XCTAssertEqual(c.node.minFreeMB, 2048)
        XCTAssertEqual(c.node.acseTimeout, 30)
        XCTAssertEqual(c.node.idleTimeout, 60)
        XCTAssertEqual(c.node.maxNegotiating, 16)
        XCTAssertEqual(c.node.maxNegotiatingPerHost, 4)
        XCTAssertEqual(c.node.shutdownGrace, 30)
        XCTAssertEqual(c.security.allowedCallers, [])
        XCTAssertFalse(c.security.tls)
        XCTAssertNil(c.security.certFile)
        XCTAssertNil(c.security.keyFile)
        XCTAssertNil(c.security.caFile)
        XCTAssertEqual(c.pipeline.stableSeconds, 10)
        XCTAssertEqual(c.pipeline.workers, 0)
        XCTAssertEqual(c.peers, [])
        XCTAssertEqual(c.rules, [])
        XCTAssertEqual(c.http.port, 8080)
        XCTAssertNoThrow(try c.validate())
        XCTAssertEqual(try parse(""), c)
        XCTAssertEqual(try parse("# only a comment\n\n[node]\n[http]\n"), c)
        XCTAssertEqual(try NodeConfig.load(path: nil, environment: [:]), c)
        XCTAssertEqual(try NodeConfig.load(path: nil, environment: ["PATH": "/bin", "AUTOSEG_CONFIG": "x.toml"]), c)
    }

    func testShippedConfigLoads() throws {
        let c = try NodeConfig.load(path: shippedConfigPath, environment: [:])
        // Every value shown in the file is the built-in default.
        XCTAssertEqual(c.node, NodeSection())
        XCTAssertEqual(c.security, SecuritySection())
        XCTAssertEqual(c.pipeline, PipelineSection())
        XCTAssertEqual(c.http, HTTPSection())
        XCTAssertEqual(c.peers, [Peer(aeTitle: "PACS", host: "127.0.0.1", port: 4242)])
        XCTAssertEqual(c.rules.map(\.analyzers), [["lung", "liver"], ["lung"], ["liver"], ["infarct"], ["infarct"],
                                                    ["infarct"], ["infarct"], ["infarct"], ["none"]])
        XCTAssertEqual(c.rules.map(\.modality), ["CT", "CT", "CT", "MR", "MR", "CT", "MR", "MR", nil])
        XCTAssertEqual(c.rules[0].region, ["chest", "abdomen"])
        XCTAssertEqual(c.rules[0].maxSliceThickness, 5)
        XCTAssertEqual(c.rules[1].region, ["chest"])
        XCTAssertEqual(c.rules[2].region, ["abdomen"])
        XCTAssertEqual(c.rules[4].imageType, ["ADC"])
        XCTAssertEqual(c.rules[5].imageType, ["PERFUSION"])
        // DWI traces (read with their study's ADC map): ImageType TRACEW, or by name; not an ADC map, not a T2.
        XCTAssertEqual(c.rules[6].imageType, ["TRACEW"])
        let matches = { (pattern: String?, text: String) -> Bool in
            let re = try! NSRegularExpression(pattern: pattern!)
            return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        // ADC maps as Siemens, Philips and GE name them; not Philips' exponential ADC, not a T2.
        for name in ["ep2d_diff ADC", "ep2d_diff_ADC", "dADC", "Apparent Diffusion Coefficient (mm2/s)", "DWI ADC"] {
            XCTAssertTrue(matches(c.rules[3].seriesDescription, name), name)
        }
        for name in ["t2_tse_tra", "eADC", "DWI b1000 TRACEW", "cadcam"] {
            XCTAssertFalse(matches(c.rules[3].seriesDescription, name), name)
        }
        XCTAssertTrue(matches(c.rules[5].seriesDescription, "CTP rCBF"))
        XCTAssertTrue(matches(c.rules[5].seriesDescription, "Tmax"))
        XCTAssertFalse(matches(c.rules[5].seriesDescription, "CBV"))
        for name in ["DWI", "Philips DWI SENSE", "ep2d_diff_TRACEW", "DWI b=1000", "diff b1000"] {
            XCTAssertTrue(matches(c.rules[7].seriesDescription, name), name)
        }
        for name in ["t2_tse_tra", "dADC", "b10000", "flair"] {
            XCTAssertFalse(matches(c.rules[7].seriesDescription, name), name)
        }
    }

    func testRegionAndContrastPhaseKeys() throws {
        let c = try parse("""
            [[rules]]
            analyzer = ["lung", "liver"]
            region = ["chest", "abdomen"]
            [[rules]]
            analyzer = "liver"
            region = "abdomen"
            contrast_phase = ["arterial", "portal-venous"]
            """)
        XCTAssertEqual(c.rules, [Rule(analyzers: ["lung", "liver"], region: ["chest", "abdomen"]),
                                 Rule(analyzer: "liver", region: ["abdomen"], contrastPhase: ["arterial", "portal-venous"])])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nregion = \"knee\"", key: "rules[0].region",
                          contains: ["chest, abdomen, head"])
        assertConfigError("[[rules]]\nanalyzer = \"liver\"\ncontrast_phase = \"venous\"", key: "rules[0].contrast_phase",
                          contains: ["none, arterial, portal-venous"])
        assertConfigError("[[rules]]\nanalyzer = \"liver\"\nregion = []", key: "rules[0].region")
        assertConfigError("[[rules]]\nanalyzer = [\"lung\", \"none\"]", key: "rules[0].analyzer", contains: ["none"])
        assertConfigError("[[rules]]\nanalyzer = [\"lung\", \"spleen\"]", key: "rules[0].analyzer[1]")
    }

    func testShippedConfigDocumentsEveryKey() throws {
        let text = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        for (section, keys) in ConfigEnvironment.sections {
            XCTAssertTrue(text.contains("[\(section)]"), section)
            for key in keys {
                XCTAssertNotNil(text.range(of: "(?m)^#? ?\(key) = ", options: .regularExpression), "\(section).\(key)")
            }
        }
        for key in Peer.keys + Rule.keys { XCTAssertTrue(text.contains("\(key) = "), key) }
    }

    // MARK: Typed configuration

    func testFullFileParses() throws {
        let c = try parse("""
            [node]
            ae_title = "NODE1"
            port = 0
            data_dir = "/srv/autoseg"
            max_associations = 1000
            max_pdu = 4096
            min_free_mb = 0
            acse_timeout = 1
            idle_timeout = 3600
            max_negotiating = 1000
            max_negotiating_per_host = 1
            shutdown_grace = 5
            [security]
            allowed_callers = ["CT01", "PACS@10.0.0.5", "A@B@::1"]
            tls = true
            cert_file = "c.pem"
            key_file = 'k.pem'
            ca_file = "ca.pem"
            [pipeline]
            stable_seconds = 2.5
            workers = 3
            [http]
            port = 0
            [[peers]]
            ae_title = "P1"
            host = "pacs.local"
            port = 104
            [[rules]]
            analyzer = "none"
            [[rules]]
            analyzer = "lung"
            body_part = "CHEST"
            series_description = "(?i)lung"
            """)
        XCTAssertEqual(c.node, NodeSection(aeTitle: "NODE1", port: 0, dataDir: "/srv/autoseg", maxAssociations: 1000,
                                           maxPDU: 4096, minFreeMB: 0, acseTimeout: 1, idleTimeout: 3600,
                                           maxNegotiating: 1000, maxNegotiatingPerHost: 1, shutdownGrace: 5))
        XCTAssertEqual(c.security, SecuritySection(
            allowedCallers: [AllowedCaller(aeTitle: "CT01"), AllowedCaller(aeTitle: "PACS", host: "10.0.0.5"),
                             AllowedCaller(aeTitle: "A@B", host: "::1")],
            tls: true, certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem"))
        XCTAssertEqual(c.pipeline, PipelineSection(stableSeconds: 2.5, workers: 3))
        XCTAssertEqual(c.http.port, 0)
        XCTAssertEqual(c.peers, [Peer(aeTitle: "P1", host: "pacs.local", port: 104)])
        XCTAssertEqual(c.rules, [Rule(analyzer: "none"),
                                 Rule(analyzer: "lung", bodyPart: ["CHEST"], seriesDescription: "(?i)lung")])
        XCTAssertEqual(try parse("[pipeline]\nstable_seconds = 3").pipeline.stableSeconds, 3.0)
        XCTAssertEqual(try parse("peers = []\nrules = []"), NodeConfig())
    }

    func testUnknownKeysAtEveryLevel() {
        assertConfigError("colour = 1", key: "colour", contains: ["config: unknown key 'colour'"])
        assertConfigError("[nodes]\nport = 1", key: "nodes", contains: ["config: unknown section 'nodes'"])
        assertConfigError("[[destinations]]\nx = 1", key: "destinations", contains: ["unknown section 'destinations'"])
        assertConfigError("[node]\ncolour = \"red\"", key: "node.colour", contains: ["config: unknown key 'node.colour'"])
        assertConfigError("[node.extra]\na = 1", key: "node.extra", contains: ["unknown section 'node.extra'"])
        assertConfigError("[security]\nallowed = []", key: "security.allowed", contains: ["unknown key 'security.allowed'"])
        assertConfigError("[pipeline]\nworker = 2", key: "pipeline.worker", contains: ["unknown key 'pipeline.worker'"])
        assertConfigError("[http]\nhosts = \"x\"", key: "http.hosts", contains: ["unknown key 'http.hosts'"])
        assertConfigError("""
            [[peers]]
            ae_title = "A"
            host = "h"
            port = 1
            [[peers]]
            ae_title = "B"
            hots = "h"
            port = 2
            """, key: "peers[1].hots", contains: ["config: unknown key 'peers[1].hots'"])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nmodalty = \"CT\"", key: "rules[0].modalty",
                          contains: ["unknown key 'rules[0].modalty'"])
    }

    func testWrongTypes() {
        assertConfigError("[node]\nport = \"abc\"", key: "node.port",
                          contains: [#"config: node.port: must be an integer in 0...65535 (got "abc")"#])
        assertConfigError("[node]\nport = 1.5", key: "node.port", contains: ["(got 1.5)"])
        assertConfigError("[node]\nmax_pdu = true", key: "node.max_pdu", contains: ["4096...131072", "(got true)"])
        assertConfigError("[node]\nae_title = 5", key: "node.ae_title", contains: ["must be an AE title", "(got 5)"])
        assertConfigError("[node]\ndata_dir = [\"a\"]", key: "node.data_dir", contains: [#"(got ["a"])"#])
        assertConfigError("[security]\ntls = \"yes\"", key: "security.tls", contains: [#"must be true or false (got "yes")"#])
        assertConfigError("[security]\nallowed_callers = \"A\"", key: "security.allowed_callers",
                          contains: ["an array of strings"])
        assertConfigError("[security]\nallowed_callers = [\"A\", 1]", key: "security.allowed_callers[1]",
                          contains: ["(got 1)"])
        assertConfigError("[security]\ncert_file = 1", key: "security.cert_file", contains: ["non-empty string"])
        assertConfigError("[pipeline]\nstable_seconds = \"10\"", key: "pipeline.stable_seconds",
                          contains: [#"must be a number > 0 (got "10")"#])
        assertConfigError("[pipeline]\nworkers = 1.0", key: "pipeline.workers", contains: ["integer >= 0"])
        assertConfigError("node = 5", key: "node", contains: ["must be a table ([node]) (got 5)"])
        assertConfigError("peers = 5", key: "peers", contains: ["array of tables ([[peers]])"])
        assertConfigError("peers = [1]", key: "peers", contains: ["array of tables ([[peers]])"])
        assertConfigError("[rules]\nanalyzer = \"lung\"", key: "rules", contains: ["array of tables ([[rules]])", "a table"])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nbody_part = 5", key: "rules[0].body_part",
                          contains: ["a string or a non-empty array of strings"])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nbody_part = []", key: "rules[0].body_part",
                          contains: ["non-empty array", "(got [])"])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nbody_part = [\"CHEST\", 2]", key: "rules[0].body_part[1]")
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nmodality = 1", key: "rules[0].modality")
    }

    func testRequiredKeys() {
        assertConfigError("[[peers]]\nae_title = \"A\"\nport = 104", key: "peers[0].host", contains: ["is required"])
        assertConfigError("[[peers]]\nhost = \"h\"\nport = 104", key: "peers[0].ae_title", contains: ["is required"])
        assertConfigError("[[peers]]\nae_title = \"A\"\nhost = \"h\"", key: "peers[0].port", contains: ["is required"])
        assertConfigError("[[rules]]\nmodality = \"CT\"", key: "rules[0].analyzer", contains: ["is required"])
        assertConfigError("[[rules]]\n", key: "rules[0].analyzer", contains: ["is required"])
    }

    func testRanges() throws {
        let bad: [(String, String, String, String)] = [
            ("node", "port", "-1", "0...65535"), ("node", "port", "65536", "0...65535"),
            ("node", "max_associations", "0", "1...1000"), ("node", "max_associations", "1001", "1...1000"),
            ("node", "max_pdu", "4095", "4096...131072"), ("node", "max_pdu", "131073", "4096...131072"),
            ("node", "min_free_mb", "-1", ">= 0"),
            ("node", "acse_timeout", "0", "1...3600"), ("node", "idle_timeout", "3601", "1...3600"),
            ("node", "shutdown_grace", "0", "1...3600"), ("node", "data_dir", "\"\"", "non-empty"),
            ("node", "max_negotiating", "0", "1...1000"), ("node", "max_negotiating", "1001", "1...1000"),
            ("node", "max_negotiating_per_host", "0", "1...1000"),
            ("pipeline", "stable_seconds", "0", "> 0"), ("pipeline", "stable_seconds", "-0.5", "> 0"),
            ("pipeline", "workers", "-1", ">= 0"), ("http", "port", "70000", "0...65535"),
        ]
        for (section, key, value, expected) in bad {
            assertConfigError("[\(section)]\n\(key) = \(value)", key: "\(section).\(key)",
                              contains: ["config: \(section).\(key): must be", expected, "(got "])
        }
        assertConfigError("[[peers]]\nae_title = \"A\"\nhost = \"h\"\nport = 0", key: "peers[0].port", contains: ["1...65535"])
        assertConfigError("[[peers]]\nae_title = \"A\"\nhost = \"h\"\nport = 65536", key: "peers[0].port")
        assertConfigError("[[peers]]\nae_title = \"A\"\nhost = \"\"\nport = 104", key: "peers[0].host")
        assertConfigError("[[peers]]\nae_title = \"A\"\nhost = \"a b\"\nport = 104", key: "peers[0].host")
        // A per-host cap above the total cap could never apply.
        assertConfigError("[node]\nmax_negotiating = 8\nmax_negotiating_per_host = 9", key: "node.max_negotiating_per_host",
                          contains: ["must be at most node.max_negotiating (8) (got 9)"])
        XCTAssertEqual(try parse("[node]\nmax_negotiating = 4\nmax_negotiating_per_host = 4").node.maxNegotiatingPerHost, 4)
        // The bounds themselves are accepted.
        let c = try parse("[node]\nport = 65535\nmin_free_mb = 0\nacse_timeout = 3600\n[pipeline]\nstable_seconds = 0.001")
        XCTAssertEqual(c.node.port, 65535)
        XCTAssertEqual(c.pipeline.stableSeconds, 0.001)
    }

    func testAETitles() throws {
        for good in ["A", "ABCDEFGHIJKLMNOP", "MY AE", "A-B_C.1", "  X", "X ", "~!@#$%^&*()"] {
            XCTAssertEqual(try parse("[node]\nae_title = \(TOMLValue.quoted(good))").node.aeTitle, good)
        }
        for bad in ["", " ", "                ", "ABCDEFGHIJKLMNOPQ", "A\\B", "\u{C4}E", "A\tB", "A\u{7F}"] {
            let quoted = TOMLValue.quoted(bad)
            assertConfigError("[node]\nae_title = \(quoted)", key: "node.ae_title", contains: ["AE title", "(got \(quoted))"])
            assertConfigError("[[peers]]\nae_title = \(quoted)\nhost = \"h\"\nport = 1", key: "peers[0].ae_title")
            assertConfigError("[security]\nallowed_callers = [\"OK\", \(quoted)]", key: "security.allowed_callers[1]")
            assertConfigError("[security]\nallowed_callers = [\(TOMLValue.quoted(bad + "@10.0.0.1"))]",
                              key: "security.allowed_callers[0]")
        }
        for bad in ["A@", "@10.0.0.1", "A@a b"] {
            assertConfigError("[security]\nallowed_callers = [\(TOMLValue.quoted(bad))]", key: "security.allowed_callers[0]")
        }
    }

    func testRulesAnalyzerAndRegex() {
        assertConfigError("[[rules]]\nanalyzer = \"kidney\"", key: "rules[0].analyzer",
                          contains: [#"must be one of lung, liver, infarct, none (got "kidney")"#])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\n[[rules]]\nanalyzer = \"liver\"\nseries_description = \"(unclosed\"",
                          key: "rules[1].series_description",
                          contains: [#"must be a valid regular expression (got "(unclosed")"#])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nseries_description = '[a-'", key: "rules[0].series_description")
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nmin_slice_thickness = 3\nmax_slice_thickness = 1",
                          key: "rules[0].min_slice_thickness", contains: ["must not exceed max_slice_thickness"])
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nmax_slice_thickness = -1", key: "rules[0].max_slice_thickness")
        assertConfigError("[[rules]]\nanalyzer = \"lung\"\nimage_type = []", key: "rules[0].image_type")
        assertConfigError("[[peers]]\nae_title = \"P\"\nhost = \"h\"\nport = 1\nsend_all = 1", key: "peers[0].send_all")
        assertConfigError("[pipeline]\nmemory_mb = -5", key: "pipeline.memory_mb")
        assertConfigError("[pipeline]\nkey_images = \"yes\"", key: "pipeline.key_images")
        assertConfigError("[pipeline]\nretry_max_seconds = 0", key: "pipeline.retry_max_seconds")
    }

    func testTLSNeedsCertificateAndKey() throws {
        assertConfigError("[security]\ntls = true", key: "security.cert_file", contains: ["required when security.tls = true"])
        assertConfigError("[security]\ntls = true\ncert_file = \"c\"", key: "security.key_file", contains: ["required"])
        assertConfigError("[security]\ntls = true\nkey_file = \"k\"", key: "security.cert_file")
        XCTAssertNoThrow(try parse("[security]\ntls = true\ncert_file = \"c\"\nkey_file = \"k\""))
        XCTAssertNoThrow(try parse("[security]\ntls = false\ncert_file = \"c\""))
        assertConfigError("", env: ["AUTOSEG_SECURITY_TLS": "true"], key: "security.cert_file")
    }

    func testPeerTLSNeedsClientCredentials() throws {
        let peer = "[[peers]]\nae_title = \"P\"\nhost = \"h\"\nport = 1\ntls = true"
        assertConfigError(peer, key: "peers[0].tls", contains: ["needs security.cert_file and security.key_file"])
        assertConfigError("[security]\ncert_file = \"c\"\n" + peer, key: "peers[0].tls")
        let c = try parse("[security]\ncert_file = \"c\"\nkey_file = \"k\"\n" + peer)
        XCTAssertEqual(c.peers, [Peer(aeTitle: "P", host: "h", port: 1, tls: true)])
        XCTAssertFalse(c.security.tls)
        XCTAssertNil(c.security.tlsConfiguration(relativeTo: URL(fileURLWithPath: "/base")))
        let creds = try XCTUnwrap(c.security.credentials(relativeTo: URL(fileURLWithPath: "/base")))
        XCTAssertEqual(creds.certificateFile, "/base/c")
        XCTAssertEqual(creds.privateKeyFile, "/base/k")
        XCTAssertNil(creds.caFile)
        assertConfigError("[[peers]]\nae_title = \"P\"\nhost = \"h\"\nport = 1\ntls = \"yes\"", key: "peers[0].tls")
        XCTAssertFalse(try parse("[[peers]]\nae_title = \"P\"\nhost = \"h\"\nport = 1").peers[0].tls)
    }

    func testTLSPathsResolveAgainstTheBaseDirectory() throws {
        let c = try parse("[security]\ntls = true\ncert_file = \"tls/n.crt\"\nkey_file = \"/etc/n.key\"\nca_file = \"../ca.crt\"")
        let t = try XCTUnwrap(c.security.tlsConfiguration(relativeTo: URL(fileURLWithPath: "/srv/autoseg")))
        XCTAssertEqual(t.certificateFile, "/srv/autoseg/tls/n.crt")
        XCTAssertEqual(t.privateKeyFile, "/etc/n.key")
        XCTAssertEqual(t.caFile, "/srv/ca.crt")
        XCTAssertTrue(t.requirePeerCertificate)
    }

    func testValidateCatchesConfigBuiltInCode() {
        var c = NodeConfig()
        c.node.port = 70000
        XCTAssertThrowsError(try c.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "node.port") }
        c = NodeConfig()
        c.peers = [Peer(aeTitle: "OK", host: "h", port: 104), Peer(aeTitle: "A\\B", host: "h", port: 104)]
        XCTAssertThrowsError(try c.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "peers[1].ae_title") }
        c = NodeConfig()
        c.rules = [Rule(analyzer: "lung", seriesDescription: "(")]
        XCTAssertThrowsError(try c.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "rules[0].series_description") }
        c = NodeConfig()
        c.security.allowedCallers = [AllowedCaller(aeTitle: "A", host: "")]
        XCTAssertThrowsError(try c.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "security.allowed_callers[0]") }
        c = NodeConfig()
        c.pipeline.stableSeconds = .nan
        XCTAssertThrowsError(try c.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "pipeline.stable_seconds") }
    }
}

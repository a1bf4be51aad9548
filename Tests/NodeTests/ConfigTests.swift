import DICOM
import Foundation
import XCTest

import Pipeline
@testable import Node

/// The node configuration: the TOML subset parser, the typed config with its defaults,
/// validation, environment overrides, and the shipped `conf/autoseg.toml`.
final class ConfigTests: XCTestCase {
    // MARK: Helpers

    /// `conf/autoseg.toml` of this checkout, found from this file (symlinks resolved).
    private var shippedConfigPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("conf/autoseg.toml").path
    }

    private func parse(_ toml: String, env: [String: String] = [:]) throws -> NodeConfig {
        try NodeConfig.parse(toml: toml, environment: env)
    }

    /// Asserts that parsing `toml` with `env` fails with a `ConfigError` for `key` whose
    /// description contains every string of `contains`.
    private func assertConfigError(
        _ toml: String, env: [String: String] = [:], key: String?, contains: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let config = try NodeConfig.parse(toml: toml, environment: env)
            XCTFail("expected an error for key \(key ?? "nil"), got \(config)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.key, key, "\(error)", file: file, line: line)
            for part in contains {
                XCTAssertTrue(error.description.contains(part), "'\(error)' lacks '\(part)'", file: file, line: line)
            }
            XCTAssertTrue(error.description.hasPrefix("config: "), "\(error)", file: file, line: line)
        }
    }

    /// Asserts a syntax error on `line` whose message contains `contains`.
    private func assertSyntaxError(
        _ toml: String, line expectedLine: Int, contains: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            _ = try TOMLParser.parse(toml)
            XCTFail("expected a syntax error containing '\(contains)'", file: file, line: line)
        } catch {
            XCTAssertEqual(error.line, expectedLine, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(contains), "'\(error)' lacks '\(contains)'", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("config: line \(expectedLine): "), "\(error)", file: file, line: line)
        }
    }

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
        XCTAssertEqual(c.rules.map(\.analyzer), ["lung", "liver", "infarct", "infarct", "none"])
        XCTAssertEqual(c.rules.map(\.modality), ["CT", "CT", "MR", "CT", nil])
        XCTAssertEqual(c.rules[0].maxSliceThickness, 5)
        XCTAssertEqual(c.rules[3].imageType, ["PERFUSION"])
        XCTAssertEqual(c.rules[0].bodyPart, ["CHEST", "LUNG", "THORAX"])
        XCTAssertTrue(c.rules[1].bodyPart?.contains("LIVER") ?? false)
        let matches = { (pattern: String?, text: String) -> Bool in
            let re = try! NSRegularExpression(pattern: pattern!)
            return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        XCTAssertTrue(matches(c.rules[0].seriesDescription, "Thorax 1.0 B60f"))
        XCTAssertTrue(matches(c.rules[1].seriesDescription, "ABD PORTAL VENOUS"))
        XCTAssertTrue(matches(c.rules[2].seriesDescription, "ep2d_diff ADC"))
        XCTAssertFalse(matches(c.rules[2].seriesDescription, "t2_tse_tra"))
        XCTAssertTrue(matches(c.rules[3].seriesDescription, "CTP rCBF"))
        XCTAssertTrue(matches(c.rules[3].seriesDescription, "Tmax"))
        XCTAssertFalse(matches(c.rules[3].seriesDescription, "CBV"))
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

    // MARK: Parser

    func testParserStringsAndEscapes() throws {
        let t = try TOMLParser.parse(#"""
            a = "q\"b\\s\nn\tt\u00e9\U0001F600"
            b = 'C:\path\n "raw"'
            c = "a # not a comment"  # a comment
            "quoted key" = 1
            'literal key' = 2
            e = ""
            """#)
        XCTAssertEqual(t["a"], .string("q\"b\\s\nn\tt\u{e9}\u{1F600}"))
        XCTAssertEqual(t["b"], .string(#"C:\path\n "raw""#))
        XCTAssertEqual(t["c"], .string("a # not a comment"))
        XCTAssertEqual(t["quoted key"], .integer(1))
        XCTAssertEqual(t["literal key"], .integer(2))
        XCTAssertEqual(t["e"], .string(""))
        XCTAssertEqual(t.keys, ["a", "b", "c", "quoted key", "literal key", "e"])
    }

    func testParserNumbersAndBooleans() throws {
        let t = try TOMLParser.parse("""
            i1 = 0
            i2 = +42
            i3 = -17
            i4 = 1_000_000
            f1 = 3.25
            f2 = -0.5
            f3 = 1e3
            f4 = 6.5E-2
            f5 = 1_000.000_5
            yes = true
            no = false
            """)
        XCTAssertEqual(t["i1"], .integer(0))
        XCTAssertEqual(t["i2"], .integer(42))
        XCTAssertEqual(t["i3"], .integer(-17))
        XCTAssertEqual(t["i4"], .integer(1_000_000))
        XCTAssertEqual(t["f1"], .float(3.25))
        XCTAssertEqual(t["f2"], .float(-0.5))
        XCTAssertEqual(t["f3"], .float(1000))
        XCTAssertEqual(t["f4"], .float(0.065))
        XCTAssertEqual(t["f5"], .float(1000.0005))
        XCTAssertEqual(t["yes"], .boolean(true))
        XCTAssertEqual(t["no"], .boolean(false))
    }

    func testParserArrays() throws {
        let t = try TOMLParser.parse("""
            empty = []
            one = [ 1 ]
            multi = [
              "a",   # first
              'b',
              # a comment line inside
              "c",   # trailing comma next
            ]
            nested = [[1, 2], ["x"], []]
            mixed = [1, 2.5, true]
            """)
        XCTAssertEqual(t["empty"], .array([]))
        XCTAssertEqual(t["one"], .array([.integer(1)]))
        XCTAssertEqual(t["multi"], .array([.string("a"), .string("b"), .string("c")]))
        XCTAssertEqual(t["nested"], .array([.array([.integer(1), .integer(2)]), .array([.string("x")]), .array([])]))
        XCTAssertEqual(t["mixed"], .array([.integer(1), .float(2.5), .boolean(true)]))
    }

    func testParserTablesAndArraysOfTables() throws {
        let t = try TOMLParser.parse("\u{FEFF}top = 1\r\n[ a.b ]  # header comment\r\nx = 1\r\n[a]\r\ny = 2\r\n"
            + "[[list]]\nn = 1\n[[list]]\nn = 2\n[list.sub]\nz = 3\n[\"q k\".'l']\nw = 4\n")
        XCTAssertEqual(t["top"], .integer(1))
        XCTAssertEqual(t["a"], .table(TOMLTable([("b", .table(TOMLTable([("x", .integer(1))]))), ("y", .integer(2))])))
        XCTAssertEqual(t["list"], .array([
            .table(TOMLTable([("n", .integer(1))])),
            .table(TOMLTable([("n", .integer(2)), ("sub", .table(TOMLTable([("z", .integer(3))])))])),
        ]))
        XCTAssertEqual(t["q k"], .table(TOMLTable([("l", .table(TOMLTable([("w", .integer(4))])))])))
    }

    func testParserSyntaxErrorsCarryLineNumbers() {
        assertSyntaxError("[node]\n\nport 11112\n", line: 3, contains: "expected '=' after key 'port'")
        assertSyntaxError("a = \"open\nb = 1", line: 1, contains: "unterminated string")
        assertSyntaxError("a = 'open", line: 1, contains: "unterminated literal string")
        assertSyntaxError("\n\na = \"bad \\q escape\"", line: 3, contains: "invalid escape '\\q'")
        assertSyntaxError("a = \"\\u12\"", line: 1, contains: "expected 4 hex digits")
        assertSyntaxError("a = \"\\uD800\"", line: 1, contains: "not a Unicode scalar value")
        assertSyntaxError("a = \"tab\u{1}\"", line: 1, contains: "control character U+0001")
        assertSyntaxError("[node]\nx = { a = 1 }", line: 2, contains: "inline tables")
        assertSyntaxError("a = \"\"\"multi\"\"\"", line: 1, contains: "multi-line strings")
        assertSyntaxError("a.b = 1", line: 1, contains: "dotted keys")
        assertSyntaxError("a = 1\n\na = 2", line: 3, contains: "duplicate key 'a'")
        assertSyntaxError("[node]\nport = 1\n[http]\n[node]\n", line: 4, contains: "duplicate table [node]")
        assertSyntaxError("[[peers]]\nhost = \"a\"\nhost = \"b\"", line: 3, contains: "duplicate key 'peers[0].host'")
        assertSyntaxError("[[peers]]\n[[peers]]\nport = 1\nport = 2", line: 4, contains: "duplicate key 'peers[1].port'")
        assertSyntaxError("[peers]\n[[peers]]", line: 2, contains: "already a table")
        assertSyntaxError("[[peers]]\n[peers]", line: 2, contains: "already an array of tables")
        assertSyntaxError("a = 1\n[a]", line: 2, contains: "redefines the key 'a'")
        assertSyntaxError("a = [1]\n[[a]]", line: 2, contains: "redefines the key 'a'")
        assertSyntaxError("a = 1\n[a.b]", line: 2, contains: "'a' is a value, not a table")
        assertSyntaxError("a = [\n 1,\n 2\n", line: 4, contains: "array starting on line 1")
        assertSyntaxError("a = [1 2]", line: 1, contains: "expected ',' or ']'")
        assertSyntaxError("a = [1,,2]", line: 1, contains: "expected a value")
        assertSyntaxError("a = 1 2", line: 1, contains: "after the value of 'a'")
        assertSyntaxError("a = \"x\" b", line: 1, contains: "after the value of 'a'")
        assertSyntaxError("[node] x = 1", line: 1, contains: "after the header")
        assertSyntaxError("\nae_title = AUTOSEG", line: 2, contains: "strings must be quoted")
        assertSyntaxError("a = TRUE", line: 1, contains: "invalid value 'TRUE'")
        assertSyntaxError("a =", line: 1, contains: "expected a value")
        assertSyntaxError("a = # nothing", line: 1, contains: "expected a value")
        assertSyntaxError("= 1", line: 1, contains: "expected a key")
        assertSyntaxError("[node", line: 1, contains: "expected ']'")
        assertSyntaxError("[[node]", line: 1, contains: "expected ']]'")
        assertSyntaxError("[]", line: 1, contains: "expected a key")
        assertSyntaxError("a = 1\rb = 2", line: 1, contains: "carriage return")
        for bad in ["0123", "1__0", "_1", "1_", "1.", ".5", "1e", "1e+", "+", "1.5.2", "12abc", "-inf", "nan"] {
            assertSyntaxError("\nx = \(bad)", line: 2, contains: "'\(bad)'")
        }
        assertSyntaxError("x = 99999999999999999999", line: 1, contains: "out of range")
        assertSyntaxError("x = 1e999", line: 1, contains: "out of range")
        assertSyntaxError("x = 0x10", line: 1, contains: "hexadecimal")
        assertSyntaxError("x = 1979-05-27", line: 1, contains: "dates and times")
        assertSyntaxError("x = 07:32:00", line: 1, contains: "dates and times")
    }

    func testSyntaxErrorDescriptionFormat() throws {
        XCTAssertThrowsError(try parse("[node]\nport = 1\n\n\n\n\nbad line\n")) { error in
            XCTAssertEqual("\(error)", "config: line 7: expected '=' after key 'bad'")
        }
        XCTAssertThrowsError(try NodeConfig.parse(toml: "x", source: "site.toml")) { error in
            XCTAssertEqual("\(error)", "config: site.toml: line 1: expected '=' after key 'x'")
        }
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
                                           maxPDU: 4096, minFreeMB: 0, acseTimeout: 1, idleTimeout: 3600, shutdownGrace: 5))
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
            "AUTOSEG_SECURITY_ALLOWED_CALLERS": "CT01", "AUTOSEG_SECURITY_TLS": "TRUE",
            "AUTOSEG_SECURITY_CERT_FILE": "c.pem", "AUTOSEG_SECURITY_KEY_FILE": "k.pem", "AUTOSEG_SECURITY_CA_FILE": "ca.pem",
            "AUTOSEG_PIPELINE_STABLE_SECONDS": "0.25", "AUTOSEG_PIPELINE_WORKERS": "2", "AUTOSEG_HTTP_PORT": "8081",
            "AUTOSEG_PIPELINE_MEMORY_MB": "4096", "AUTOSEG_PIPELINE_KEY_IMAGES": "false",
            "AUTOSEG_PIPELINE_RETRY_MAX_SECONDS": "30", "AUTOSEG_HTTP_HOST": "0.0.0.0",
        ]
        let c = try parse("", env: env)
        XCTAssertEqual(c.node, NodeSection(aeTitle: "ENV AE", port: 1234, dataDir: "/data", maxAssociations: 3,
                                           maxPDU: 16384, minFreeMB: 1000, acseTimeout: 5, idleTimeout: 6, shutdownGrace: 7))
        XCTAssertEqual(c.security, SecuritySection(allowedCallers: [AllowedCaller(aeTitle: "CT01")], tls: true,
                                                   certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem"))
        XCTAssertEqual(c.pipeline, PipelineSection(stableSeconds: 0.25, workers: 2, memoryMB: 4096, keyImages: false,
                                                   retryMaxSeconds: 30))
        XCTAssertEqual(c.http, HTTPSection(port: 8081, host: "0.0.0.0"))
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

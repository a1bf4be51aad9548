import DICOM
import Foundation
import XCTest

import Pipeline
@testable import Node

/// The TOML subset parser: values, tables, and syntax errors with line numbers.
final class TOMLParserTests: XCTestCase {
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
}

import DICOM
import Foundation
import XCTest

import Pipeline
@testable import Node

/// Helpers of the configuration tests (and the shipped config's path for the router tests).
extension XCTestCase {

    /// `conf/autoseg.toml` of this checkout, found from this file (symlinks resolved).
    var shippedConfigPath: String {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("conf/autoseg.toml").path
    }

    func parse(_ toml: String, env: [String: String] = [:]) throws -> NodeConfig {
        try NodeConfig.parse(toml: toml, environment: env)
    }

    /// Asserts that parsing `toml` with `env` fails with a `ConfigError` for `key` whose
    /// description contains every string of `contains`.
    func assertConfigError(
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
    func assertSyntaxError(
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
}

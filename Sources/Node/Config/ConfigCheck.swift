import DICOM
import Foundation
import Pipeline

/// The constraints on configuration values, each with the wording its error uses.
/// Shared by `ConfigReader` (file and environment) and `NodeConfig.validate()`.
enum ConfigCheck {
    struct Integer: Sendable {
        let range: ClosedRange<Int>

        var expected: String {
            range.upperBound == .max ? "an integer >= \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        }

        func validate(_ value: Int, key: String) throws(ConfigError) {
            guard range.contains(value) else { throw .invalid(key, expected: expected, got: String(value)) }
        }
    }

    struct Number: Sendable {
        let expected: String
        let isValid: @Sendable (Double) -> Bool

        func validate(_ value: Double, key: String) throws(ConfigError) {
            guard isValid(value) else { throw .invalid(key, expected: expected, got: String(value)) }
        }
    }

    struct Text: Sendable {
        let expected: String
        let isValid: @Sendable (String) -> Bool

        func validate(_ value: String, key: String) throws(ConfigError) {
            guard isValid(value) else { throw .invalid(key, expected: expected, got: TOMLValue.quoted(value)) }
        }
    }

    static let port = Integer(range: 0...65535)
    static let peerPort = Integer(range: 1...65535)
    static let maxAssociations = Integer(range: 1...1000)
    static let maxNegotiating = Integer(range: 1...1000)
    static let maxPDU = Integer(range: 4096...131072)
    static let nonNegative = Integer(range: 0...Int.max)
    static let timeout = Integer(range: 1...3600)
    static let positiveInt = Integer(range: 1...Int.max)
    static let positive = Number(expected: "a number > 0") { $0 > 0 && $0.isFinite }

    static let nonEmpty = Text(expected: "a non-empty string") { !$0.isEmpty }
    static let host = Text(expected: "a non-empty host name or IP address without spaces") {
        !$0.isEmpty && !$0.contains(where: \.isWhitespace)
    }
    static let aeTitle = Text(
        expected: "an AE title: 1-16 printable ASCII characters, no backslash, not only spaces",
        isValid: isValidAETitle)
    static let allowedCaller = Text(
        expected: "\"AE\" or \"AE@host\" with a valid AE title (1-16 printable ASCII characters, no backslash, not only spaces)"
    ) { AllowedCaller(entry: $0) != nil }
    static let analyzer = Text(expected: "one of " + Rule.analyzers.joined(separator: ", ")) {
        Rule.analyzers.contains($0)
    }
    static let region = Text(expected: "one of " + Rule.regions.joined(separator: ", ")) { Rule.regions.contains($0) }
    static let contrastPhase = Text(expected: "one of " + Rule.phases.joined(separator: ", ")) { Rule.phases.contains($0) }
    static let regex = Text(expected: "a valid regular expression") {
        (try? NSRegularExpression(pattern: $0)) != nil
    }

    /// DICOM AE title rules (PS3.5 AE VR), the same the network code applies.
    static func isValidAETitle(_ s: String) -> Bool { ApplicationEntity.isValidAETitle(s) }
}

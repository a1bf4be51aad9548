import Crypto
import Foundation
import HummingbirdBcrypt

/// `http.password_hash`: how the console's secret is stored in the configuration — never the
/// secret itself. bcrypt for passwords a person types (slow on purpose: cost 12 is ≈ 0.25 s),
/// SHA-256 for long random tokens (a 128-bit token cannot be guessed, so a fast hash suffices).
enum PasswordHash: Sendable, Equatable {
    case bcrypt(String)
    case sha256([UInt8])

    /// Parses the configuration value; nil for a malformed one. The empty string is valid:
    /// no password, an empty digest that matches nothing.
    init?(configValue value: String) {
        if value.isEmpty {
            self = .sha256([])  // "no password": matches nothing
            return
        }
        if value.hasPrefix("sha256:") {
            let hex = Array(value.dropFirst(7).utf8)
            guard hex.count == 64 else { return nil }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: 64, by: 2) {
                guard let b = UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(b)
            }
            self = .sha256(bytes)
            return
        }
        let prefixes = ["$2a$", "$2b$", "$2y$"]
        guard value.count == 60, prefixes.contains(where: value.hasPrefix) else { return nil }
        // `$2y$` (htpasswd, PHP) is the same algorithm as OpenBSD's `$2b$`, which the bcrypt
        // implementation here reads.
        self = .bcrypt(value.hasPrefix("$2y$") ? "$2b$" + value.dropFirst(4) : value)
    }

    /// Whether a secret is configured at all.
    var isSet: Bool {
        if case .sha256(let digest) = self { return !digest.isEmpty }
        return true
    }

    /// Whether `secret` matches. SHA-256 digests are compared in constant time.
    func matches(_ secret: String) -> Bool {
        switch self {
        case .bcrypt(let hash):
            return Bcrypt.verify(secret, hash: hash)
        case .sha256(let digest):
            guard !digest.isEmpty else { return false }
            let got = Array(SHA256.hash(data: Data(secret.utf8)))
            var diff: UInt8 = 0
            for (a, b) in zip(got, digest) { diff |= a ^ b }
            return diff == 0 && got.count == digest.count
        }
    }
}

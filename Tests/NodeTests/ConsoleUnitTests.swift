import Foundation
import XCTest

@testable import Node

/// The console's pieces that need no server: password hashes, the PNG encoder's checksums,
/// thumbnail shrinking, configuration rendering.
final class ConsoleUnitTests: XCTestCase {
    func testPasswordHashes() throws {
        // Openwall crypt_blowfish's test vectors: "U*U" at cost 5.
        let bcrypt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        let b = try XCTUnwrap(PasswordHash(configValue: bcrypt))
        XCTAssertTrue(b.matches("U*U"))
        XCTAssertFalse(b.matches("U*U*"))
        // htpasswd writes $2y$, the same algorithm as $2b$ (and as $2a$ for short passwords).
        let y = try XCTUnwrap(PasswordHash(configValue: "$2y$" + bcrypt.dropFirst(4)))
        XCTAssertTrue(y.matches("U*U"))
        // SHA-256 of "abc" (FIPS 180-2 appendix B.1).
        let s = try XCTUnwrap(PasswordHash(configValue: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        XCTAssertTrue(s.matches("abc"))
        XCTAssertFalse(s.matches("abd"))
        let none = try XCTUnwrap(PasswordHash(configValue: ""))
        XCTAssertFalse(none.isSet)
        XCTAssertFalse(none.matches(""))
        XCTAssertNil(PasswordHash(configValue: "sha256:1234"))
        XCTAssertNil(PasswordHash(configValue: "plain text password"))
    }

    func testConfigRejectsAMalformedHash() {
        XCTAssertThrowsError(try NodeConfig.parse(toml: "[http]\npassword_hash = \"secret\"\n", environment: [:],
                                                  source: "t.toml"))
        XCTAssertThrowsError(try NodeConfig.parse(toml: "[http]\nuser = \"a:b\"\n", environment: [:], source: "t.toml"))
    }

    func testPNGChecksums() {
        // Check values: CRC-32 of "123456789" is 0xCBF43926 (ISO 3309 / PNG), Adler-32 of
        // "Wikipedia" is 0x11E60398 (RFC 1950's algorithm).
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        // Stored blocks: a body longer than one block (65 535 bytes) is split, the last flagged final.
        let data = [UInt8](repeating: 7, count: 70_000)
        let z = PNGEncoder.zlibStored(data)
        XCTAssertEqual(z.count, 2 + 5 + 65_535 + 5 + (70_000 - 65_535) + 4)
        XCTAssertEqual(z[2], 0, "first block not final")
        XCTAssertEqual(z[2 + 5 + 65_535], 1, "last block final")
        let png = PNGEncoder.grayscale(rows: 2, columns: 3, pixels: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(Array(png.suffix(12)), [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82], "IEND")
    }

    func testThumbnailKeepsTheOutline() {
        // A 600² image with a one-pixel outline square at 255: shrunk by 3 to 200², the outline stays 255.
        var pixels = [UInt8](repeating: 100, count: 600 * 600)
        for i in 100..<200 {
            pixels[100 * 600 + i] = 255
            pixels[i * 600 + 100] = 255
        }
        let small = KeyImageThumbnail.shrink(.init(rows: 600, columns: 600, pixels: pixels), maxSide: 256)
        XCTAssertEqual(small.rows, 200)
        XCTAssertEqual(small.columns, 200)
        XCTAssertEqual(small.pixels[33 * 200 + 50], 255)
        XCTAssertEqual(small.pixels[50 * 200 + 33], 255)
        XCTAssertEqual(small.pixels[10 * 200 + 10], 100)
        XCTAssertEqual(small.pixels.filter { $0 == 255 }.count, 2 * 34 - 1)
    }

    func testConfigurationText() {
        XCTAssertEqual(ConsoleFormat.snakeCase("maxPDU"), "max_pdu")
        XCTAssertEqual(ConsoleFormat.snakeCase("minFreeMB"), "min_free_mb")
        XCTAssertEqual(ConsoleFormat.snakeCase("aeTitle"), "ae_title")
        var http = HTTPSection(port: 8080)
        http.passwordHash = "sha256:" + String(repeating: "ab", count: 32)
        let text = ConsoleFormat.toml(http)
        XCTAssertTrue(text.contains("port = 8080"), text)
        XCTAssertTrue(text.contains("host = \"127.0.0.1\""), text)
        XCTAssertTrue(text.contains("password_hash = (set)"), text)
        XCTAssertFalse(text.contains("abab"), "no secret shown")
    }
}

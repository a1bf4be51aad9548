/// A minimal PNG encoder for 8-bit grayscale images (PNG 1.2, ISO/IEC 15948): signature,
/// IHDR (colour type 0, bit depth 8), one IDAT holding a zlib stream of *stored* (uncompressed)
/// deflate blocks, IEND. Stored blocks are valid deflate (RFC 1951 §3.2.4) and need no zlib
/// library; key-image thumbnails are a few tens of kilobytes, so compression would buy little.
enum PNGEncoder {
    /// The PNG file of a rows × columns grayscale image (row-major, 0 black … 255 white).
    static func grayscale(rows: Int, columns: Int, pixels: [UInt8]) -> [UInt8] {
        precondition(rows > 0 && columns > 0 && pixels.count == rows * columns, "pixels must be rows × columns")
        // Each scanline starts with its filter type: 0, none.
        var raw: [UInt8] = []
        raw.reserveCapacity(rows * (columns + 1))
        for r in 0..<rows {
            raw.append(0)
            raw.append(contentsOf: pixels[(r * columns)..<((r + 1) * columns)])
        }
        var ihdr: [UInt8] = []
        ihdr += bigEndian(UInt32(columns)) + bigEndian(UInt32(rows))
        ihdr += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, adaptive filtering, no interlace
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", ihdr)
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks of at most 65 535 bytes each.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window, no dictionary; 0x7801 % 31 == 0
        var offset = 0
        repeat {
            let n = min(65_535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE 00 (stored)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        return out + bigEndian(adler32(data))
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), as PNG chunks use it.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

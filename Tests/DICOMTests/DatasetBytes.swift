/// Hand-made DICOM element streams for the pre-scan tests (PS3.5 7.1): explicit and implicit
/// VR little endian, explicit VR big endian, items and delimiters, a Part 10 wrapper, and a
/// deflate stream of stored blocks (RFC 1951 3.2.4), so that no encoder stands between the
/// tests and the bytes.
struct DatasetBytes {
    enum Syntax { case explicitLE, implicitLE, explicitBE }

    static let explicitLE = "1.2.840.10008.1.2.1"
    static let implicitLE = "1.2.840.10008.1.2"
    static let explicitBE = "1.2.840.10008.1.2.2"
    static let deflated = "1.2.840.10008.1.2.1.99"
    static let jpegLS = "1.2.840.10008.1.2.4.80"
    static let undefined: UInt32 = 0xFFFF_FFFF
    private static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    var syntax: Syntax
    var bytes: [UInt8] = []

    init(_ syntax: Syntax = .explicitLE) { self.syntax = syntax }

    private func u16(_ v: UInt16) -> [UInt8] {
        syntax == .explicitBE ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
    }
    private func u32(_ v: UInt32) -> [UInt8] {
        let le = [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        return syntax == .explicitBE ? le.reversed() : le
    }

    /// An element; `length` overrides the value's length (e.g. `undefined`, or a lie).
    @discardableResult
    mutating func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8] = [],
                          length: UInt32? = nil) -> Self {
        let n = length ?? UInt32(value.count)
        bytes += u16(group) + u16(element)
        if syntax == .implicitLE {
            bytes += u32(n)
        } else if Self.longVRs.contains(vr) {
            bytes += Array(vr.utf8) + [0, 0] + u32(n)
        } else {
            bytes += Array(vr.utf8) + u16(UInt16(truncatingIfNeeded: n))
        }
        bytes += value
        return self
    }

    /// A text value padded to even length (UI with NUL, others with a space).
    static func text(_ s: String, vr: String = "UI") -> [UInt8] {
        var b = Array(s.utf8)
        if b.count % 2 == 1 { b.append(vr == "UI" ? 0 : 0x20) }
        return b
    }

    mutating func us(_ group: UInt16, _ element: UInt16, _ v: UInt16) { self.element(group, element, "US", u16(v)) }

    mutating func item(length: UInt32 = undefined) { bytes += u16(0xFFFE) + u16(0xE000) + u32(length) }
    mutating func itemDelimiter() { bytes += u16(0xFFFE) + u16(0xE00D) + u32(0) }
    mutating func sequenceDelimiter() { bytes += u16(0xFFFE) + u16(0xE0DD) + u32(0) }

    /// SOP Class/Instance, Study and Series Instance UID, in tag order.
    mutating func identity(sop: String = "1.2.3.4", study: String = "1.2.3", series: String = "1.2.3.1") {
        element(0x0008, 0x0016, "UI", Self.text("1.2.840.10008.5.1.4.1.1.2"))
        element(0x0008, 0x0018, "UI", Self.text(sop))
        element(0x0020, 0x000D, "UI", Self.text(study))
        element(0x0020, 0x000E, "UI", Self.text(series))
    }

    /// `depth` undefined-length sequences (0040,A730), each in an item of the one before; closed
    /// (item and sequence delimiters) when `closed`.
    mutating func nest(_ depth: Int, closed: Bool) {
        for _ in 0..<depth {
            element(0x0040, 0xA730, "SQ", length: Self.undefined)
            item()
        }
        if closed { for _ in 0..<depth { itemDelimiter(); sequenceDelimiter() } }
    }

    /// `depth` sequences (0040,A730) with defined lengths around one short element.
    static func definedNest(_ depth: Int, _ syntax: Syntax) -> [UInt8] {
        var inner = DatasetBytes(syntax)
        inner.element(0x0008, 0x0100, "SH", text("LEAF", vr: "SH"))
        for _ in 0..<depth {
            var level = DatasetBytes(syntax)
            level.item(length: UInt32(inner.bytes.count))
            level.bytes += inner.bytes
            var sequence = DatasetBytes(syntax)
            sequence.element(0x0040, 0xA730, "SQ", level.bytes)
            inner = sequence
        }
        return inner.bytes
    }

    /// Preamble, DICM and a file meta (explicit VR LE) naming `transferSyntax`, then `dataset`.
    static func part10(_ dataset: [UInt8], transferSyntax: String) -> [UInt8] {
        var meta = DatasetBytes(.explicitLE)
        meta.element(0x0002, 0x0001, "OB", [0, 1])
        meta.element(0x0002, 0x0010, "UI", text(transferSyntax))
        var group = DatasetBytes(.explicitLE)
        group.element(0x0002, 0x0000, "UL", [UInt8(meta.bytes.count & 0xFF), UInt8(meta.bytes.count >> 8), 0, 0])
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + group.bytes + meta.bytes + dataset
    }

    /// `data` as a raw deflate stream of stored (uncompressed) blocks; `final`: whether the last
    /// block is marked final (a stream without it is cut off).
    static func deflateStored(_ data: [UInt8], final: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        repeat {
            let n = min(65535, data.count - start)
            let last = start + n >= data.count
            out.append(last && final ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[start..<start + n]
            start += n
        } while start < data.count
        return out
    }
}

import XCTest
@testable import DICOM

/// The bounded pre-scan on hand-made byte buffers (`DatasetBytes`): limits, lengths, the three
/// element encodings, deflate, Pixel Data completeness and UIDs as stored.
final class DatasetScanTests: XCTestCase {
    typealias B = DatasetBytes

    override func setUpWithError() throws { try DICOMToolkit.initialize() }

    private func scan(_ bytes: [UInt8], _ limits: DatasetScan.Limits = .init()) throws -> DatasetScan.Report {
        try DatasetScan.scan(bytes: bytes, limits: limits)
    }

    private func file(_ syntax: B.Syntax, _ ts: String, _ body: (inout B) -> Void) -> [UInt8] {
        var d = B(syntax)
        d.identity()
        body(&d)
        return B.part10(d.bytes, transferSyntax: ts)
    }

    func testPlainDatasetsPass() throws {
        for (syntax, ts) in [(B.Syntax.explicitLE, B.explicitLE), (.implicitLE, B.implicitLE), (.explicitBE, B.explicitBE)] {
            let r = try scan(file(syntax, ts) { d in
                d.element(0x0010, 0x0010, "PN", B.text("DOE^J", vr: "PN"))
                d.nest(3, closed: true)
            })
            XCTAssertNil(r.problem, "\(ts): \(r.reason)")
            XCTAssertEqual(r.transferSyntaxUID, ts)
            XCTAssertEqual(r.depth, 3, ts)
            XCTAssertEqual(r.items, 3, ts)
            XCTAssertGreaterThan(r.datasetOffset, 132)
        }
    }

    func testDepthLimitInEveryEncoding() throws {
        for (syntax, ts) in [(B.Syntax.explicitLE, B.explicitLE), (.implicitLE, B.implicitLE), (.explicitBE, B.explicitBE)] {
            for closed in [false, true] {
                let r = try scan(file(syntax, ts) { $0.nest(10_000, closed: closed) })
                XCTAssertEqual(r.problem, .depth, "\(ts) closed=\(closed)")
                XCTAssertEqual(r.status, .cannotUnderstand)
                XCTAssertTrue(r.reason.hasPrefix("sequences nested deeper than 32 levels"), r.reason)
            }
            let defined = try scan(B.part10(B.definedNest(1_000, syntax), transferSyntax: ts))
            XCTAssertEqual(defined.problem, .depth, "\(ts) defined lengths")
            XCTAssertNil(try scan(B.part10(B.definedNest(32, syntax), transferSyntax: ts)).problem, "\(ts): 32 levels")
            XCTAssertEqual(try scan(B.part10(B.definedNest(33, syntax), transferSyntax: ts)).problem, .depth, ts)
        }
        let custom = try scan(file(.explicitLE, B.explicitLE) { $0.nest(5, closed: true) }, .init(maxDepth: 4))
        XCTAssertEqual(custom.problem, .depth)
        XCTAssertTrue(custom.reason.contains("deeper than 4"), custom.reason)
    }

    func testUnclosedSequenceIsTruncated() throws {
        let r = try scan(file(.explicitLE, B.explicitLE) { $0.nest(3, closed: false) })
        XCTAssertEqual(r.problem, .truncated)
        XCTAssertTrue(r.reason.contains("never closed"), r.reason)
    }

    func testLengthsBeyondTheEnd() throws {
        for (syntax, ts) in [(B.Syntax.explicitLE, B.explicitLE), (.implicitLE, B.implicitLE), (.explicitBE, B.explicitBE)] {
            let r = try scan(file(syntax, ts) { $0.element(0x7FE0, 0x0010, "OW", [1, 2, 3, 4], length: 0x7FFF_FFF0) })
            XCTAssertEqual(r.problem, .truncated, ts)
            XCTAssertTrue(r.reason.contains("(7FE0,0010)") && r.reason.contains("runs past the end of the data"), r.reason)
        }
        // A value that fits the file but not its item.
        let inItem = try scan(file(.explicitLE, B.explicitLE) { d in
            d.element(0x0040, 0xA730, "SQ", length: 20)
            d.item(length: 12)
            d.element(0x0008, 0x0100, "SH", B.text("ABCDEFGH", vr: "SH"))
            d.element(0x0008, 0x0102, "SH", B.text("XY", vr: "SH"))
        })
        XCTAssertEqual(inItem.problem, .truncated, inItem.reason)
        // A header cut off by the end of the data.
        let cut = try scan(file(.explicitLE, B.explicitLE) { $0.bytes += [0x10, 0x00, 0x10] })
        XCTAssertEqual(cut.problem, .truncated, cut.reason)
    }

    func testUndefinedLengthOnlyWherePS35AllowsIt() throws {
        let text = try scan(file(.explicitLE, B.explicitLE) { $0.element(0x0040, 0xA160, "UT", length: B.undefined) })
        XCTAssertEqual(text.problem, .undefinedLength)
        XCTAssertTrue(text.reason.contains("(0040,A160)"), text.reason)
        let implicitPixels = try scan(file(.implicitLE, B.implicitLE) { $0.element(0x7FE0, 0x0010, "OW", length: B.undefined) })
        XCTAssertEqual(implicitPixels.problem, .undefinedLength)
        // UN of undefined length is a sequence of implicit VR items (PS3.5 6.2.2), nesting counted.
        let un = try scan(file(.explicitLE, B.explicitLE) { d in
            d.element(0x0009, 0x1010, "UN", length: B.undefined)
            var inner = B(.implicitLE)
            inner.item()
            inner.element(0x0009, 0x1011, "UN", length: B.undefined)
            inner.item()
            inner.element(0x0009, 0x1012, "LO", B.text("X", vr: "LO"))
            inner.itemDelimiter(); inner.sequenceDelimiter(); inner.itemDelimiter(); inner.sequenceDelimiter()
            d.bytes += inner.bytes
        })
        XCTAssertNil(un.problem, un.reason)
        XCTAssertEqual(un.depth, 2)
    }

    func testImplicitPrivateValueThatLooksLikeASequenceIsBounded() throws {
        var nested = B.definedNest(40, .implicitLE)
        nested.replaceSubrange(0..<4, with: [0x09, 0x00, 0x10, 0x10])  // outermost tag: private (0009,1010)
        let r = try scan(B.part10(nested, transferSyntax: B.implicitLE))
        XCTAssertEqual(r.problem, .depth, r.reason)
    }

    func testCountLimits() throws {
        let elements = try scan(file(.explicitLE, B.explicitLE) { d in
            for i in 0..<50 { d.element(0x0011, 0x1000 + UInt16(i), "LO", B.text("V", vr: "LO")) }
        }, .init(maxElements: 20))
        XCTAssertEqual(elements.problem, .elements)
        XCTAssertTrue(elements.reason.hasPrefix("more than 20 data elements"), elements.reason)
        let items = try scan(file(.explicitLE, B.explicitLE) { d in
            d.element(0x0040, 0xA730, "SQ", length: B.undefined)
            for _ in 0..<30 { d.item(length: 0) }
            d.sequenceDelimiter()
        }, .init(maxItems: 10))
        XCTAssertEqual(items.problem, .items)
    }

    func testDeflated() throws {
        var d = B(.explicitLE)
        d.identity()
        d.nest(2, closed: true)
        XCTAssertNil(try scan(B.part10(B.deflateStored(d.bytes), transferSyntax: B.deflated)).problem)
        let cut = try scan(B.part10(B.deflateStored(d.bytes, final: false), transferSyntax: B.deflated))
        XCTAssertEqual(cut.problem, .truncated, cut.reason)
        let big = try scan(B.part10(B.deflateStored(d.bytes), transferSyntax: B.deflated), .init(maxInflatedBytes: 64))
        XCTAssertEqual(big.problem, .inflated, big.reason)
        var deep = B(.explicitLE)
        deep.nest(100, closed: false)
        XCTAssertEqual(try scan(B.part10(B.deflateStored(deep.bytes), transferSyntax: B.deflated)).problem, .depth)
    }

    private func image(rows: UInt16, pixelBytes: Int, frames: String? = nil, ts: String = B.explicitLE) -> [UInt8] {
        file(.explicitLE, ts) { d in
            d.us(0x0028, 0x0002, 1)
            if let frames { d.element(0x0028, 0x0008, "IS", B.text(frames, vr: "IS")) }
            d.us(0x0028, 0x0010, rows)
            d.us(0x0028, 0x0011, 4)
            d.us(0x0028, 0x0100, 16)
            d.element(0x7FE0, 0x0010, "OW", [UInt8](repeating: 7, count: pixelBytes))
        }
    }

    func testNativePixelDataMustHoldTheImage() throws {
        XCTAssertNil(try scan(image(rows: 4, pixelBytes: 32)).problem)
        let short = try scan(image(rows: 8, pixelBytes: 32))
        XCTAssertEqual(short.problem, .pixelData)
        XCTAssertEqual(short.status, .dataSetDoesNotMatchSOPClass)
        XCTAssertTrue(short.reason.contains("holds 32 bytes, the image needs 64"), short.reason)
        XCTAssertEqual(try scan(image(rows: 4, pixelBytes: 32, frames: "3")).problem, .pixelData)
        XCTAssertNil(try scan(image(rows: 4, pixelBytes: 96, frames: "3 ")).problem)
    }

    func testEncapsulatedPixelDataMustBeComplete() throws {
        func encapsulated(fragments: Int, delimited: Bool) -> [UInt8] {
            file(.explicitLE, B.jpegLS) { d in
                d.element(0x7FE0, 0x0010, "OB", length: B.undefined)
                d.item(length: 0)
                for _ in 0..<fragments { d.item(length: 4); d.bytes += [1, 2, 3, 4] }
                if delimited { d.sequenceDelimiter() }
            }
        }
        XCTAssertNil(try scan(encapsulated(fragments: 2, delimited: true)).problem)
        let open = try scan(encapsulated(fragments: 2, delimited: false))
        XCTAssertEqual(open.problem, .truncated)
        XCTAssertTrue(open.reason.contains("no sequence delimiter"), open.reason)
        let empty = try scan(encapsulated(fragments: 0, delimited: true))
        XCTAssertEqual(empty.problem, .pixelData)
        XCTAssertEqual(empty.status, .dataSetDoesNotMatchSOPClass)
        XCTAssertEqual(try scan(image(rows: 4, pixelBytes: 32, ts: B.jpegLS)).problem, .malformed,
                       "native Pixel Data under a compressed transfer syntax")
    }

    func testUIDsKeptAsStoredNotRefused() throws {
        func withSOP(_ raw: [UInt8]) -> [UInt8] {
            var d = B(.explicitLE)
            d.element(0x0008, 0x0016, "UI", B.text("1.2.840.10008.5.1.4.1.1.2"))
            d.element(0x0008, 0x0018, raw.count > 64 ? "UN" : "UI", raw)
            return B.part10(d.bytes, transferSyntax: B.explicitLE)
        }
        let strict = DatasetScan.Limits(checkUIDs: true)
        // Issue 14 (DESIGN §6, liberal): every value is kept; the identity is the value as
        // stored without its trailing padding, non-printable bytes, '%' and '\\' escaped.
        let cases: [(String, String)] = [
            ("1.2.3\0", "1.2.3"), ("1.2.34", "1.2.34"), ("1.23 ", "1.23"), ("1.2.3\0\0\0", "1.2.3"),
            ("1.2.03", "1.2.03"), ("1.2 .3", "1.2 .3"), (" 1.23", " 1.23"), ("1.2\n3", "1.2%0A3"),
            ("1.2.3\0/../x", "1.2.3%00/../x"), ("1%2\\3", "1%252%5C3"),
        ]
        for (raw, identity) in cases {
            let r = try scan(withSOP(Array(raw.utf8)), strict)
            XCTAssertNil(r.problem, raw.debugDescription)
            XCTAssertEqual(r.sopInstanceUID, identity, raw.debugDescription)
            XCTAssertEqual(r.sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        }
        let long = String(repeating: "1", count: 130)
        let r = try scan(withSOP(Array(long.utf8)), strict)
        XCTAssertEqual(r.problem, .uid, "over 128 characters is no identity")
        XCTAssertTrue(r.reason.hasPrefix("SOP Instance UID of 130 bytes is longer than the 128"), r.reason)
        XCTAssertNil(try scan(withSOP(Array(long.utf8))).problem, "identities are checked only when asked")
        XCTAssertEqual(try scan(withSOP(Array(long.utf8))).sopInstanceUID, "")
    }

    func testUIDPathComponent() {
        XCTAssertEqual(UID.pathComponent("1.2.840.10008.5.1.4.1.1.2"), "1.2.840.10008.5.1.4.1.1.2")
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2 B.1)
        XCTAssertEqual(UID.pathComponent("abc"), "xba7816bf8f01cfea414140de5dae2223")
        // SHA-256 of 56 bytes (two padding blocks), FIPS 180-2 B.2
        XCTAssertEqual(UID.pathComponent("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "x248d6a61d20638b8e5c026930c3e6039")
        for bad in ["1.2.03", "../../etc", "", ".hidden", "1.2." + String(repeating: "3", count: 70)] {
            let c = UID.pathComponent(bad)
            XCTAssertTrue(c.hasPrefix("x") && c.count == 33 && c.allSatisfy { $0.isHexDigit || $0 == "x" }, c)
        }
    }

    func testGarbageNeverCrashes() throws {
        var rng = SystemRandomNumberGenerator()
        for size in [0, 1, 7, 131, 132, 200, 4096] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try scan(bytes)
            _ = try scan(B.part10(bytes, transferSyntax: B.explicitLE))
            _ = try scan(B.part10(bytes, transferSyntax: B.deflated))
        }
    }
}

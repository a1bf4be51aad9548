import XCTest
@testable import DICOM

/// The pre-scan accepts encapsulated JPEG 2000 and HTJ2K Pixel Data (HTJ2K is unknown to DCMTK
/// 3.6.7, yet a compressed syntax all the same) and refuses native Pixel Data under them.
final class DatasetScanJ2KTests: XCTestCase {
    typealias B = DatasetBytes
    static let syntaxes = ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201",
                           "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]

    override func setUpWithError() throws { try DICOMToolkit.initialize() }

    private func image(_ ts: String, encapsulated: Bool) throws -> DatasetScan.Report {
        var d = B(.explicitLE)
        d.identity()
        d.us(0x0028, 0x0002, 1)
        d.us(0x0028, 0x0010, 4)
        d.us(0x0028, 0x0011, 4)
        d.us(0x0028, 0x0100, 16)
        if encapsulated {
            d.element(0x7FE0, 0x0010, "OB", length: B.undefined)
            d.item(length: 0)
            for _ in 0..<2 { d.item(length: 4); d.bytes += [0xFF, 0x4F, 0xFF, 0x51] }
            d.sequenceDelimiter()
        } else {
            d.element(0x7FE0, 0x0010, "OW", [UInt8](repeating: 7, count: 32))
        }
        return try DatasetScan.scan(bytes: B.part10(d.bytes, transferSyntax: ts), limits: .init())
    }

    func testEncapsulatedPixelDataOfJPEG2000AndHTJ2KPasses() throws {
        for ts in Self.syntaxes {
            let r = try image(ts, encapsulated: true)
            XCTAssertNil(r.problem, "\(ts): \(r.reason)")
            XCTAssertEqual(r.transferSyntaxUID, ts)
        }
    }

    func testNativePixelDataUnderJPEG2000OrHTJ2KIsRefused() throws {
        for ts in Self.syntaxes {
            let r = try image(ts, encapsulated: false)
            XCTAssertEqual(r.problem, .malformed, ts)
            XCTAssertTrue(r.reason.contains("not encapsulated"), "\(ts): \(r.reason)")
        }
    }
}

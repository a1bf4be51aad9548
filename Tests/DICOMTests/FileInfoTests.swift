import Foundation
import XCTest
@testable import DICOM

/// `FileInfo.read` on hand-made files: the identity of an instance is its UIDs as stored
/// (padding aside, any VR), and the diffusion b-value comes from DiffusionBValue or the
/// vendors' private b-value (GE, Siemens) through their private creator blocks.
final class FileInfoTests: XCTestCase {
    typealias B = DatasetBytes

    override func setUpWithError() throws { try DICOMToolkit.initialize() }

    private func read(_ body: (inout B) -> Void) throws -> FileInfo {
        var d = B(.explicitLE)
        body(&d)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fileinfo-\(UUID().uuidString).dcm")
        try Data(B.part10(d.bytes, transferSyntax: B.explicitLE)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try FileInfo.read(path: url.path)
    }

    /// An MR header (identity, modality) and `rest` after it, in tag order.
    private func mr(modality: String = "MR", _ rest: (inout B) -> Void = { _ in }) throws -> FileInfo {
        try read { d in
            d.element(0x0008, 0x0016, "UI", B.text("1.2.840.10008.5.1.4.1.1.4"))
            d.element(0x0008, 0x0018, "UI", B.text("1.2.3.4"))
            d.element(0x0008, 0x0060, "CS", B.text(modality, vr: "CS"))
            rest(&d)
        }
    }

    func testDiffusionBValueStandardAttribute() throws {
        let b = try mr { d in
            d.element(0x0018, 0x9087, "FD", withUnsafeBytes(of: Double(1000).bitPattern.littleEndian, Array.init))
        }
        XCTAssertEqual(b.diffusionBValue, 1000)
        XCTAssertNil(try mr().diffusionBValue, "no attribute says: nil, not 0")
    }

    func testDiffusionBValueGEFirstValueThroughItsCreatorBlock() throws {
        // GE writes the b-value as the first value of (0043,xx39) in block GEMS_PARM_01; some
        // releases add 10^9 as a flag. The block is found through its creator, here at 0x11.
        let ge = try mr { d in
            d.element(0x0043, 0x0010, "LO", B.text("OTHER_VENDOR", vr: "LO"))
            d.element(0x0043, 0x0011, "LO", B.text("GEMS_PARM_01", vr: "LO"))
            d.element(0x0043, 0x1039, "IS", B.text("5\\0\\0\\0", vr: "IS"))  // another creator's element
            d.element(0x0043, 0x1139, "IS", B.text("1000000800\\8\\0\\0", vr: "IS"))
        }
        XCTAssertEqual(ge.diffusionBValue, 800)
    }

    func testDiffusionBValueSiemensAlsoAsUN() throws {
        for vr in ["IS", "UN"] {
            let siemens = try mr { d in
                d.element(0x0019, 0x0010, "LO", B.text("SIEMENS MR HEADER", vr: "LO"))
                d.element(0x0019, 0x100C, vr, B.text("1000", vr: "IS"))
            }
            XCTAssertEqual(siemens.diffusionBValue, 1000, vr)
        }
        let ct = try mr(modality: "CT") { d in
            d.element(0x0019, 0x0010, "LO", B.text("SIEMENS MR HEADER", vr: "LO"))
            d.element(0x0019, 0x100C, "IS", B.text("1000", vr: "IS"))
        }
        XCTAssertNil(ct.diffusionBValue, "vendor MR blocks are read for MR only")
    }

    func testIdentityIsTheUIDAsStored() throws {
        let padded = try read { d in
            d.element(0x0008, 0x0016, "UN", B.text("1.2.840.10008.5.1.4.1.1.4"))  // VR unknown to the sender
            d.element(0x0008, 0x0018, "UI", Array("1.2.03 ".utf8) + [0x20])
            d.element(0x0020, 0x000D, "UI", Array(" 1.2\n3".utf8))
            d.element(0x0020, 0x000E, "UI", Array("1.2.3\0/../x".utf8) + [0])
        }
        XCTAssertEqual(padded.sopClassUID, "1.2.840.10008.5.1.4.1.1.4")
        XCTAssertEqual(padded.sopInstanceUID, "1.2.03", "trailing spaces are padding; the leading zero stays")
        XCTAssertEqual(padded.studyInstanceUID, " 1.2%0A3")
        XCTAssertEqual(padded.seriesInstanceUID, "1.2.3%00/../x")
        XCTAssertTrue(UID.pathComponent(padded.seriesInstanceUID).hasPrefix("x"))
    }
}

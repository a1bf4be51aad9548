import XCTest
@testable import DICOM

final class UIDTests: XCTestCase {
    func testValidUIDs() {
        for uid in ["1.2", "1.2.840.10008.5.1.4.1.1.2", "2.25.329800735698586629295641978511506172918",
                    "0.0", "1.0.2", String(repeating: "1.", count: 31) + "12"] {
            XCTAssertTrue(UID.isValid(uid), uid)
        }
    }

    func testInvalidUIDs() {
        for uid in ["", ".", "1.", ".1", "1..2", "1.2.03", "01.2", "1.2.a", "1.2 ", " 1.2", "1/2", "../../etc",
                    "1.2.3-4", "1,2", String(repeating: "1", count: 65)] {
            XCTAssertFalse(UID.isValid(uid), uid)
        }
    }

    func testLengthLimitIsSixtyFour() {
        let sixtyFour = "1." + String(repeating: "2", count: 62)
        XCTAssertEqual(sixtyFour.count, 64)
        XCTAssertTrue(UID.isValid(sixtyFour))
        XCTAssertFalse(UID.isValid(sixtyFour + "3"))
    }
}

final class DIMSEStatusTests: XCTestCase {
    func testTable() {
        XCTAssertTrue(DIMSEStatus.success.isSuccess)
        XCTAssertEqual(DIMSEStatus.outOfResources.hex, "A700")
        XCTAssertEqual(DIMSEStatus.dataSetDoesNotMatchSOPClass.hex, "A900")
        XCTAssertEqual(DIMSEStatus.cannotUnderstand.hex, "C000")
        XCTAssertEqual(DIMSEStatus(rawValue: 0xA701).name, "Refused: Out of Resources")
        XCTAssertTrue(DIMSEStatus(rawValue: 0xB007).isWarning)
        XCTAssertFalse(DIMSEStatus.cannotUnderstand.isWarning)
        XCTAssertEqual(DIMSEStatus(rawValue: 0x0001).hex, "0001")
    }
}

final class ApplicationEntityTests: XCTestCase {
    func testParsing() throws {
        let ae = try ApplicationEntity(parsing: "PACS@127.0.0.1:4242")
        XCTAssertEqual(ae, ApplicationEntity(aeTitle: "PACS", host: "127.0.0.1", port: 4242))
        let v6 = try ApplicationEntity(parsing: "X@[::1]:104")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 104)
    }

    func testBadAddresses() {
        for bad in ["PACS", "PACS@host", "@host:1", "PACS@:104", "PACS@h:0", "PACS@h:70000", "PACS@h:x",
                    "SEVENTEEN_CHARS_X@h:1", "A\\B@h:1", "   @h:1"] {
            XCTAssertThrowsError(try ApplicationEntity(parsing: bad), bad)
        }
    }
}

final class FileProvenanceTests: XCTestCase {
    func testHostOfPresentationAddress() {
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "dicom://10.0.0.7"), "10.0.0.7")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "dicom://pacs.example.org:104"), "pacs.example.org")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "dicom://[::1]:104"), "::1")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "dicom://[fe80::1]"), "fe80::1")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "http://host/wado-rs/"), "host")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "192.168.1.2"), "192.168.1.2")
        XCTAssertEqual(FileProvenance.host(ofPresentationAddress: "::1"), "::1")
        XCTAssertNil(FileProvenance.host(ofPresentationAddress: ""))
        XCTAssertNil(FileProvenance.host(ofPresentationAddress: "dicom://"))
    }
}

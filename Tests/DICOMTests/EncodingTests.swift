import Foundation
import Imaging
import XCTest
@testable import DICOM

/// The encoders' text rules, and a result object encoded from a loaded series alone: the
/// cleaned patient/study attributes `VolumeLoader` read go into it, no source file is re-read.
final class EncodingTests: XCTestCase {
    func testDecimalStringsFitDS() {
        for x in [0.0, -0.0, 1.0 / 3, 123456.789012345, -1.234567890123e-7, 9.87654321e20, 0.95] {
            let s = decimalString(x)
            XCTAssertLessThanOrEqual(s.count, 16, s)
            XCTAssertEqual(Double(s)!, x, accuracy: abs(x) * 1e-6 + 1e-300, s)
        }
    }

    /// Everything written by AutoSeg itself is ASCII.
    func testTransliteration() {
        XCTAssertEqual(ASCIIText.clean("ADC < 620 ×10⁻⁶ mm²/s"), "ADC < 620 x10^-6 mm2/s")
        XCTAssertEqual(ASCIIText.clean("Müller – café ≥ 3 µm"), "Muller - cafe >= 3 um")
        XCTAssertEqual(ASCIIText.clean("肺"), "?")
        XCTAssertEqual(ASCIIText.clean("at σ 2.8 mm, Δ 3"), "at sigma 2.8 mm, delta 3")
        XCTAssertEqual(ASCIIText.clean("a\u{1}b\tc"), "ab\tc")
        XCTAssertEqual(ASCIIText.clean("plain"), "plain")
    }

    func testKeyImageCarriesTheLoadedStudyAndRefusesWithoutAStudyUID() throws {
        try DICOMToolkit.initialize()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("enc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = Dimensions(slices: 3, rows: 4, columns: 5)
        let v = Volume<Float>(dimensions: d, geometry: Geometry(origin: [0, 0, 0], spacing: Spacing(slice: 2, row: 1, column: 1)),
                              repeating: 7)
        var a = SeriesAttributes(patientName: "ENC^TEST", patientID: "E1", studyInstanceUID: UID.derived("enc", "study"),
                                 studyDate: "20260102", studyTime: "101500", seriesInstanceUID: UID.derived("enc", "series"),
                                 seriesNumber: 5, seriesDescription: "ENC", modality: "CT",
                                 frameOfReferenceUID: UID.derived("enc", "for"))
        a.patientSex = "MALE"   // not M/F/O: dropped, not copied
        let paths = try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent("source"))
        let loaded = try VolumeLoader.load(files: paths)
        XCTAssertEqual(loaded.study.value(0x0010, 0x0010), "ENC^TEST")
        XCTAssertEqual(loaded.study.value(0x0010, 0x0040), "")
        XCTAssertEqual(loaded.study.dropped.count, 1, "\(loaded.study.dropped)")

        let identity = ResultIdentity(seriesUID: UID.derived("enc", "sc"), instanceUID: UID.derived("enc", "sc", "1"),
                                      seriesNumber: 513, instanceNumber: 1, seriesDescription: "key images",
                                      manufacturer: "AutoSeg", modelName: "AutoSeg test", softwareVersion: "1",
                                      deviceSerialNumber: "test-1")
        let sc = SecondaryCaptureImage(identity: identity, rows: d.rows, columns: d.columns,
                                       pixels: [UInt8](repeating: 9, count: d.sliceSize), patientOrientation: "L\\P",
                                       imageLaterality: "U", source: loaded.sources[1],
                                       derivationDescription: "test σ", imageComments: "test")
        let out = dir.appendingPathComponent("sc-1.dcm").path
        try sc.write(to: out, study: loaded.study)
        let info = try FileInfo.read(path: out)
        XCTAssertEqual(info.sopClassUID, "1.2.840.10008.5.1.4.1.1.7")
        XCTAssertEqual(info.studyInstanceUID, a.studyInstanceUID)
        XCTAssertEqual(info.patientName, "ENC^TEST")
        XCTAssertNil(info.patientSex)
        XCTAssertEqual(info.seriesNumber, 513)

        var orphan = loaded.study
        orphan.studyInstanceUID = ""
        XCTAssertThrowsError(try sc.write(to: out + ".2", study: orphan)) { e in
            XCTAssertTrue("\(e)".contains("StudyInstanceUID"), "\(e)")
        }
    }
}

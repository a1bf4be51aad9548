import DICOM
import Foundation
import Imaging
import XCTest

final class SeriesWriterTests: XCTestCase {
    func testDerivedUIDsAreValidStableAndDistinct() {
        let a = UID.derived("study", "1"), b = UID.derived("study", "1"), c = UID.derived("study", "2")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(UID.derived("ab", "c"), UID.derived("a", "bc"))
        for u in [a, c, UID.derived(""), UID.derived(String(repeating: "x", count: 1000))] {
            XCTAssertTrue(UID.isValid(u), u)
            XCTAssertTrue(u.hasPrefix("2.25."))
        }
    }

    /// A written series loads back (through DCMTK) with the same geometry and values: HU
    /// rounded to integers for CT, a fractional map with its chosen slope for MR; oblique.
    func testWriteThenLoad() throws {
        try DICOMToolkit.initialize()
        let c = 0.8, s = 0.6
        let g = Geometry(origin: [-30, 12.5, 100], spacing: Spacing(slice: 2.5, row: 0.8, column: 0.7),
                         columnDirection: [c, s, 0], rowDirection: [-s, c, 0], sliceDirection: [0, 0, 1])
        let d = Dimensions(slices: 4, rows: 6, columns: 5)
        for modality in ["CT", "MR"] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sw-\(modality)-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            var v = Volume<Float>(dimensions: d, geometry: g, repeating: 0)
            for i in 0..<d.count { v.voxels[i] = modality == "CT" ? Float(i * 13 % 2000) - 1000 : Float(i) * 0.37 + 0.01 }
            var a = SeriesAttributes(patientName: "A^B", patientID: "P1", studyInstanceUID: UID.derived("st"),
                                     studyDate: "20260101", studyTime: "120000", seriesInstanceUID: UID.derived("se", modality),
                                     seriesNumber: 3, seriesDescription: "TEST", modality: modality,
                                     frameOfReferenceUID: UID.derived("for"))
            a.units = modality == "MR" ? "s" : ""
            let paths = try SeriesWriter.write(v, attributes: a, to: dir)
            XCTAssertEqual(paths.count, 4)
            let loaded = try VolumeLoader.load(files: paths.reversed())
            XCTAssertEqual(loaded.volume.dimensions, d)
            XCTAssertEqual(loaded.modality, modality)
            let tolerance: Float = modality == "CT" ? 0 : 0.0051
            for i in 0..<d.count { XCTAssertEqual(loaded.volume.voxels[i], v.voxels[i], accuracy: tolerance) }
            let p = loaded.volume.geometry.point(slice: 3, row: 5, column: 4), q = g.point(slice: 3, row: 5, column: 4)
            XCTAssertEqual(((p - q) * (p - q)).sum().squareRoot(), 0, accuracy: 1e-4)
            // The patient/study attributes come from the first file given, read with the headers.
            let study = loaded.study
            XCTAssertEqual(study.path, paths.last)
            XCTAssertEqual(study.studyInstanceUID, a.studyInstanceUID)
            XCTAssertEqual(study.frameOfReferenceUID, a.frameOfReferenceUID)
            XCTAssertEqual(study.seriesNumber, 3)
            XCTAssertEqual(study.modality, modality)
            XCTAssertEqual(study.sliceThickness ?? 0, 2.5, accuracy: 1e-9)
            XCTAssertEqual(study.dropped, [])
            XCTAssertEqual(study.value(0x0010, 0x0010), "A^B")
            XCTAssertEqual(study.elements.first { $0.group == 0x0010 && $0.element == 0x0010 }?.vr, "PN")
            // Each slice's position as its file states it.
            for (k, source) in loaded.sources.enumerated() {
                let p = g.point(slice: Double(k), row: 0, column: 0)
                XCTAssertEqual(((source.position - p) * (source.position - p)).sum().squareRoot(), 0, accuracy: 1e-4)
            }
            let info = try FileInfo.read(path: paths[0])
            XCTAssertEqual(info.imageType, ["ORIGINAL", "PRIMARY", "AXIAL"])
            XCTAssertEqual(info.sliceThickness ?? 0, 2.5, accuracy: 1e-9)
        }
    }
}

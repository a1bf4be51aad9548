import Analysis
import DICOM
import Foundation
import Imaging
import XCTest
@testable import Results

/// `ResultWriter` end to end on tiny series: every object valid for dciodvfy, UIDs
/// deterministic, re-runs replace, "no findings" said explicitly, wrong inputs refused.
/// (Voxel-exact SEG and SR content checks against highdicom: Tests/IntegrationTests/test_results.py.)
final class ResultsWriterTests: XCTestCase {
    func testObjectsPassDciodvfyForEveryGeometry() throws {
        for (oblique, feetFirst) in [(false, false), (true, false), (false, true)] {
            let t = try TestSeries.make(oblique: oblique, feetFirst: feetFirst)
            defer { t.remove() }
            let written = try t.write(t.result(findings: 3))
            XCTAssertEqual(written.map(\.kind), [.seg, .sr, .sc, .sc, .sc])
            for o in written {
                let (errors, _) = try dciodvfy(o.path)
                XCTAssertEqual(errors, [], "\(o.kind) oblique=\(oblique) feetFirst=\(feetFirst)")
            }
        }
    }

    func testUIDsAreDerivedAndReRunsReplace() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        let first = try t.write(t.result(findings: 3))
        let again = try t.write(t.result(findings: 1))
        let uids = ResultUIDs(sourceSeriesUID: t.loaded.seriesInstanceUID, analyzer: .lung, version: "9.9.9")
        XCTAssertEqual(first[0].sopInstanceUID, uids.segInstance)
        XCTAssertEqual(again[0].sopInstanceUID, first[0].sopInstanceUID)
        XCTAssertEqual(again[1].sopInstanceUID, first[1].sopInstanceUID)
        XCTAssertEqual(again[2].sopInstanceUID, first[2].sopInstanceUID)
        XCTAssertTrue(UID.isValid(uids.segInstance) && UID.isValid(uids.tracking(finding: 2)))
        let names = try FileManager.default.contentsOfDirectory(atPath: t.dir.appendingPathComponent("results").path).sorted()
        XCTAssertEqual(names, ["sc-1.dcm", "seg.dcm", "sr.dcm"], "the key images of findings 2 and 3 must be gone")
        // Another analyzer version is another set of objects.
        XCTAssertNotEqual(ResultUIDs(sourceSeriesUID: t.loaded.seriesInstanceUID, analyzer: .lung, version: "9.9.10").segInstance,
                          uids.segInstance)
    }

    func testNoFindingStillWritesOrganSegAndSaysSo() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        let written = try t.write(t.result(findings: 0))
        XCTAssertEqual(written.map(\.kind), [.seg, .sr])
        let sr = try Data(contentsOf: URL(fileURLWithPath: written[1].path))
        XCTAssertNotNil(sr.range(of: Data("111286".utf8)), "the SR must say: no abnormality")
        XCTAssertNotNil(sr.range(of: Data("found no lung nodules".utf8)))
        for o in written { XCTAssertEqual(try dciodvfy(o.path).errors, [], "\(o.kind)") }
    }

    func testNothingToSegmentWritesOnlyTheReport() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        let written = try t.write(t.result(findings: 0, organ: false))
        XCTAssertEqual(written.map(\.kind), [.sr])
        XCTAssertEqual(try dciodvfy(written[0].path).errors, [])
    }

    /// The lung analyzer reports right_lung_volume and left_lung_volume: both are Volume items of
    /// the case group, so each must carry its side (Finding Site Lung + Laterality), else a reader
    /// cannot tell them apart.
    func testSideVolumesKeepTheirLaterality() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        var result = t.result(findings: 1)
        result.caseMeasurements += [Measurement(.rightLungVolume, 2.5, "mL"), Measurement(.leftLungVolume, 1.7, "mL")]
        let written = try t.write(result)
        let sr = written.first { $0.kind == .sr }!.path
        XCTAssertEqual(try dciodvfy(sr).errors, [])
        let dump = try runTool("/usr/bin/dsrdump", [sr])
        let summary = try XCTUnwrap(dump.range(of: "\"Case summary\"")).upperBound
        let lines = dump[summary...].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (value, side) in [("2.5", "24028007,SCT,\"Right\""), ("1.7", "7771000,SCT,\"Left\"")] {
            let i = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("<contains NUM:(,,\"Volume\")=\"\(value)\"") }, dump)
            XCTAssertTrue(lines[i + 1].contains("\"Finding Site\")=(39607008,SCT,\"Lung\")"), lines[i + 1])
            XCTAssertTrue(lines[i + 2].contains("\"Laterality\")=(\(side))"), lines[i + 2])
        }
    }

    func testKeyImagesCanBeTurnedOff() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        XCTAssertEqual(try t.write(t.result(findings: 2), keyImages: false).map(\.kind), [.seg, .sr])
    }

    func testRefusesResultsThatDoNotBelongToTheSource() throws {
        let t = try TestSeries.make()
        defer { t.remove() }
        var wrongSeries = t.result(findings: 1)
        wrongSeries.seriesInstanceUID = "1.2.3.4"
        XCTAssertThrowsError(try t.write(wrongSeries)) { e in
            XCTAssertEqual((e as? DICOMError)?.kind, .invalidInput)
            XCTAssertTrue("\(e)".contains("the result is about series 1.2.3.4"), "\(e)")
        }
        var wrongGrid = t.result(findings: 1)
        wrongGrid.dimensions = Dimensions(slices: 9, rows: 40, columns: 48)
        XCTAssertThrowsError(try t.write(wrongGrid)) { e in XCTAssertTrue("\(e)".contains("grid"), "\(e)") }
        var wrongMask = t.result(findings: 1)
        wrongMask.findings[0].mask = RegionMask(full: Mask(dimensions: Dimensions(slices: 2, rows: 2, columns: 2),
                                                           repeating: 1))!
        XCTAssertThrowsError(try t.write(wrongMask)) { e in XCTAssertTrue("\(e)".contains("mask lives on"), "\(e)") }
    }

    func testRefusesASourceWithoutAValidStudyUID() throws {
        let t = try TestSeries.make(studyUID: "1.2.840.abc")
        defer { t.remove() }
        XCTAssertThrowsError(try t.write(t.result(findings: 1))) { e in
            XCTAssertTrue("\(e)".contains("StudyInstanceUID"), "\(e)")
        }
    }

    func testInvalidPatientAttributesAreDroppedNotCopied() throws {
        let t = try TestSeries.make(dirty: true)
        defer { t.remove() }
        let study = t.loaded.study
        XCTAssertEqual(study.dropped.count, 3, "\(study.dropped)")
        XCTAssertTrue(study.dropped.contains { $0.contains("StudyDescription") && $0.contains("longer than 64") })
        XCTAssertTrue(study.dropped.contains { $0.contains("PatientBirthDate") && $0.contains("2001-02-03") })
        XCTAssertTrue(study.dropped.contains { $0.contains("PatientSex") && $0.contains("MALE") })
        XCTAssertEqual(study.value(0x0010, 0x0030), "")
        XCTAssertEqual(study.value(0x0010, 0x0010), "TEST^RESULTS")
        let written = try t.write(t.result(findings: 1))
        for o in written {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: o.path))
            XCTAssertNil(bytes.range(of: Data("2001-02-03".utf8)), "\(o.kind) copied an invalid birth date")
            XCTAssertNotNil(bytes.range(of: Data("TEST^RESULTS".utf8)), "\(o.kind) lost the patient name")
            XCTAssertEqual(try dciodvfy(o.path).errors, [], "\(o.kind)")
        }
    }
}

import Analysis
import Foundation
import Pipeline
import XCTest

final class FindingsDocumentTests: XCTestCase {
    /// findings.json as 0.8 wrote it (`diameter`, Lung-RADS as a number among the measurements,
    /// no assessments) and a name from a newer writer: read, renamed, the unknown one left out.
    func testReadsFindingsOfEarlierAndLaterVersions() throws {
        let json = """
        {"analyzer": "lung", "version": "1.2.0", "series_instance_uid": "1.2.3", "study_instance_uid": "1.2",
         "source_series": ["1.2.3"], "organ": "lung", "organ_voxels": 1000,
         "case_measurements": [{"name": "lung_volume", "value": 5000, "unit": "mL"}, {"name": "future_thing", "value": 1, "unit": "1"}],
         "findings": [{"number": 1, "kind": "nodule", "category": "solid", "centroid_mm": [1, 2, 3], "laterality": "left",
                       "site": "left upper zone", "confidence": 0.9, "reason": "", "voxels": 40,
                       "measurements": [{"name": "volume", "value": 0.5, "unit": "mL"},
                                        {"name": "diameter", "value": 9.8, "unit": "mm"},
                                        {"name": "lung_rads", "value": 4, "unit": "1"}]}],
         "timings": [], "notes": []}
        """
        let doc = try JSONDecoder().decode(FindingsDocument.self, from: Data(json.utf8))
        XCTAssertEqual(doc.caseMeasurements.map(\.kind), [.lungVolume])
        let f = try XCTUnwrap(doc.findings.first)
        XCTAssertEqual(f.measurements.map(\.kind), [.volume, .equivalentDiameter])
        XCTAssertEqual(f.measurements[1].value, 9.8)
        XCTAssertEqual(f.assessments, ["lung_rads": "4"])
    }

    /// Today's documents round-trip unchanged.
    func testRoundTrip() throws {
        let json = """
        {"analyzer": "lung", "version": "1.3.0", "series_instance_uid": "1.2.3", "study_instance_uid": "1.2",
         "source_series": ["1.2.3"], "organ": "lung", "organ_voxels": 10, "case_measurements": [],
         "findings": [{"number": 1, "kind": "nodule", "category": "solid", "centroid_mm": [1, 2, 3],
                       "site": "right lower zone", "confidence": 0.9, "reason": "r", "voxels": 40,
                       "measurements": [{"name": "mean_diameter", "value": 7.9, "unit": "mm"}],
                       "assessments": {"lung_rads": "4A"}}],
         "timings": [{"stage": "load", "seconds": 0.5}], "notes": ["n"]}
        """
        let doc = try JSONDecoder().decode(FindingsDocument.self, from: Data(json.utf8))
        let again = try JSONDecoder().decode(FindingsDocument.self, from: JSONEncoder().encode(doc))
        XCTAssertEqual(again.findings.first?.assessments, ["lung_rads": "4A"])
        XCTAssertEqual(again.findings.first?.measurements, [Analysis.Measurement(.meanDiameter, 7.9, "mm")])
        XCTAssertEqual(again.timings, doc.timings)
        XCTAssertEqual(again.notes, ["n"])
    }
}

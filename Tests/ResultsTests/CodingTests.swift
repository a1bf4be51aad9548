import Analysis
import DICOM
import XCTest
@testable import Results

/// The code tables: DESIGN §7's codes exactly, private codes valid and declared.
final class CodingTests: XCTestCase {
    func testDesignCodes() {
        XCTAssertEqual(MeasurementCoding.concept(for: "volume"), MeasurementConcept(Code("118565006", "SCT", "Volume")))
        XCTAssertEqual(MeasurementCoding.concept(for: "mean_hu").concept.value, "112031")
        XCTAssertEqual(MeasurementCoding.concept(for: "mean_hu").derivation?.value, "373098007")
        XCTAssertEqual(MeasurementCoding.concept(for: "sd_hu").derivation?.value, "386136009")
        XCTAssertEqual(MeasurementCoding.concept(for: "mean_adc").concept.value, "113041")
        XCTAssertEqual(MeasurementCoding.concept(for: "long_axis").concept.value, "103339001")
        XCTAssertEqual(MeasurementCoding.concept(for: "short_axis").concept.value, "103340004")
        XCTAssertEqual(MeasurementCoding.concept(for: "diameter").concept.value, "81827009")
        XCTAssertEqual(FindingCoding.type(of: .nodule).value, "27925004")
        XCTAssertEqual(FindingCoding.type(of: .lesion).value, "52988006")
        XCTAssertEqual(FindingCoding.type(of: .core).value, "55641003")
        XCTAssertEqual(FindingCoding.organ("liver"), Code("10200004", "SCT", "Liver"))
        XCTAssertEqual(FindingCoding.laterality(.left)?.value, "7771000")
        XCTAssertEqual(FindingCoding.category("ground-glass"), Code("112120", "DCM", "Ground glass opacity"))
        XCTAssertEqual(MeasurementCoding.unit("[hnsf'U]").meaning, "Hounsfield unit")
    }

    func testUnknownNamesGetValidPrivateCodes() {
        let c = MeasurementCoding.concept(for: "a_very_long_measurement_name_indeed").concept
        XCTAssertEqual(c.scheme, Code.privateScheme)
        XCTAssertLessThanOrEqual(c.value.count, 16)
        XCTAssertTrue(c.value.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "-" }, c.value)
        XCTAssertEqual(MeasurementCoding.concept(for: "brain_volume").concept.value, "118565006")
        XCTAssertTrue(MeasurementCoding.isOrganVolume("lung_volume", organ: "lung"))
        // One side of an organ: Volume with its own site and laterality; an unknown organ stays plain.
        XCTAssertEqual(MeasurementCoding.concept(for: "right_lung_volume"),
                       MeasurementConcept(Codes.volume, site: Codes.lung, laterality: Codes.right))
        XCTAssertEqual(MeasurementCoding.concept(for: "left_lung_volume"),
                       MeasurementConcept(Codes.volume, site: Codes.lung, laterality: Codes.left))
        XCTAssertEqual(MeasurementCoding.concept(for: "right_thing_volume"), MeasurementConcept(Codes.volume))
        XCTAssertFalse(MeasurementCoding.isOrganVolume("core_volume", organ: "brain"))
    }
}

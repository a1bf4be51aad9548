import Analysis
import DICOM
import XCTest
@testable import Results

/// The code tables: DESIGN §7's codes exactly, private codes valid and declared.
final class CodingTests: XCTestCase {
    func testDesignCodes() {
        XCTAssertEqual(MeasurementCoding.concept(for: .volume), MeasurementConcept(Code("118565006", "SCT", "Volume")))
        XCTAssertEqual(MeasurementCoding.concept(for: .meanHU).concept.value, "112031")
        XCTAssertEqual(MeasurementCoding.concept(for: .meanHU).derivation?.value, "373098007")
        XCTAssertEqual(MeasurementCoding.concept(for: .sdHU).derivation?.value, "386136009")
        XCTAssertEqual(MeasurementCoding.concept(for: .meanADC).concept.value, "113041")
        XCTAssertEqual(MeasurementCoding.concept(for: .longAxis).concept.value, "103339001")
        XCTAssertEqual(MeasurementCoding.concept(for: .shortAxis).concept.value, "103340004")
        XCTAssertEqual(MeasurementCoding.concept(for: .equivalentDiameter).concept, Code.autoseg("EQ-DIAMETER", "Equivalent sphere diameter"))
        XCTAssertEqual(MeasurementCoding.concept(for: .meanDiameter).concept.scheme, Code.privateScheme)
        let rads = FindingCoding.assessment(Assessment(.lungRADS, "4A"))
        XCTAssertEqual(rads.concept.meaning, "Lung-RADS v2022 category")
        XCTAssertEqual(rads.value, Code("LUNG-RADS-4A", Code.privateScheme, "Lung-RADS 4A"))
        XCTAssertEqual(FindingCoding.type(of: .nodule).value, "27925004")
        XCTAssertEqual(FindingCoding.type(of: .lesion).value, "52988006")
        XCTAssertEqual(FindingCoding.type(of: .core).value, "55641003")
        XCTAssertEqual(FindingCoding.organ("liver"), Code("10200004", "SCT", "Liver"))
        XCTAssertEqual(FindingCoding.laterality(.left)?.value, "7771000")
        XCTAssertEqual(FindingCoding.category("ground-glass"), Code("112120", "DCM", "Ground glass opacity"))
        XCTAssertEqual(MeasurementCoding.unit("[hnsf'U]").meaning, "Hounsfield unit")
    }

    /// Every measurement has a concept (the switch is exhaustive; this checks the concepts
    /// themselves): a known scheme, a meaning, valid private codes, and no two measurements of
    /// a finding group with the same concept (organ volumes are alone in their groups).
    func testEveryMeasurementHasItsOwnConcept() {
        let schemes: Set = ["SCT", "DCM", "IBSI", Code.privateScheme]
        var seen: [(MeasurementConcept, MeasurementName)] = []
        for kind in MeasurementName.allCases {
            let c = MeasurementCoding.concept(for: kind)
            for code in [c.concept, c.derivation, c.site, c.laterality].compactMap({ $0 }) {
                XCTAssertTrue(schemes.contains(code.scheme), "\(kind): \(code)")
                XCTAssertFalse(code.meaning.isEmpty, "\(kind)")
                if code.scheme == Code.privateScheme {
                    XCTAssertLessThanOrEqual(code.value.count, 16, "\(kind)")
                    XCTAssertTrue(code.value.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "-" }, code.value)
                }
            }
            if [.lungVolume, .liverVolume, .brainVolume].contains(kind) {
                XCTAssertEqual(c, MeasurementConcept(Codes.volume), "\(kind)")
                continue
            }
            if let other = seen.first(where: { $0.0 == c }) { XCTFail("\(kind) and \(other.1) share \(c.concept)") }
            seen.append((c, kind))
        }
        // Keys stay what JSON, CSV and the catalog have always used.
        XCTAssertEqual(Analysis.Measurement(.solidDiameter, 1, "mm").name, "solid_diameter")
        XCTAssertEqual(MeasurementName.tmax6Volume.rawValue, "tmax6_volume")
    }

    func testCaseAndPrivateConcepts() {
        XCTAssertEqual(MeasurementCoding.concept(for: .solidDiameter),
                       MeasurementConcept(Code("SOLID-DIAMETER", "99AUTOSEG", "Solid component diameter")))
        XCTAssertEqual(MeasurementCoding.concept(for: .distanceToPleura).concept, Code("DIST-PLEURA", "99AUTOSEG", "Distance to pleura"))
        XCTAssertEqual(MeasurementCoding.concept(for: .brainVolume).concept.value, "118565006")
        XCTAssertTrue(MeasurementCoding.isOrganVolume(.lungVolume, organ: "lung"))
        XCTAssertTrue(MeasurementCoding.isOrganVolume(.brainVolume, organ: "Brain"))
        // One side of an organ: Volume with its own site and laterality.
        XCTAssertEqual(MeasurementCoding.concept(for: .rightLungVolume),
                       MeasurementConcept(Codes.volume, site: Codes.lung, laterality: Codes.right))
        XCTAssertEqual(MeasurementCoding.concept(for: .leftLungVolume),
                       MeasurementConcept(Codes.volume, site: Codes.lung, laterality: Codes.left))
        XCTAssertFalse(MeasurementCoding.isOrganVolume(.coreVolume, organ: "brain"))
        XCTAssertFalse(MeasurementCoding.isOrganVolume(.rightLungVolume, organ: "lung"))
        // Private codes are cleaned and cut to SH.
        let c = Code.autoseg("a_very_long_measurement_name_indeed", "A very long measurement name indeed")
        XCTAssertEqual(c.scheme, Code.privateScheme)
        XCTAssertEqual(c.value, "A-VERY-LONG-MEAS")
    }
}

import DICOM
import Foundation
import Imaging
import XCTest
import Pipeline
@testable import Node

/// `[[rules]]` routing on real DICOM headers (written with DCMTK, read back by `SeriesScan`).
final class RouterTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A two-slice series with these header values, scanned back from its files.
    private func series(_ name: String, modality: String, bodyPart: String, description: String,
                        imageType: [String] = ["ORIGINAL", "PRIMARY", "AXIAL"], thickness: Double = 1.25) throws -> ScannedSeries {
        let g = Geometry(origin: [0, 0, 0], spacing: Spacing(slice: thickness, row: 1, column: 1))
        let v = Volume<Float>(dimensions: Dimensions(slices: 2, rows: 4, columns: 4), geometry: g, repeating: 10)
        var a = SeriesAttributes(patientName: "R^T", patientID: "R1", studyInstanceUID: UID.derived("router", "study"),
                                 studyDate: "20260101", studyTime: "120000", seriesInstanceUID: UID.derived("router", name),
                                 seriesNumber: 1, seriesDescription: description, modality: modality,
                                 frameOfReferenceUID: UID.derived("router", "for"))
        a.bodyPart = bodyPart
        a.imageType = imageType
        try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent(name))
        let scan = SeriesScan.scan([dir.appendingPathComponent(name).path])
        return try XCTUnwrap(scan.series.first)
    }

    func testShippedRulesRouteTheUsualSeries() throws {
        let config = try NodeConfig.load(path: shippedConfigPath, environment: [:])
        let router = Router(rules: config.rules)
        let chest = try series("chest", modality: "CT", bodyPart: "CHEST", description: "Chest 1.25 B60f")
        XCTAssertEqual(router.route(chest).analyzer, .lung)
        XCTAssertEqual(router.route(chest).rule, "rules[1]")
        let thick = try series("thick", modality: "CT", bodyPart: "CHEST", description: "Chest 8 mm", thickness: 8)
        let thickRoute = router.route(thick)
        XCTAssertNil(thickRoute.analyzer, "lung rule caps the slice thickness; falls through to none")
        XCTAssertEqual(thickRoute.rule, "rules[8]")
        let abdomen = try series("abd", modality: "CT", bodyPart: "ABDOMEN", description: "ABD PV 2.5")
        XCTAssertEqual(router.route(abdomen).analyzer, .liver)
        let adc = try series("adc", modality: "MR", bodyPart: "BRAIN", description: "ep2d_diff ADC",
                             imageType: ["DERIVED", "PRIMARY", "ADC"], thickness: 5)
        XCTAssertEqual(router.route(adc).analyzer, .infarct)
        let tmax = try series("tmax", modality: "CT", bodyPart: "HEAD", description: "CTP Tmax",
                              imageType: ["DERIVED", "SECONDARY", "PERFUSION"], thickness: 5)
        XCTAssertEqual(router.route(tmax).analyzer, .infarct)
        XCTAssertEqual(router.route(tmax).rule, "rules[5]")
        let both = try series("ca", modality: "CT", bodyPart: "CHESTABDOMEN", description: "CT Body 3.0", thickness: 3)
        XCTAssertEqual(router.route(both).analyzers, [.lung, .liver])
        XCTAssertEqual(router.route(both).rule, "rules[0]")
        let dadc = try series("dadc", modality: "MR", bodyPart: "", description: "dADC", imageType: ["DERIVED", "PRIMARY"])
        XCTAssertEqual(router.route(dadc).analyzer, .infarct, "Philips dADC, no body part")
        let ge = try series("ge", modality: "MR", bodyPart: "HEAD", description: "Apparent Diffusion Coefficient (mm2/s)",
                            imageType: ["DERIVED", "PRIMARY"])
        XCTAssertEqual(router.route(ge).analyzer, .infarct)
        XCTAssertEqual(ge.role, .adc)
        let t2 = try series("t2", modality: "MR", bodyPart: "BRAIN", description: "t2_tse_tra")
        let none = router.route(t2)
        XCTAssertNil(none.analyzer)
        XCTAssertTrue(none.reason.contains("says none"), none.reason)
    }

    func testFirstMatchWinsAndMissesAreExplained() throws {
        let rules = [
            Rule(analyzer: "liver", modality: "CT", imageType: ["DERIVED"]),
            Rule(analyzer: "lung", modality: "CT", minSliceThickness: 0.5, maxSliceThickness: 2),
            Rule(analyzer: "liver", modality: "CT"),
        ]
        let router = Router(rules: rules)
        let chest = try series("c1", modality: "CT", bodyPart: "CHEST", description: "x", thickness: 1)
        XCTAssertEqual(router.route(chest).analyzer, .lung)
        XCTAssertEqual(router.route(chest).rule, "rules[1]")
        let thick = try series("c3", modality: "CT", bodyPart: "CHEST", description: "x", thickness: 3)
        XCTAssertEqual(router.route(thick).analyzer, .liver)
        XCTAssertEqual(router.route(thick).rule, "rules[2]")
        let mr = try series("m", modality: "MR", bodyPart: "BRAIN", description: "x")
        let d = router.route(mr)
        XCTAssertNil(d.analyzer)
        XCTAssertEqual(d.rule, "")
        XCTAssertTrue(d.reason.contains("no rule matched"), d.reason)
        XCTAssertTrue(d.reason.contains("rules[0] (liver): modality MR is not CT"), d.reason)
        let derived = try series("d", modality: "CT", bodyPart: "CHEST", description: "x", imageType: ["ORIGINAL", "PRIMARY"])
        XCTAssertTrue(Router(rules: [rules[0]]).route(derived).reason.contains("lacks DERIVED"))
    }

    func testWithoutRulesTheBuiltInRoutingApplies() throws {
        let router = Router(rules: [])
        XCTAssertEqual(router.route(try series("c", modality: "CT", bodyPart: "CHEST", description: "Thorax")).analyzer, .lung)
        XCTAssertEqual(router.route(try series("a", modality: "CT", bodyPart: "ABDOMEN", description: "abd")).analyzer, .liver)
        XCTAssertEqual(router.route(try series("r", modality: "CT", bodyPart: "HEAD", description: "CTP rCBF",
                                               imageType: ["DERIVED", "SECONDARY", "PERFUSION"])).analyzer, .infarct)
        let knee = router.route(try series("k", modality: "CT", bodyPart: "KNEE", description: "knee"))
        XCTAssertNil(knee.analyzer)
        XCTAssertTrue(knee.reason.contains("neither chest nor abdomen"), knee.reason)
    }
}

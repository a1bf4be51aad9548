import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// The one planner of node and CLI on real DICOM headers (written with DCMTK, scanned back):
/// default routing, `--analyzers`, and CT perfusion pairing with a partner missing, still
/// arriving, or complete.
final class AnalysisPlannerTests: XCTestCase {
    private var dir: URL!
    private let study = UID.derived("planner", "study")

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("planner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A two-slice series of `study` with these header values, scanned back from its files.
    private func series(_ name: String, modality: String, bodyPart: String, description: String,
                        imageType: [String] = ["ORIGINAL", "PRIMARY", "AXIAL"]) throws -> ScannedSeries {
        let g = Geometry(origin: [0, 0, 0], spacing: Spacing(slice: 2, row: 1, column: 1))
        let v = Volume<Float>(dimensions: Dimensions(slices: 2, rows: 4, columns: 4), geometry: g, repeating: 10)
        var a = SeriesAttributes(patientName: "P^T", patientID: "P1", studyInstanceUID: study, studyDate: "20260101",
                                 studyTime: "120000", seriesInstanceUID: UID.derived("planner", name), seriesNumber: 1,
                                 seriesDescription: description, modality: modality,
                                 frameOfReferenceUID: UID.derived("planner", "for"))
        a.bodyPart = bodyPart
        a.imageType = imageType
        try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent(name))
        return try XCTUnwrap(SeriesScan.scan([dir.appendingPathComponent(name).path]).series.first)
    }

    private func perfusionPair() throws -> (rcbf: ScannedSeries, tmax: ScannedSeries) {
        let perfusion = ["DERIVED", "SECONDARY", "PERFUSION"]
        return (try series("rcbf", modality: "CT", bodyPart: "HEAD", description: "CTP rCBF", imageType: perfusion),
                try series("tmax", modality: "CT", bodyPart: "HEAD", description: "CTP Tmax", imageType: perfusion))
    }

    func testPairIsPlannedOnceWithRCBFFirst() throws {
        let (rcbf, tmax) = try perfusionPair()
        for order in [[rcbf, tmax], [tmax, rcbf]] {
            let (planned, unanalyzed) = AnalysisPlanner().plan(order)
            XCTAssertEqual(planned.count, 1)
            XCTAssertEqual(planned.first?.analyzer, .infarct)
            XCTAssertEqual(planned.first?.series.map(\.seriesInstanceUID), [rcbf.seriesInstanceUID, tmax.seriesInstanceUID])
            XCTAssertTrue(unanalyzed.isEmpty)
        }
    }

    func testPartnerMissingOrStillArrivingWaits() throws {
        let (rcbf, tmax) = try perfusionPair()
        let planner = AnalysisPlanner()
        guard case .awaitPartner(.infarct, .tmax, false) = planner.steps(for: rcbf, study: { [rcbf] }).steps.first else {
            return XCTFail("an rCBF map alone waits for its Tmax map")
        }
        let arriving = planner.steps(for: tmax, study: { [rcbf, tmax] }, isComplete: { _ in false }).steps
        guard case .awaitPartner(.infarct, .rcbf, true) = arriving.first else {
            return XCTFail("a Tmax map whose rCBF map still arrives waits: \(arriving)")
        }
        guard case .analyze(let plan) = planner.steps(for: tmax, study: { [rcbf, tmax] }).steps.first else {
            return XCTFail("a complete pair is analyzed")
        }
        XCTAssertEqual(plan.primary.seriesInstanceUID, rcbf.seriesInstanceUID, "the job is keyed by the rCBF map")
        let (_, unanalyzed) = planner.plan([tmax])
        XCTAssertEqual(unanalyzed.first?.reason, "a Tmax map needs an rCBF map of the same study")
    }

    func testDefaultRoutingAndAllowedAnalyzers() throws {
        let both = try series("ca", modality: "CT", bodyPart: "CHESTABDOMEN", description: "CT Body")
        XCTAssertEqual(AnalysisPlanner().plan([both]).planned.map(\.analyzer), [.lung, .liver])
        let onlyLiver = AnalysisPlanner(allowed: [.liver]).plan([both])
        XCTAssertEqual(onlyLiver.planned.map(\.analyzer), [.liver])
        XCTAssertEqual(onlyLiver.unanalyzed.map(\.reason), ["would go to lung, which was not selected (--analyzers)"])
        let t2 = try series("t2", modality: "MR", bodyPart: "BRAIN", description: "t2_tse_tra")
        let (planned, unanalyzed) = AnalysisPlanner().plan([t2])
        XCTAssertTrue(planned.isEmpty)
        XCTAssertEqual(unanalyzed.first?.reason, "default: no analyzer for MR images")
    }

    func testRulesDecideForTheNodeAndTheCLIAlike() throws {
        let chest = try series("chest", modality: "CT", bodyPart: "CHEST", description: "Chest")
        let rules = [Rule(analyzer: "none", bodyPart: ["CHEST"])]
        let (decision, steps) = AnalysisPlanner(rules: rules).steps(for: chest, study: { [] })
        XCTAssertEqual(decision.rule, "rules[0]")
        guard case .skip(nil, let reason) = steps.first else { return XCTFail("rule none: stored only") }
        XCTAssertTrue(reason.contains("says none"), reason)
    }
}

import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// What the preflight changes for the planner and the executor: `--analyzers` forcing an
/// analyzer onto a series routing leaves alone, a CHESTABDOMEN series planned for both CT
/// analyzers, vendor names of ADC maps, and a one-slice series refused, not failed.
final class PreflightPlanningTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A featureless CT (uniform water, no lungs, no liver, no skull): nothing routes it.
    private func water(_ name: String, slices: Int = 3, bodyPart: String = "") throws -> ScannedSeries {
        let v = BodyPhantom.volume([BodyPhantom.Ellipse(x: 0, y: 0, a: 30, b: 30, hu: 0)], slices: slices)
        return try BodyPhantom.series(v, in: dir, name: name, bodyPart: bodyPart)
    }

    func testAnalyzersOptionForcesWhatRoutingLeavesAlone() throws {
        let s = try water("w")
        let routed = AnalysisPlanner().plan([s])
        XCTAssertTrue(routed.planned.isEmpty)
        XCTAssertTrue(routed.unanalyzed[0].reason.contains("neither chest nor abdomen"), routed.unanalyzed[0].reason)
        let forced = AnalysisPlanner(allowed: [.liver], forced: true).plan([s])
        XCTAssertEqual(forced.planned.map(\.analyzer), [.liver])
        XCTAssertEqual(forced.planned.first?.rule, "--analyzers")
        // Without an explicit choice (all analyzers allowed by default) nothing is forced.
        XCTAssertTrue(AnalysisPlanner(allowed: [.liver]).plan([s]).planned.isEmpty)
    }

    func testForcedAnalyzerIsTheOneThatRefuses() throws {
        let s = try water("f")
        let plan = try XCTUnwrap(AnalysisPlanner(allowed: [.liver], forced: true).plan([s]).planned.first)
        let o = AnalysisExecutor().run(plan, resultsInto: dir.appendingPathComponent("out"))
        XCTAssertEqual(o.status, .refused, o.reason ?? "")
        XCTAssertEqual(o.stage, .analyze)
    }

    func testOneSliceSeriesIsRefusedNotFailed() throws {
        let s = try water("one", slices: 1, bodyPart: "CHEST")
        let plan = try XCTUnwrap(AnalysisPlanner().plan([s]).planned.first)
        XCTAssertEqual(plan.analyzer, .lung)
        let o = AnalysisExecutor().run(plan, resultsInto: dir.appendingPathComponent("out"))
        XCTAssertEqual(o.status, .refused)
        XCTAssertEqual(o.stage, .load)
        XCTAssertTrue(o.reason?.contains("too few slices") ?? false, o.reason ?? "")
    }

    func testChestAbdomenPlansBothAnalyzersWithRules() throws {
        let s = try water("ca", bodyPart: "CHESTABDOMEN")
        let rules = [Rule(analyzers: ["lung", "liver"], modality: "CT", region: ["chest", "abdomen"]),
                     Rule(analyzer: "lung", modality: "CT", region: ["chest"])]
        XCTAssertEqual(AnalysisPlanner(rules: rules).plan([s]).planned.map(\.analyzer), [.lung, .liver])
        XCTAssertEqual(AnalysisPlanner().plan([s]).planned.map(\.analyzer), [.lung, .liver])
    }

    func testVendorNamesOfDiffusionMaps() throws {
        func mr(_ name: String, _ description: String, _ imageType: [String]) throws -> ScannedSeries {
            let g = Geometry(origin: [0, 0, 0], spacing: Spacing(slice: 2, row: 1, column: 1))
            let v = Volume<Float>(dimensions: Dimensions(slices: 2, rows: 4, columns: 4), geometry: g, repeating: 800)
            var a = SeriesAttributes(patientName: "P^D", patientID: "D1", studyInstanceUID: UID.derived("dwi", "study"),
                                     studyDate: "20260101", studyTime: "120000", seriesInstanceUID: UID.derived("dwi", name),
                                     seriesNumber: 1, seriesDescription: description, modality: "MR",
                                     frameOfReferenceUID: UID.derived("dwi", "for"))
            a.imageType = imageType
            try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent(name))
            return try XCTUnwrap(SeriesScan.scan([dir.appendingPathComponent(name).path]).series.first)
        }
        let plain = ["DERIVED", "PRIMARY"]
        XCTAssertEqual(try mr("siemens", "ep2d_diff_ADC", plain).role, .adc)
        XCTAssertEqual(try mr("philips", "dADC", plain).role, .adc)
        XCTAssertEqual(try mr("ge", "Apparent Diffusion Coefficient (mm2/s)", plain).role, .adc)
        XCTAssertEqual(try mr("type", "", ["DERIVED", "PRIMARY", "DIFFUSION", "ADC"]).role, .adc)
        let eadc = try mr("eadc", "eADC", plain)
        XCTAssertEqual(eadc.role, .image, "Philips' exponential ADC is not an ADC map")
        let trace = try mr("trace", "DWI b1000", ["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"])
        XCTAssertEqual(DiffusionNaming.kind(of: trace.first), .dwi)
        XCTAssertEqual(trace.role, .dwi)
        XCTAssertEqual(DiffusionNaming.bValue(of: trace.first), 1000)
        // A DWI trace alone is not analyzed: it waits for (or names) the ADC map it needs.
        XCTAssertEqual(AnalysisPlanner().plan([trace]).unanalyzed[0].reason,
                       "a DWI trace (b ≈ 1000) needs an ADC map of the same study")
    }
}

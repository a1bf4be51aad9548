import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// MR ADC + DWI pairing in the one planner (node and CLI), on real DICOM headers written with
/// DCMTK and scanned back: which DWI an ADC map is read with, the ADC map alone, the DWI alone,
/// a partner still arriving, and b-values from vendor naming.
final class DiffusionPairingTests: XCTestCase {
    private var dir: URL!
    private let study = UID.derived("diffusion-pairing", "study")

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pairing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    private func mr(_ name: String, _ description: String, _ imageType: [String], number: Int,
                    frame: String = "frame") throws -> ScannedSeries {
        let g = Geometry(origin: [0, 0, 0], spacing: Spacing(slice: 2, row: 1, column: 1))
        let v = Volume<Float>(dimensions: Dimensions(slices: 2, rows: 4, columns: 4), geometry: g, repeating: 800)
        var a = SeriesAttributes(patientName: "P^D", patientID: "D1", studyInstanceUID: study, studyDate: "20260101",
                                 studyTime: "120000", seriesInstanceUID: UID.derived("diffusion-pairing", name),
                                 seriesNumber: number, seriesDescription: description, modality: "MR",
                                 frameOfReferenceUID: UID.derived("diffusion-pairing", frame))
        a.bodyPart = "BRAIN"
        a.imageType = imageType
        try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent(name))
        return try XCTUnwrap(SeriesScan.scan([dir.appendingPathComponent(name).path]).series.first)
    }

    private func adc(number: Int = 501, frame: String = "frame") throws -> ScannedSeries {
        try mr("adc\(number)", "ep2d_diff_3scan_trace_p2_ADC", ["DERIVED", "PRIMARY", "DIFFUSION", "ADC"], number: number,
               frame: frame)
    }

    private func trace(_ name: String, _ description: String = "ep2d_diff_3scan_trace_p2_TRACEW", number: Int = 500,
                       frame: String = "frame") throws -> ScannedSeries {
        try mr(name, description, ["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"], number: number, frame: frame)
    }

    func testADCAndDWIFormOneJobFromEitherSeries() throws {
        let (a, t) = (try adc(), try trace("dwi", "DWI b1000 TRACEW"))
        for order in [[a, t], [t, a]] {
            let (planned, unanalyzed) = AnalysisPlanner().plan(order)
            XCTAssertEqual(planned.count, 1)
            XCTAssertEqual(planned.first?.series.map(\.seriesInstanceUID), [a.seriesInstanceUID, t.seriesInstanceUID])
            XCTAssertTrue(unanalyzed.isEmpty, "\(unanalyzed.map(\.reason))")
        }
        // The node: the ADC map complete while its DWI still arrives waits; the DWI's completion forms the job.
        let waiting = AnalysisPlanner().steps(for: a, study: { [a, t] }, isComplete: { _ in false }).steps
        guard case .awaitPartner(.infarct, .dwi, true) = waiting.first else { return XCTFail("\(waiting)") }
        guard case .analyze(let plan) = AnalysisPlanner().steps(for: t, study: { [a, t] }).steps.first else {
            return XCTFail("a complete pair is analyzed")
        }
        XCTAssertEqual(plan.primary.seriesInstanceUID, a.seriesInstanceUID, "the job is keyed by the ADC map")
    }

    func testADCAloneRunsDWIAloneWaits() throws {
        let a = try adc()
        let alone = AnalysisPlanner().plan([a])
        XCTAssertEqual(alone.planned.map { $0.series.count }, [1])
        XCTAssertTrue(alone.planned[0].reason.contains("alone"), alone.planned[0].reason)
        let t = try trace("dwi")
        let (planned, unanalyzed) = AnalysisPlanner().plan([t])
        XCTAssertTrue(planned.isEmpty)
        XCTAssertEqual(unanalyzed.first?.reason, "a DWI trace (b ≈ 1000) needs an ADC map of the same study")
    }

    /// Philips and GE send b0 and b1000 as separate series: the ADC map is read with the b1000
    /// one; the b0 series is stored with its reason. Of two b1000 traces the one numbered next to
    /// the ADC map (its source) is chosen; a trace of another frame of reference never is.
    func testTheADCMapPicksItsTrace() throws {
        let a = try adc(number: 501)
        let b0 = try trace("b0", "DWI b=0", number: 499)
        let b1000 = try trace("b1000", "DWI b=1000", number: 500)
        let far = try trace("far", "DWI b1000", number: 900)
        let other = try trace("other", "DWI b1000", number: 502, frame: "elsewhere")
        let (planned, unanalyzed) = AnalysisPlanner().plan([b0, far, other, a, b1000])
        XCTAssertEqual(planned.count, 1)
        XCTAssertEqual(planned.first?.series.map(\.seriesInstanceUID), [a.seriesInstanceUID, b1000.seriesInstanceUID])
        let reasons = Dictionary(uniqueKeysWithValues: unanalyzed.map { ($0.series.seriesInstanceUID, $0.reason) })
        XCTAssertTrue(reasons[b0.seriesInstanceUID]?.contains("b = 0") ?? false, "\(reasons)")
        XCTAssertTrue(reasons[far.seriesInstanceUID]?.contains("read with series 500") ?? false, "\(reasons)")
        XCTAssertNotNil(reasons[other.seriesInstanceUID])
        // The other frame's trace alone is no partner: the ADC map then runs alone.
        XCTAssertEqual(AnalysisPlanner().plan([a, other]).planned.first?.series.count, 1)
    }

    func testBValuesFromVendorNaming() throws {
        let cases: [(String, Double?)] = [
            ("ep2d_diff_b0_b1000_TRACEW", 1000), ("DWI b=800", 800), ("DWI B 1000", 1000), ("DWI b1000 TRACEW", 1000),
            ("Apparent Diffusion Coefficient (mm2/s)", nil), ("DWI", nil), ("BRAIN", nil), ("b", nil),
        ]
        for (k, (description, expected)) in cases.enumerated() {
            let s = try trace("n\(k)", description)
            XCTAssertEqual(DiffusionNaming.bValue(of: s.first), expected, description)
        }
        XCTAssertTrue(DiffusionNaming.isTrace(bValue: nil))
        XCTAssertFalse(DiffusionNaming.isTrace(bValue: 0))
        XCTAssertFalse(DiffusionNaming.isTrace(bValue: 3000))
    }

    /// Siemens, Philips and GE names of the ADC map and the trace are recognised; the other
    /// diffusion-derived maps (exponential ADC, FA, tensor), whose ImageType also says DIFFUSION,
    /// are neither.
    func testVendorNamesOfTheDiffusionMaps() throws {
        let cases: [(String, [String], DiffusionNaming.Kind?)] = [
            ("ep2d_diff_3scan_trace_p2_ADC", ["DERIVED", "PRIMARY", "DIFFUSION", "ADC"], .adc),
            ("dADC", ["DERIVED", "PRIMARY"], .adc),
            ("Apparent Diffusion Coefficient (mm2/s)", ["DERIVED", "PRIMARY"], .adc),
            ("Ax DWI", ["ORIGINAL", "PRIMARY"], .dwi),
            ("ep2d_diff_3scan_trace_p2_TRACEW", ["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"], .dwi),
            ("DWI_SENSE", ["ORIGINAL", "PRIMARY"], .dwi),
            ("eADC", ["DERIVED", "PRIMARY"], nil),
            ("Exponential Apparent Diffusion Coefficient", ["DERIVED", "PRIMARY"], nil),
            ("ep2d_diff_FA", ["DERIVED", "PRIMARY", "DIFFUSION", "FA"], nil),
            ("dti_ColFA", ["DERIVED", "PRIMARY", "DIFFUSION", "FA"], nil),
        ]
        for (k, (description, imageType, expected)) in cases.enumerated() {
            let s = try mr("v\(k)", description, imageType, number: 600 + k)
            XCTAssertEqual(DiffusionNaming.kind(of: s.first), expected, description)
        }
    }
}

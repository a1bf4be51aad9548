import Analysis
import DICOM
import Foundation
import Imaging
@testable import Pipeline
import XCTest

/// The preflight on synthetic bodies with blank headers (`BodyPhantom`): regions and contrast
/// phase from the pixels, and the measurements behind them.
final class ContentProbeTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    private func probe(_ shapes: [BodyPhantom.Ellipse], _ name: String) throws -> ContentFindings {
        ContentProbe.probe(try BodyPhantom.series(BodyPhantom.volume(shapes), in: dir, name: name))
    }

    func testTwoAirLungsMakeAChestWithoutContrast() throws {
        let c = try probe(BodyPhantom.chest, "chest")
        XCTAssertEqual(c.regions, [.chest], c.summary)
        XCTAssertEqual(c.phase, ContrastPhase.none, "an unenhanced aorta and a vertebra are not contrast: \(c.summary)")
        XCTAssertEqual(c.slices, ContentProbe.maximumSlices)
        // Lungs are 2·50·70 / (150·100) = 47 % of the body ellipse.
        XCTAssertEqual(try XCTUnwrap(c.value("lung share of body")), 47, accuracy: 4, c.summary)
        XCTAssertEqual(try XCTUnwrap(c.value("lung median")), -850, accuracy: 10)
    }

    func testOutsideAirAndBowelGasAreNotLungs() throws {
        // Air only outside the body, and small gas bubbles (−1000 HU, 2 % of the body) inside.
        var shapes = [BodyPhantom.body]
        for x in stride(from: -60.0, through: 60, by: 60) { shapes.append(.init(x: x, y: 0, a: 15, b: 10, hu: -1000)) }
        let c = try probe(shapes, "gas")
        XCTAssertFalse(c.regions.contains(.chest), c.summary)
        XCTAssertEqual(c.value("lung images"), 0, c.summary)
    }

    func testAbdomenWithABrightAortaIsPortalVenous() throws {
        let c = try probe(BodyPhantom.abdomen(liver: 110, aorta: 170), "pv")
        XCTAssertEqual(c.regions, [.abdomen], c.summary)
        XCTAssertEqual(c.phase, .portalVenous, c.summary)
        XCTAssertEqual(try XCTUnwrap(c.value("liver median")), 110, accuracy: 10)
        XCTAssertEqual(try XCTUnwrap(c.value("enhanced vessel")), 170, accuracy: 10)
    }

    func testArterialAndNonContrastPhases() throws {
        XCTAssertEqual(try probe(BodyPhantom.abdomen(liver: 65, aorta: 320), "art").phase, .arterial)
        let plain = try probe(BodyPhantom.abdomen(liver: 60, aorta: 45), "plain")
        XCTAssertEqual(plain.phase, ContrastPhase.none, plain.summary)
        XCTAssertEqual(plain.regions, [.abdomen])
    }

    func testSkullRingAroundBrainIsAHead() throws {
        let c = try probe(BodyPhantom.head, "head")
        XCTAssertEqual(c.regions, [.head], c.summary)
        XCTAssertNil(c.phase)
    }

    func testMRAndSingleFilesAreNotProbed() throws {
        let one = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.chest, slices: 1), in: dir, name: "one")
        XCTAssertNotNil(ContentProbe.probe(one).notProbed)
    }

    func testBlankHeadersRouteOnThePixels() throws {
        let chest = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.chest), in: dir, name: "c")
        let d = Router(rules: []).route(chest)
        XCTAssertEqual(d.analyzers, [.lung], d.reason)
        XCTAssertTrue(d.reason.contains("pixels"), d.reason)
        XCTAssertNotNil(d.content)
        let rules = [Rule(analyzer: "liver", modality: "CT", region: ["abdomen"], contrastPhase: ["portal-venous"]),
                     Rule(analyzer: "lung", modality: "CT", region: ["chest"])]
        XCTAssertEqual(Router(rules: rules).route(chest).rule, "rules[1]")
        let pv = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.abdomen(liver: 110, aorta: 170)), in: dir, name: "pv")
        XCTAssertEqual(Router(rules: rules).route(pv).rule, "rules[0]")
        let plain = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.abdomen(liver: 60, aorta: 45)), in: dir, name: "p")
        let miss = Router(rules: rules).route(plain)
        XCTAssertNil(miss.analyzer)
        XCTAssertTrue(miss.reason.contains("contrast phase none is not portal-venous"), miss.reason)
    }

    func testHeadersWinWhenSpecific() throws {
        // Chest pixels, but the header says abdomen: routing follows the header, without probing.
        let s = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.chest), in: dir, name: "h", bodyPart: "ABDOMEN")
        let d = Router(rules: []).route(s)
        XCTAssertEqual(d.analyzers, [.liver])
        XCTAssertNil(d.content, "a specific header needs no probe")
    }

    func testMeasuredPhaseReachesTheLiverAnalyzer() throws {
        let pv = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.abdomen(liver: 110, aorta: 170)), in: dir, name: "i")
        let info = pv.info(units: "HU")
        XCTAssertEqual(info.contrastAgent, "")
        XCTAssertEqual(info.contrastPhase, "portal-venous")
        let labelled = try BodyPhantom.series(BodyPhantom.volume(BodyPhantom.abdomen(liver: 60, aorta: 45)), in: dir,
                                              name: "l", contrast: "IOHEXOL")
        XCTAssertEqual(labelled.info(units: "HU").contrastPhase, "none",
                       "ContrastBolusAgent is a hint: the pixels (blood 45 HU, liver 60 HU) are measured all the same")
    }
}

import DICOM
import Foundation
import Pipeline
import XCTest
@testable import Node

/// The shipped `conf/autoseg.toml` on the real cases of `../shared/realdata` (CI has them;
/// skipped with a message otherwise): every case goes to its analyzer with no header edited,
/// through the one planner of the node, `autoseg run --config` and `autoseg rules test`.
final class RealDataRoutingTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/realdata")

    private func planned(_ path: String) throws -> [String: [String]] {
        let url = Self.root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("no real data at \(url.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        let config = try NodeConfig.load(path: shippedConfigPath, environment: [:])
        let scan = SeriesScan.scan([url.path])
        let (plans, _) = AnalysisPlanner(rules: config.rules).plan(scan.series)
        return Dictionary(grouping: plans, by: { $0.primary.first.seriesDescription ?? "" })
            .mapValues { $0.map(\.analyzer.rawValue) }
    }

    func testChestCTsGoToLung() throws {
        XCTAssertEqual(Array(try planned("lidc-0001/dicom").values), [["lung"]])
        XCTAssertEqual(Array(try planned("lidc-0002/dicom").values), [["lung"]])
    }

    func testAbdomenGoesToLiver() throws {
        XCTAssertEqual(Array(try planned("totalseg-abdomen/dicom").values), [["liver"]])
    }

    func testChestAbdomenGoesToBoth() throws {
        XCTAssertEqual(Array(try planned("totalseg-ct3mm/dicom").values), [["lung", "liver"]])
    }

    /// The ADC map and its DWI trace form one infarct job, keyed by the ADC map, from either series.
    func testADCAndItsDWIGoToInfarctAsOneJob() throws {
        let routed = try planned("isles22-0001")  // skips without the real data
        XCTAssertEqual(routed, ["DWI ADC": ["infarct"]])
        let scan = SeriesScan.scan([Self.root.appendingPathComponent("isles22-0001").path])
        let config = try NodeConfig.load(path: shippedConfigPath, environment: [:])
        let (plans, unanalyzed) = AnalysisPlanner(rules: config.rules).plan(scan.series)
        XCTAssertEqual(plans.first?.series.map { $0.first.seriesDescription ?? "" }, ["DWI ADC", "DWI b1000 TRACEW"])
        XCTAssertTrue(unanalyzed.isEmpty, "\(unanalyzed.map(\.reason))")
    }
}

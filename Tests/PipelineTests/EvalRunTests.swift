import Analysis
import Foundation
import Imaging
import XCTest
@testable import Pipeline

/// `autoseg eval` on reader truth: targets by number of readers, small marks neither targets nor
/// false positives, and old findings files (without assessments) still read.
final class EvalRunTests: XCTestCase {
    let grid = Dimensions(slices: 8, rows: 16, columns: 16)

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("evalrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func cube(_ v: inout Volume<UInt16>, _ label: UInt16, at s: Int, _ r: Int, _ c: Int) {
        for i in s..<(s + 2) { for j in r..<(r + 2) { for k in c..<(c + 2) { v[i, j, k] = label } } }
    }

    /// Writes a reader truth with a 4-reader and a 1-reader nodule and a small mark, and a
    /// prediction finding the 1-reader nodule, the mark and one thing far from both.
    func writeCase() throws -> (truth: URL, pred: URL) {
        let root = try folder(), t = root.appendingPathComponent("truth"), p = root.appendingPathComponent("pred")
        for u in [t, p] { try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true) }
        var truth = Volume<UInt16>(dimensions: grid, repeating: 0), pred = truth
        cube(&truth, 1, at: 0, 0, 0)
        cube(&truth, 2, at: 5, 10, 10)
        cube(&pred, 1, at: 5, 10, 10)      // on the 1-reader nodule
        cube(&pred, 2, at: 0, 12, 0)       // on the small mark
        cube(&pred, 3, at: 5, 0, 12)       // nowhere
        try NIfTI.write(truth, to: t.appendingPathComponent("truth.nii"))
        try NIfTI.write(pred, to: p.appendingPathComponent("labels.nii"))
        let series = "1.2.826.0.1.3680043.10.9.1"
        func lesion(_ label: Int, readers: Int, at c: [Double]) -> [String: Any] {
            ["label": label, "type": "solid", "center_mm": c, "diameters_mm": [2, 2, 2], "diameter_mm": 6.0,
             "volume_ml": 0.008, "target": true, "site": "", "readers": readers]
        }
        let truthJSON: [String: Any] = [
            "kind": "lung", "seed": 1, "size": 16, "study_instance_uid": "1.2.826.0.1.3680043.10.9",
            "series": [["role": "image", "series_instance_uid": series, "modality": "CT", "description": "", "folder": "dicom"]],
            "dimensions": [8, 16, 16], "spacing_mm": [1, 1, 1], "volumes_ml": [:] as [String: Double],
            "lesions": [lesion(1, readers: 4, at: [0.5, 0.5, 0.5]), lesion(2, readers: 1, at: [10.5, 10.5, 5.5])],
            "small_marks": [["kind": "non-nodule", "reader": 2, "center_mm": [0.5, 12.5, 0.5]]],
        ]
        func finding(_ n: Int, at c: [Double]) -> [String: Any] {
            ["number": n, "kind": "nodule", "category": "solid", "centroid_mm": c, "site": "",
             "measurements": [[String: Any]](), "confidence": 0.5, "reason": "", "voxels": 8]
        }
        let findingsJSON: [String: Any] = [
            "analyzer": "lung", "version": "1", "series_instance_uid": series, "study_instance_uid": "1.2.826.0.1.3680043.10.9",
            "source_series": [series], "organ": "lung", "organ_voxels": 0, "case_measurements": [[String: Any]](),
            "findings": [finding(1, at: [10.5, 10.5, 5.5]), finding(2, at: [0.5, 12.5, 0.5]), finding(3, at: [12.5, 0.5, 5.5])],
            "timings": [[String: Any]](), "notes": [String](),
        ]
        try JSONSerialization.data(withJSONObject: truthJSON).write(to: t.appendingPathComponent("truth.json"))
        try JSONSerialization.data(withJSONObject: findingsJSON).write(to: p.appendingPathComponent("findings.json"))
        return (t, p)
    }

    func testReaderTargetsAndSmallMarks() throws {
        let (t, p) = try writeCase()
        let all = try EvalRun.run(truth: t, predictions: p)
        let c = try XCTUnwrap(all.cases.first)
        XCTAssertEqual(c.lesions.map(\.target), [true, true])
        XCTAssertEqual(c.lesions.map(\.detected), [false, true])
        XCTAssertEqual(c.onSmallMarks, [2])
        XCTAssertEqual(c.falsePositives, [3])

        let three = try XCTUnwrap(EvalRun.run(truth: t, predictions: p, minReaders: 3).cases.first)
        XCTAssertEqual(three.lesions.map(\.target), [true, false], "a 1-reader nodule is no target with --min-readers 3")
        XCTAssertEqual(three.falsePositives, [3], "finding a non-target nodule is not a false positive")
        XCTAssertEqual(try EvalRun.run(truth: t, predictions: p, minReaders: 3).summaries.first?.headlineTotal, 1)
    }
}

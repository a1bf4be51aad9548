import Analysis
import Imaging
import XCTest

final class CanonicalOrientationTests: XCTestCase {
    /// A feet-first-like grid: columns toward patient right, rows anterior, slices toward the feet.
    private func reversedGeometry() -> Geometry {
        Geometry(origin: [40, 30, 100], spacing: Spacing(slice: 2.5, row: 0.7, column: 0.8),
                 columnDirection: [-1, 0, 0], rowDirection: [0, -1, 0], sliceDirection: [0, 0, -1])
    }

    private func randomVolume(_ d: Dimensions, _ g: Geometry, seed: UInt64) -> Volume<Float> {
        var rng = SplitMix64(state: seed)
        return Volume(dimensions: d, geometry: g, voxels: (0..<d.count).map { _ in Float.random(in: -1000...100, using: &rng) })
    }

    /// Every voxel keeps its value and its patient position; the directions become positive.
    func testApplyKeepsEveryVoxelAtItsPatientPosition() {
        let d = Dimensions(slices: 5, rows: 6, columns: 7), g = reversedGeometry()
        let v = randomVolume(d, g, seed: 3)
        let o = CanonicalOrientation(g)
        XCTAssertEqual(o, CanonicalOrientation(flipSlices: true, flipRows: true, flipColumns: true))
        let c = o.apply(v)
        XCTAssertEqual(c.geometry.columnDirection, [1, 0, 0])
        XCTAssertEqual(c.geometry.rowDirection, [0, 1, 0])
        XCTAssertEqual(c.geometry.sliceDirection, [0, 0, 1])
        for s in 0..<d.slices { for r in 0..<d.rows { for col in 0..<d.columns {
            let p = g.point(slice: Double(s), row: Double(r), column: Double(col))
            let i = c.geometry.index(of: p)
            let (a, b, e) = (Int(i.slice.rounded()), Int(i.row.rounded()), Int(i.column.rounded()))
            XCTAssertEqual(c[a, b, e], v[s, r, col])
            XCTAssertEqual(abs(i.slice - Double(a)) + abs(i.row - Double(b)) + abs(i.column - Double(e)), 0, accuracy: 1e-9)
        } } }
        // Already canonical: untouched.
        XCTAssertTrue(CanonicalOrientation(c.geometry).isIdentity)
    }

    /// A mask found on the canonical grid maps back onto the very voxels of the stored grid.
    func testRestoreIsTheInverseForRegionMasks() throws {
        let d = Dimensions(slices: 6, rows: 9, columns: 11), g = reversedGeometry()
        for (k, o) in [CanonicalOrientation(flipSlices: true, flipRows: false, flipColumns: false),
                       CanonicalOrientation(flipSlices: false, flipRows: true, flipColumns: true),
                       CanonicalOrientation(flipSlices: true, flipRows: true, flipColumns: true)].enumerated() {
            var rng = SplitMix64(state: UInt64(10 + k))
            var stored = Mask(dimensions: d, geometry: g, repeating: 0)
            for s in 1...3 { for r in 2...6 { for c in 3...9 where Bool.random(using: &rng) { stored[s, r, c] = 1 } } }
            let onCanonical = try XCTUnwrap(RegionMask(full: o.apply(stored)))
            XCTAssertEqual(o.restore(onCanonical), RegionMask(full: stored), "\(o)")
        }
    }

    /// The wrapper maps an analyzer's result back: same findings at the same voxels as the
    /// analyzer reports when given the canonical series itself.
    func testAnalyzeInStoredOrderMapsMasksBack() throws {
        struct Bright: Analyzer {
            static let kind: AnalyzerKind = .liver
            static let version = "test"
            func analyze(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult {
                let v = input.series[0].volume
                var m = Mask(dimensions: v.dimensions, geometry: v.geometry, repeating: 0)
                for i in v.voxels.indices where v.voxels[i] > 50 { m.voxels[i] = 1 }
                let region = RegionMask(full: m)!
                let f = Finding(number: 1, kind: .lesion, category: "bright", mask: region, centroidMM: .zero,
                                laterality: nil, site: "", measurements: [], confidence: 1, reason: "")
                return AnalysisResult(analyzer: .liver, version: "test", seriesInstanceUID: "1.2", geometry: v.geometry,
                                      dimensions: v.dimensions, organName: "x", organ: region, findings: [f])
            }
        }
        let d = Dimensions(slices: 4, rows: 5, columns: 6), g = reversedGeometry()
        let v = randomVolume(d, g, seed: 7)
        var expected = Mask(dimensions: d, geometry: g, repeating: 0)
        for i in v.voxels.indices where v.voxels[i] > 50 { expected.voxels[i] = 1 }
        let input = AnalysisInput(InputSeries(role: .image, info: SeriesInfo(modality: "CT"), volume: v))
        let r = try Bright().analyzeInStoredOrder(input)
        XCTAssertEqual(r.geometry, g)
        XCTAssertEqual(r.findings[0].mask, RegionMask(full: expected))
        XCTAssertEqual(r.organ, RegionMask(full: expected))
    }
}

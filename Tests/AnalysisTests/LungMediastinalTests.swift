import Imaging
import XCTest
@testable import Analysis

/// Juxtamediastinal nodules (issue 12): the dome candidates of `MediastinalCandidates` on a
/// small synthetic chest (two lungs either side of a soft-tissue mediastinum, 1.4 mm voxels).
final class LungMediastinalTests: XCTestCase {
    static let mm = 1.4
    static let dims = Dimensions(slices: 40, rows: 80, columns: 100)
    static let geometry = Geometry(spacing: Spacing(slice: mm, row: mm, column: mm))

    /// Lungs at −850 HU in columns 5–39 (right) and 60–94 (left), rows 10–69, slices 2–37; the
    /// mediastinum between them (+40 HU); `tissue` (patient mm) set to +40 HU inside the lungs too
    /// (they stay in the lung mask, as the closed mask keeps a juxtamediastinal nodule's part).
    static func chest(tissue: (SIMD3<Double>) -> Bool) -> (Volume<Float>, Volume<UInt8>) {
        var v = Volume<Float>(dimensions: dims, geometry: geometry, repeating: 40)
        var lungs = Volume<UInt8>(dimensions: dims, geometry: geometry, repeating: 0)
        for s in 2..<38 {
            for r in 10..<70 {
                for c in 0..<dims.columns where (5..<40).contains(c) || (60..<95).contains(c) {
                    lungs[s, r, c] = c < 50 ? 1 : 2
                    v[s, r, c] = tissue(geometry.point(slice: Double(s), row: Double(r), column: Double(c))) ? 40 : -850
                }
            }
        }
        return (v, lungs)
    }

    static func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    /// A 14 mm ball centred on the mediastinal boundary (half embedded) gives a candidate at its
    /// centre with its radius as depth; a 4 mm vessel leaving the mediastinum and a 14 mm ball
    /// free in the parenchyma (the dot filter's) give none.
    func testHalfEmbeddedBallIsACandidateAndAVesselIsNot() {
        let mm = Self.mm, g = Self.geometry
        let half = g.point(slice: 20, row: 30, column: 39.5)  // on the plane between columns 39 and 40
        let free = g.point(slice: 20, row: 40, column: 75)    // in the left lung, 21 mm from the mediastinum
        let vesselAxis = g.point(slice: 20, row: 55, column: 0)
        let (v, lungs) = Self.chest { p in
            // A vessel 4 mm across along the columns, through the right lung into the mediastinum.
            let vessel = abs(p.z - vesselAxis.z) <= 2 && abs(p.y - vesselAxis.y) <= 2 && p.x >= 25 * mm
            return Self.distance(p, half) <= 7 || Self.distance(p, free) <= 7 || vessel
        }
        let found = MediastinalCandidates.find(coarse: v, lungs: lungs, hulls: LungHulls(lungs))
        // A third of its depth into the lung from the deepest voxel (within a voxel of the centre).
        let near = found.filter { Self.distance($0.position, half) <= 4 }
        XCTAssertEqual(near.count, 1, "\(found.map(\.position))")
        if let c = near.first {
            XCTAssertEqual(Double(c.response), 7, accuracy: 1.5)
            XCTAssertEqual(c.channel, "mediastinal")
        }
        XCTAssertFalse(found.contains { Self.distance($0.position, free) <= 10 }, "free-standing ball: the dot filter's")
        XCTAssertFalse(found.contains { abs($0.position.y - vesselAxis.y) <= 5 }, "vessel: \(found.map(\.position))")
    }
}

import Foundation
import XCTest
@testable import Imaging

// The lung candidate detector's multi-scale reduction (`Objectness.dotStrongest`).

extension FilterTests {
    /// `dotStrongest` against the per-scale `dot` merged by a strict `>` (what the lung candidate
    /// detector did before): identical responses and scales wherever the maximum reaches the floor,
    /// never above the exact maximum elsewhere; a random volume of noise and blobs of random size
    /// and contrast (seed 20261206), anisotropic spacing, one and two threads.
    func testDotStrongestMatchesPerScaleDotAboveTheFloor() {
        var rng = SplitMix64(state: 20_261_206)
        let d = Dimensions(slices: 23, rows: 41, columns: 37)
        var blobs: [(Double, Double, Double, Double, Double)] = []
        for _ in 0..<14 {
            blobs.append((rng.fraction() * 23, rng.fraction() * 41, rng.fraction() * 37, 0.8 + 3 * rng.fraction(),
                          200 + 500 * rng.fraction()))
        }
        var noise = [Float](repeating: 0, count: d.count)
        for i in noise.indices { noise[i] = Float(30 * rng.gaussian()) }
        let v = Self.volume(d, Spacing(slice: 1.25, row: 0.7, column: 0.7)) { s, r, c in
            var x = -850 + noise[d.index(s, r, c)]
            for b in blobs {
                let q = (pow((Double(s) - b.0) * 1.25, 2) + pow((Double(r) - b.1) * 0.7, 2) + pow((Double(c) - b.2) * 0.7, 2))
                    / (b.3 * b.3)
                x += Float(b.4 * exp(-0.5 * q))
            }
            return min(-350, max(-1000, x))
        }
        let sigmas = [1.0, 1.4, 2.0, 2.8]
        var best = [Float](repeating: 0, count: d.count), scale = [UInt8](repeating: 0, count: d.count)
        for (k, sigma) in sigmas.enumerated() {
            let r = Objectness.dot(v, sigmas: [sigma])
            for i in 0..<d.count where r.voxels[i] > best[i] { best[i] = r.voxels[i]; scale[i] = UInt8(k) }
        }
        for floor: Float in [7, 25] {
            for threads in [1, 2] {
                Parallelism.threads = threads
                let (response, strongest) = Objectness.dotStrongest(v, sigmas: sigmas, floor: floor)
                var above = 0
                for i in 0..<d.count {
                    XCTAssertLessThanOrEqual(response.voxels[i], best[i])
                    guard best[i] >= floor else {
                        XCTAssertLessThan(response.voxels[i], floor)
                        continue
                    }
                    above += 1
                    XCTAssertEqual(response.voxels[i].bitPattern, best[i].bitPattern, "voxel \(i), floor \(floor)")
                    XCTAssertEqual(strongest[i], scale[i], "voxel \(i), floor \(floor)")
                }
                XCTAssertGreaterThan(above, 100, "the blobs must reach the floor")
            }
        }
        Parallelism.threads = 0
    }
}

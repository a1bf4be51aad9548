import Foundation
import Imaging
import XCTest
@testable import Analysis

/// `InfarctDiffusion.Growth` on hand-made masks (2 mm isotropic, as the ISLES'22 case): every
/// lesion takes its DWI extent around its seeds, a dense core too; bright regions with too few
/// seeds are no lesion.
final class InfarctGrowthTests: XCTestCase {
    private let d = Dimensions(slices: 32, rows: 32, columns: 32)
    private let g = Geometry(origin: [0, 0, 0], spacing: Spacing(slice: 2, row: 2, column: 2))

    private func ball(_ radius: Double, centre: SIMD3<Double> = [16, 16, 16]) -> Mask {
        var m = Mask(dimensions: d, geometry: g, repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let p = SIMD3(Double(s), Double(r), Double(c)) - centre
            if (p * p).sum() <= radius * radius { m.voxels[d.index(s, r, c)] = 1 }
        } } }
        return m
    }

    private func count(_ m: Mask) -> Int { m.voxels.reduce(0) { $0 + Int($1) } }

    private func union(_ a: Mask, _ b: Mask) -> Mask {
        var m = a
        for i in 0..<m.voxels.count where b.voxels[i] != 0 { m.voxels[i] = 1 }
        return m
    }

    /// Every third voxel of `m`: restricted seeds in a mildly restricted lesion.
    private func everyThird(_ m: Mask) -> Mask {
        var s = m
        for i in 0..<s.voxels.count where i % 3 != 0 { s.voxels[i] = 0 }
        return s
    }

    /// A dense core (every voxel a seed) with its bright rim: the whole DWI lesion, rim included
    /// (ISLES'22 convention; until 1.4.0 the core kept its 620 iso-contour only).
    func testDenseCoreTakesItsBrightRim() {
        let core = ball(6), bright = ball(7.5)
        let out = InfarctDiffusion.Growth.grow(seeds: core, within: bright)
        XCTAssertEqual(out.voxels, bright.voxels)
    }

    func testLesionWithoutRapidCoreTakesItsDWIExtent() {
        let lesion = ball(5)
        let out = InfarctDiffusion.Growth.grow(seeds: everyThird(lesion), within: lesion)
        XCTAssertEqual(out.voxels, lesion.voxels)
    }

    /// A wide bright region (shading, shine-through) touched by a few restricted voxels, under
    /// `seedShare` of it, is not lesion; nor are two seeds alone.
    func testBrightRegionWithFewSeedsIsNotLesion() {
        let wide = ball(9)
        let few = ball(2)  // 33 voxels of ≈ 3000
        XCTAssertLessThan(Double(count(few)), InfarctDiffusion.Growth.seedShare * Double(count(wide)))
        XCTAssertEqual(count(InfarctDiffusion.Growth.grow(seeds: few, within: wide)), 0)
        var two = Mask(dimensions: d, geometry: g, repeating: 0)
        two.voxels[d.index(16, 16, 16)] = 1
        two.voxels[d.index(16, 16, 17)] = 1
        XCTAssertEqual(count(InfarctDiffusion.Growth.grow(seeds: two, within: ball(1))), 0)
        // Enough seeds in a separate small component keep it, and only it.
        let lesion = ball(3, centre: [6, 6, 6])
        let out = InfarctDiffusion.Growth.grow(seeds: union(few, lesion), within: union(wide, lesion))
        XCTAssertEqual(out.voxels, lesion.voxels)
    }
}

import Foundation
import Imaging
import XCTest
@testable import Analysis

/// `InfarctDiffusion.Growth` on hand-made masks (2 mm isotropic, as the ISLES'22 case): a dense
/// RAPID core keeps its 620 iso-contour (its partial-volume rim and bright tongues past it are
/// not lesion); a lesion without one takes its DWI extent, also when noise dips a few scattered
/// voxels below 620.
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

    func testCoreWithPartialVolumeRimKeepsTheIsoContour() {
        let core = ball(6), bright = ball(7.5)
        let out = InfarctDiffusion.Growth.grow(seeds: core, within: bright, rapidCore: core, denseCore: core)
        XCTAssertEqual(out.voxels, core.voxels, "a rim no wider than the point spread is not lesion")
    }

    func testBrightNoisePastTheRimIsNotLesion() {
        let core = ball(6)
        // A bright, unrestricted tongue from the rim outwards (noise or shine-through, no seeds).
        var bright = ball(7.5)
        for c in 16...28 { bright.voxels[d.index(16, 16, c)] = 1 }
        let out = InfarctDiffusion.Growth.grow(seeds: core, within: bright, rapidCore: core, denseCore: core)
        XCTAssertEqual(out.voxels, core.voxels)
    }

    func testLesionWithoutRapidCoreTakesItsDWIExtent() {
        let lesion = ball(5), none = Mask(dimensions: d, geometry: g, repeating: 0)
        let out = InfarctDiffusion.Growth.grow(seeds: everyThird(lesion), within: lesion, rapidCore: none, denseCore: none)
        XCTAssertEqual(out.voxels, lesion.voxels)
    }

    /// A faint lesion (ADC ≈ 660) whose noise dips below 620 in a few small scattered pieces is
    /// no dense core: it keeps its whole DWI extent.
    func testScatteredDipsAreNoDenseCore() {
        let lesion = ball(9)
        var dips = Mask(dimensions: d, geometry: g, repeating: 0)
        for centre: SIMD3<Int> in [[10, 12, 14], [20, 18, 16], [16, 22, 10], [13, 9, 19]] {
            for s in 0..<2 { for r in 0..<2 { for c in 0..<2 { dips.voxels[d.index(centre.x + s, centre.y + r, centre.z + c)] = 1 } } }
        }
        let dense = InfarctDiffusion.Growth.denseCore(dips, rapidRegion: dips)
        XCTAssertEqual(count(dense), 0, "scattered 8-voxel dips are not a coherent core")
        let out = InfarctDiffusion.Growth.grow(seeds: everyThird(lesion), within: lesion, rapidCore: dips, denseCore: dense)
        XCTAssertEqual(out.voxels, lesion.voxels)
        // A coherent 2 mL piece (257 voxels) is a dense core.
        let core = ball(4)
        XCTAssertEqual(count(InfarctDiffusion.Growth.denseCore(core, rapidRegion: core)), count(core))
    }
}

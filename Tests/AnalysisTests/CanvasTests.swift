import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

final class CanvasTests: XCTestCase {
    /// A sphere drawn with partial volume has the analytic volume in its intensity sum and
    /// (to within a voxel shell) in its label count, on an anisotropic grid.
    func testSpherePartialVolume() {
        let g = Geometry(origin: [-20, -20, -20], spacing: Spacing(slice: 1.5, row: 0.7, column: 0.7))
        var canvas = PhantomCanvas(dimensions: Dimensions(slices: 28, rows: 58, columns: 58), geometry: g, background: 0)
        let labelled = canvas.paintEllipsoid(center: [0.3, -0.2, 0.1], radii: [8, 8, 8], value: 1, label: 3)
        let analytic = 4.0 / 3.0 * Double.pi * 512
        let painted = canvas.intensity.voxels.reduce(0.0) { $0 + Double($1) } * g.spacing.voxelVolume
        XCTAssertEqual(painted, analytic, accuracy: analytic * 0.01)
        XCTAssertEqual(Double(labelled) * g.spacing.voxelVolume, analytic, accuracy: analytic * 0.05)
        XCTAssertEqual(canvas.labelVolume(3).voxels, labelled)
    }

    /// Noise has the asked standard deviation and the same values for any thread count.
    func testNoiseDeterministicAndScaled() {
        let d = Dimensions(slices: 20, rows: 40, columns: 40)
        var a = PhantomCanvas(dimensions: d, geometry: Geometry(), background: 100)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        Parallelism.threads = 1
        a.addCorrelatedNoise(sd: 20, correlationMM: 1.2, seed: 9)
        var b = PhantomCanvas(dimensions: d, geometry: Geometry(), background: 100)
        Parallelism.threads = 2
        b.addCorrelatedNoise(sd: 20, correlationMM: 1.2, seed: 9)
        XCTAssertEqual(a.intensity.voxels, b.intensity.voxels)
        let n = Double(d.count)
        let mean = a.intensity.voxels.reduce(0.0) { $0 + Double($1) } / n
        let sd = (a.intensity.voxels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        XCTAssertEqual(sd, 20, accuracy: 0.5)
    }

    func testRegionMaskRoundTrip() {
        var m = Mask(dimensions: Dimensions(slices: 5, rows: 6, columns: 7), repeating: 0)
        m[1, 2, 3] = 1
        m[3, 4, 5] = 1
        let r = RegionMask(full: m)!
        XCTAssertEqual(r.box.dimensions, Dimensions(slices: 3, rows: 3, columns: 3))
        XCTAssertEqual(r.voxelCount, 2)
        XCTAssertTrue(r.contains(3, 4, 5))
        XCTAssertFalse(r.contains(0, 0, 0))
        XCTAssertEqual(r.full().voxels, m.voxels)
        XCTAssertNil(RegionMask(full: Mask(dimensions: m.dimensions, repeating: 0)))
    }
}

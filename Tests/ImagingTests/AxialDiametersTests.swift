import XCTest
@testable import Imaging

final class AxialDiametersTests: XCTestCase {
    /// A mask with the given (slice, row, column) voxels set.
    func mask(_ d: Dimensions, spacing: Spacing, _ voxels: [(Int, Int, Int)]) -> Mask {
        var m = Mask(dimensions: d, geometry: Geometry(spacing: spacing), repeating: 0)
        for (s, r, c) in voxels { m.voxels[d.index(s, r, c)] = 1 }
        return m
    }

    /// Calipers go edge to edge: a bar of 10 × 1 pixels measures 10 pixels along (its corners'
    /// diagonal, √(10² + 1²)) and 1 across, in mm.
    func testBarIsMeasuredEdgeToEdge() throws {
        let d = Dimensions(slices: 1, rows: 5, columns: 20)
        let m = mask(d, spacing: Spacing(slice: 2, row: 0.7, column: 0.7), (3..<13).map { (0, 2, $0) })
        let axes = try XCTUnwrap(AxialDiameters.measure(m))
        XCTAssertEqual(axes.long, (100.0 + 1).squareRoot() * 0.7, accuracy: 1e-9)
        XCTAssertEqual(axes.short, 10 * 0.7 * 1 * 0.7 / axes.long * 2, accuracy: 0.05)
        XCTAssertEqual(axes.mean, (axes.long + axes.short) / 2)
    }

    /// A disc of radius 10 pixels: long and short axis about 21 pixels (20 between the outermost
    /// centres plus one pixel), never less than the centre-to-centre 20.
    func testDiscAxes() throws {
        let d = Dimensions(slices: 1, rows: 31, columns: 31)
        var voxels: [(Int, Int, Int)] = []
        for r in 0..<31 { for c in 0..<31 where (r - 15) * (r - 15) + (c - 15) * (c - 15) <= 100 { voxels.append((0, r, c)) } }
        let axes = try XCTUnwrap(AxialDiameters.measure(mask(d, spacing: Spacing(slice: 1, row: 0.5, column: 0.5), voxels)))
        XCTAssertGreaterThanOrEqual(axes.long, 10.5 - 1e-9)
        XCTAssertLessThanOrEqual(axes.long, 11.5)
        XCTAssertGreaterThanOrEqual(axes.short, 10)
        XCTAssertLessThanOrEqual(axes.short, axes.long + 1e-9)
    }

    /// The slice measured is the one with the greatest long axis, even when another slice has
    /// more area; an empty mask has no axes.
    func testSliceOfGreatestExtentAndEmpty() throws {
        let d = Dimensions(slices: 3, rows: 20, columns: 20)
        var voxels = (2..<18).map { (1, 10, $0) }                       // slice 1: a 16-pixel line
        for r in 5..<13 { for c in 5..<13 { voxels.append((2, r, c)) } }  // slice 2: an 8 × 8 square
        let axes = try XCTUnwrap(AxialDiameters.measure(mask(d, spacing: .isotropic1mm, voxels)))
        XCTAssertEqual(axes.slice, 1)
        XCTAssertNil(AxialDiameters.measure(mask(d, spacing: .isotropic1mm, [])))
    }
}

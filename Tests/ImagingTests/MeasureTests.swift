import XCTest
@testable import Imaging


private func obliqueGeometry(spacing: Spacing, origin: SIMD3<Double> = [10, -20, 30]) -> Geometry {
    // The grid of VolumeTests.testPatientIndexRoundTripOblique: rotated 45° in-plane, feet-first.
    let s = 1 / 2.0.squareRoot()
    return Geometry(origin: origin, spacing: spacing, columnDirection: [s, s, 0], rowDirection: [-s, s, 0],
                    sliceDirection: [0, 0, -1])
}

private func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

/// A random orthonormal right-handed frame (Gram–Schmidt on random vectors).
private func randomGeometry(_ rng: inout SplitMix64) -> Geometry {
    func v() -> SIMD3<Double> { SIMD3(.random(in: -1...1, using: &rng), .random(in: -1...1, using: &rng), .random(in: -1...1, using: &rng)) }
    func unit(_ x: SIMD3<Double>) -> SIMD3<Double> { x / (x * x).sum().squareRoot() }
    let a = unit(v())
    var b = v()
    b = unit(b - (a * b).sum() * a)
    let c = cross(a, b)
    let sp = Spacing(slice: .random(in: 0.5...3, using: &rng), row: .random(in: 0.3...1.5, using: &rng),
                     column: .random(in: 0.3...1.5, using: &rng))
    return Geometry(origin: v() * 100, spacing: sp, columnDirection: a, rowDirection: b, sliceDirection: c)
}

private func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

final class MeasureTests: XCTestCase {
    // MARK: hand-worked cases

    /// A 3×3×3 cube at (1…3)³ in a 5³ volume, spacing 2 × 0.5 × 0.8 mm, oblique grid.
    func testCubeAnisotropicOblique() throws {
        let g = obliqueGeometry(spacing: Spacing(slice: 2, row: 0.5, column: 0.8))
        var mask = Mask(dimensions: Dimensions(slices: 5, rows: 5, columns: 5), geometry: g, repeating: 0)
        var intensity = Volume<Float>(dimensions: mask.dimensions, geometry: g, repeating: -7)
        for s in 1...3 { for r in 1...3 { for c in 1...3 { mask[s, r, c] = 1; intensity[s, r, c] = Float(c) } } }
        let p = try XCTUnwrap(Regions.properties(mask: mask, intensity: intensity))
        XCTAssertEqual(p.label, 1)
        XCTAssertEqual(p.voxelCount, 27)
        XCTAssertEqual(p.volumeMM3, 27 * 2 * 0.5 * 0.8, accuracy: 1e-12)  // 21.6 mm³
        XCTAssertEqual(p.volumeML, 0.0216, accuracy: 1e-15)
        // Centre voxel (2, 2, 2): column 2·0.8 = 1.6 mm along (s, s, 0), row 2·0.5 = 1 mm along
        // (−s, s, 0), slice 2·2 = 4 mm along (0, 0, −1).
        let h = 1 / 2.0.squareRoot()
        XCTAssertEqual(p.centroid.x, 10 + 1.6 * h - 1 * h, accuracy: 1e-12)
        XCTAssertEqual(p.centroid.y, -20 + 1.6 * h + 1 * h, accuracy: 1e-12)
        XCTAssertEqual(p.centroid.z, 26, accuracy: 1e-12)
        XCTAssertEqual(p.boundingBox, IndexBox(lower: .init(slice: 1, row: 1, column: 1), upper: .init(slice: 3, row: 3, column: 3)))
        // Index variance of {0, 1, 2} is 2/3 per axis, uncorrelated: λ = 2/3 · spacing².
        XCTAssertEqual(p.principalAxesLengths.x, 4 * (2.0 / 3 * 4).squareRoot(), accuracy: 1e-9)     // slice
        XCTAssertEqual(p.principalAxesLengths.y, 4 * (2.0 / 3 * 0.64).squareRoot(), accuracy: 1e-9)  // column
        XCTAssertEqual(p.principalAxesLengths.z, 4 * (2.0 / 3 * 0.25).squareRoot(), accuracy: 1e-9)  // row
        // Corner to corner: (4, 1, 1.6) mm.
        XCTAssertEqual(p.maxDiameter3D, (16 + 1 + 2.56).squareRoot(), accuracy: 1e-12)
        // Intensity = column index 1, 2, 3 (nine each); the −7 outside is not counted.
        XCTAssertEqual(p.mean, 2, accuracy: 1e-12)
        XCTAssertEqual(p.standardDeviation, (2.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(p.minimum, 1)
        XCTAssertEqual(p.maximum, 3)
    }

    func testSingleVoxel() throws {
        let g = obliqueGeometry(spacing: Spacing(slice: 2.5, row: 0.5, column: 0.75))
        var labels = Volume<Int32>(dimensions: Dimensions(slices: 3, rows: 4, columns: 5), geometry: g, repeating: 0)
        labels[2, 1, 3] = 1
        let p = try XCTUnwrap(Regions.properties(labels: labels, count: 1).first)
        XCTAssertEqual(p.voxelCount, 1)
        XCTAssertEqual(p.volumeMM3, 2.5 * 0.5 * 0.75, accuracy: 1e-12)
        let c = g.point(slice: 2, row: 1, column: 3)
        XCTAssertEqual(distance(p.centroid, c), 0, accuracy: 1e-12)
        XCTAssertEqual(p.boundingBox, IndexBox(lower: .init(slice: 2, row: 1, column: 3), upper: .init(slice: 2, row: 1, column: 3)))
        XCTAssertEqual(p.principalAxesLengths, .zero)
        XCTAssertEqual(p.maxDiameter3D, 0)
        XCTAssertEqual(p.mean, 0)  // no intensity volume
    }

    /// Seven voxels along a row: 3D diameter 6 · 0.8 mm between the end centres.
    func testLineOfVoxels() throws {
        let g = Geometry(spacing: Spacing(slice: 3, row: 0.5, column: 0.8))
        var mask = Mask(dimensions: Dimensions(slices: 3, rows: 4, columns: 9), geometry: g, repeating: 0)
        for c in 1...7 { mask[1, 2, c] = 1 }
        let p = try XCTUnwrap(Regions.properties(mask: mask))
        XCTAssertEqual(p.maxDiameter3D, 4.8, accuracy: 1e-12)
        // Index variance of 0…6 is 4, times 0.8²: 4·sqrt(2.56) = 6.4.
        XCTAssertEqual(p.principalAxesLengths.x, 6.4, accuracy: 1e-9)
        XCTAssertEqual(p.principalAxesLengths.y, 0, accuracy: 1e-6)
        XCTAssertEqual(p.principalAxesLengths.z, 0, accuracy: 1e-6)
        XCTAssertEqual(p.centroid, SIMD3(4 * 0.8, 1.0, 3.0))
    }

    /// Background values (0, negative, above `count`) are ignored; absent labels get zero records.
    func testLabelsOutsideRangeAndAbsentLabels() {
        var labels = Volume<Int32>(dimensions: Dimensions(slices: 2, rows: 2, columns: 2), repeating: 0)
        labels.voxels = [1, -1, 7, 3, 0, 1, 3, 3]
        let props = Regions.properties(labels: labels, count: 3)
        XCTAssertEqual(props.map(\.voxelCount), [2, 0, 3])
        XCTAssertEqual(props.map(\.label), [1, 2, 3])
        XCTAssertEqual(props[1], .empty(label: 2))
        XCTAssertTrue(props[1].boundingBox.isEmpty)
        XCTAssertEqual(Regions.properties(labels: labels, count: 0), [])
        XCTAssertNil(Regions.properties(mask: Mask(dimensions: labels.dimensions, repeating: 0)))
    }

    // MARK: brute-force oracles (fixed seeds so failures reproduce)

    func testFeretDiameterMatchesBruteForceOnPointClouds() {
        var rng = SplitMix64(state: 20261122)
        for trial in 0..<40 {
            let n = Int.random(in: 1...400, using: &rng)
            let onSphere = trial % 2 == 0  // the pruning's worst case
            let points: [SIMD3<Double>] = (0..<n).map { _ in
                let p = SIMD3<Double>(.random(in: -1...1, using: &rng), .random(in: -1...1, using: &rng), .random(in: -1...1, using: &rng))
                return onSphere ? p / max(1e-9, (p * p).sum().squareRoot()) * 7 : p * SIMD3(9, 3, 1)
            }
            var best = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { best = max(best, distance(points[i], points[j])) } }
            let got = FeretDiameter.farthestPair(points)
            XCTAssertEqual(got.distance, best, "trial \(trial)")
            XCTAssertEqual(distance(points[got.first], points[got.second]), best, "trial \(trial)")
        }
    }

    /// Random blobs (unions of ellipsoids plus scattered voxels, several labels) on random oblique
    /// anisotropic grids; every measurement is compared with brute force over all voxels.
    func testRegionsMatchBruteForceOnRandomBlobs() {
        var rng = SplitMix64(state: 7)  // seed fixed: failures reproduce
        for trial in 0..<30 {
            let d = Dimensions(slices: .random(in: 3...9, using: &rng), rows: .random(in: 4...14, using: &rng),
                               columns: .random(in: 4...14, using: &rng))
            let g = randomGeometry(&rng)
            var labels = Volume<Int32>(dimensions: d, geometry: g, repeating: 0)
            var intensity = Volume<Float>(dimensions: d, geometry: g, repeating: 0)
            let count = 3
            for label in 1...Int32(count) {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let c = SIMD3<Double>(.random(in: 0...Double(d.slices), using: &rng), .random(in: 0...Double(d.rows), using: &rng),
                                          .random(in: 0...Double(d.columns), using: &rng))
                    let a = SIMD3<Double>(.random(in: 0.5...3, using: &rng), .random(in: 0.5...5, using: &rng), .random(in: 0.5...5, using: &rng))
                    for s in 0..<d.slices { for r in 0..<d.rows { for col in 0..<d.columns {
                        let q = (SIMD3(Double(s), Double(r), Double(col)) - c) / a
                        if (q * q).sum() <= 1 { labels[s, r, col] = label }
                    } } }
                }
                for _ in 0..<4 { labels[.random(in: 0..<d.slices, using: &rng), .random(in: 0..<d.rows, using: &rng), .random(in: 0..<d.columns, using: &rng)] = label }
            }
            for i in intensity.voxels.indices { intensity.voxels[i] = .random(in: -1000...1000, using: &rng) }
            let props = Regions.properties(labels: labels, count: count, intensity: intensity)
            for label in 1...Int32(count) {
                let p = props[Int(label) - 1]
                var voxels: [(Int, Int, Int)] = []
                for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns where labels[s, r, c] == label { voxels.append((s, r, c)) } } }
                let what = "trial \(trial) label \(label)"
                XCTAssertEqual(p.voxelCount, voxels.count, what)
                guard !voxels.isEmpty else { continue }
                let pts = voxels.map { g.point(slice: Double($0.0), row: Double($0.1), column: Double($0.2)) }
                let values = voxels.map { Double(intensity[$0.0, $0.1, $0.2]) }
                var diameter = 0.0
                for i in pts.indices { for j in pts.indices where j > i { diameter = max(diameter, distance(pts[i], pts[j])) } }
                XCTAssertEqual(p.maxDiameter3D, diameter, accuracy: 1e-9, what)
                let centroid = pts.reduce(.zero, +) / Double(pts.count)
                XCTAssertEqual(distance(p.centroid, centroid), 0, accuracy: 1e-9, what)
                let mean = values.reduce(0, +) / Double(values.count)
                XCTAssertEqual(p.mean, mean, accuracy: 1e-9, what)
                XCTAssertEqual(p.standardDeviation, (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot(), accuracy: 1e-9, what)
                XCTAssertEqual(p.minimum, values.min()!, what)
                XCTAssertEqual(p.maximum, values.max()!, what)
                XCTAssertEqual(p.boundingBox.lower.slice, voxels.map(\.0).min()!, what)
                XCTAssertEqual(p.boundingBox.upper.column, voxels.map(\.2).max()!, what)
                // Principal axes: λ = (length/4)² must have the invariants of the brute-force
                // covariance (trace, sum of 2×2 principal minors, determinant).
                var cov = [[Double]](repeating: [0, 0, 0], count: 3)
                for q in pts { for a in 0..<3 { for b in 0..<3 { cov[a][b] += (q - centroid)[a] * (q - centroid)[b] / Double(pts.count) } } }
                let lambda = p.principalAxesLengths * p.principalAxesLengths / 16
                let trace = cov[0][0] + cov[1][1] + cov[2][2]
                let minors = cov[0][0] * cov[1][1] - cov[0][1] * cov[0][1] + cov[0][0] * cov[2][2] - cov[0][2] * cov[0][2]
                    + cov[1][1] * cov[2][2] - cov[1][2] * cov[1][2]
                let det = cov[0][0] * (cov[1][1] * cov[2][2] - cov[1][2] * cov[2][1]) - cov[0][1] * (cov[1][0] * cov[2][2] - cov[1][2] * cov[2][0])
                    + cov[0][2] * (cov[1][0] * cov[2][1] - cov[1][1] * cov[2][0])
                let scale = max(1, trace)
                XCTAssertEqual(lambda.sum(), trace, accuracy: 1e-9 * scale, what)
                XCTAssertEqual(lambda.x * lambda.y + lambda.x * lambda.z + lambda.y * lambda.z, minors, accuracy: 1e-9 * scale * scale, what)
                XCTAssertEqual(lambda.x * lambda.y * lambda.z, det, accuracy: 1e-9 * scale * scale * scale, what)
                XCTAssertGreaterThanOrEqual(p.principalAxesLengths.x, p.principalAxesLengths.y, what)
                XCTAssertGreaterThanOrEqual(p.principalAxesLengths.y, p.principalAxesLengths.z, what)
            }
        }
    }

    /// A ball of radius 20 voxels (≈ 33 000 voxels): the diameter search on its hull candidates agrees
    /// with brute force over its 6-connected surface voxels.
    func testLargeBallDiameterMatchesSurfaceBruteForce() throws {
        let n = 44
        let g = Geometry(spacing: Spacing(slice: 1.25, row: 0.7, column: 0.7))
        var mask = Mask(dimensions: Dimensions(slices: n, rows: n, columns: n), geometry: g, repeating: 0)
        for s in 0..<n { for r in 0..<n { for c in 0..<n {
            let q = SIMD3(Double(s), Double(r), Double(c)) - 21.3
            if (q * q).sum() <= 400 { mask[s, r, c] = 1 }
        } } }
        var surface: [SIMD3<Double>] = []
        for s in 1..<(n - 1) { for r in 1..<(n - 1) { for c in 1..<(n - 1) where mask[s, r, c] == 1 {
            if mask[s - 1, r, c] == 0 || mask[s + 1, r, c] == 0 || mask[s, r - 1, c] == 0 || mask[s, r + 1, c] == 0
                || mask[s, r, c - 1] == 0 || mask[s, r, c + 1] == 0 {
                surface.append(g.point(slice: Double(s), row: Double(r), column: Double(c)))
            }
        } } }
        var best = 0.0
        for i in surface.indices { for j in surface.indices where j > i { best = max(best, distance(surface[i], surface[j])) } }
        let p = try XCTUnwrap(Regions.properties(mask: mask))
        XCTAssertEqual(p.maxDiameter3D, best, accuracy: 1e-9)
    }

    func testResultsDoNotDependOnThreadCount() {
        var rng = SplitMix64(state: 99)
        let d = Dimensions(slices: 20, rows: 24, columns: 24)
        var labels = Volume<Int32>(dimensions: d, geometry: obliqueGeometry(spacing: Spacing(slice: 2, row: 0.6, column: 0.6)), repeating: 0)
        for i in labels.voxels.indices { labels.voxels[i] = Int32.random(in: 0...5, using: &rng) }
        let intensity = labels.map { Float($0) * 1.5 - 2 }
        Parallelism.threads = 1
        let one = Regions.properties(labels: labels, count: 5, intensity: intensity)
        Parallelism.threads = 3
        let three = Regions.properties(labels: labels, count: 5, intensity: intensity)
        Parallelism.threads = 0
        XCTAssertEqual(one, three)
    }

    // MARK: reference values from SimpleITK / scipy

    /// The volumes of `scripts/reference_measure.py` (formulas duplicated there).
    private func referenceVolumes() -> (Volume<Int32>, Volume<Float>) {
        let a = 30.0 * .pi / 180, b = 20.0 * .pi / 180
        let col = SIMD3(cos(a), sin(a), 0.0), row = SIMD3(-sin(a) * cos(b), cos(a) * cos(b), sin(b))
        let g = Geometry(origin: [-12.5, 30.25, 101.0], spacing: Spacing(slice: 2.0, row: 0.8, column: 0.6),
                         columnDirection: col, rowDirection: row, sliceDirection: cross(col, row))
        let d = Dimensions(slices: 10, rows: 16, columns: 18)
        var labels = Volume<Int32>(dimensions: d, geometry: g, repeating: 0)
        var intensity = Volume<Float>(dimensions: d, geometry: g, repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let (S, R, C) = (Double(s), Double(r), Double(c))
            let e = ((S - 4.3) / 3.1) * ((S - 4.3) / 3.1) + ((R - 7.2) / 5.5) * ((R - 7.2) / 5.5) + ((C - 6.1) / 4.2) * ((C - 6.1) / 4.2)
            if e <= 1 { labels[s, r, c] = 1 }
            if (1...3).contains(s) && (2...4).contains(r) && (12...16).contains(c) { labels[s, r, c] = 2 }
            if s == 2 && (5...12).contains(r) && c == 16 { labels[s, r, c] = 2 }
            if s == 8 && (3...13).contains(r) && c == r + 1 { labels[s, r, c] = 3 }
            intensity[s, r, c] = Float(100 * sin(0.3 * S + 0.2 * R) + 3 * C - 0.5 * R * S)
        } } }
        return (labels, intensity)
    }

    /// Numbers printed by `python3 scripts/reference_measure.py` (SimpleITK 2.5.7
    /// LabelShapeStatisticsImageFilter with Feret diameter, numpy/scipy brute force; both agree).
    /// Tolerances: 1e-7 relative on printed 10-digit values; intensity 1e-4 (float32 voxels, and
    /// numpy's sin may differ from Foundation's in the last ulp before rounding to float).
    func testAgainstSimpleITKReference() {
        let (labels, intensity) = referenceVolumes()
        let p = Regions.properties(labels: labels, count: 3, intensity: intensity)
        struct Ref { let count: Int; let volume: Double; let centroid: SIMD3<Double>; let lower: [Int]; let upper: [Int]
            let axes: SIMD3<Double>; let diameter, mean, sd, min, max: Double }
        let refs = [
            Ref(count: 298, volume: 286.08, centroid: [-10.51196711, 34.1717267, 111.0948585], lower: [2, 2, 2], upper: [7, 12, 10],
                axes: [11.1050458, 7.897306103, 4.450686336], diameter: 10.83697375,
                mean: 35.37775406, sd: 58.64037103, min: -93.68025208, max: 120.166481),
            Ref(count: 53, volume: 50.88, centroid: [-5.824161358, 35.84937244, 105.8067718], lower: [1, 2, 12], upper: [3, 12, 16],
                axes: [7.503351369, 6.018838351, 3.169112037], diameter: 8.588364221,
                mean: 124.9442195, sd: 17.64680372, min: 50.11199951, max: 143.2494965),
            Ref(count: 11, volume: 10.56, centroid: [-8.094318059, 33.41913504, 118.2240108], lower: [8, 3, 4], upper: [8, 13, 14],
                axes: [12.64911064, 0, 0], diameter: 10,
                mean: -66.41758082, sd: 41.69808917, min: -108.6164627, max: 14.11200047),
        ]
        for (i, ref) in refs.enumerated() {
            let got = p[i], what = "label \(i + 1)"
            func close(_ a: Double, _ b: Double, _ field: String, tolerance tol: Double = 1e-7) {
                XCTAssertEqual(a, b, accuracy: tol * max(1, abs(b)), "\(what) \(field)")
            }
            XCTAssertEqual(got.voxelCount, ref.count, what)
            close(got.volumeMM3, ref.volume, "volume")
            for k in 0..<3 { close(got.centroid[k], ref.centroid[k], "centroid") }
            XCTAssertEqual(got.boundingBox, IndexBox(lower: .init(slice: ref.lower[0], row: ref.lower[1], column: ref.lower[2]),
                                                     upper: .init(slice: ref.upper[0], row: ref.upper[1], column: ref.upper[2])), what)
            for k in 0..<3 { close(got.principalAxesLengths[k], ref.axes[k], "axes", tolerance: 1e-6) }
            close(got.maxDiameter3D, ref.diameter, "diameter")
            close(got.mean, ref.mean, "mean", tolerance: 1e-4)
            close(got.standardDeviation, ref.sd, "sd", tolerance: 1e-4)
            close(got.minimum, ref.min, "min", tolerance: 1e-4)
            close(got.maximum, ref.max, "max", tolerance: 1e-4)
        }
    }

    /// scipy.ndimage.map_coordinates(order=1) values from `scripts/reference_measure.py`: the reference
    /// intensity onto a grid shifted by (0.35, 1.1, 0.7) input voxels with spacing 1.3 × 0.5 × 0.9 mm.
    func testTrilinearAgainstScipyReference() {
        let (_, intensity) = referenceVolumes()
        var g = intensity.geometry
        g.origin = intensity.geometry.point(slice: 0.35, row: 1.1, column: 0.7)
        g.spacing = Spacing(slice: 1.3, row: 0.5, column: 0.9)
        let out = Resample.trilinear(intensity, to: g, dimensions: Dimensions(slices: 7, rows: 26, columns: 12), outside: -999)
        let expected: [((Int, Int, Int), Float)] = [((0, 0, 0), 33.41754201), ((1, 2, 3), 83.7155899), ((3, 7, 5), 114.6234748),
                                                    ((5, 20, 9), -42.13807724), ((6, 25, 11), -999), ((2, 13, 4), 83.34202299)]
        for ((s, r, c), value) in expected {
            XCTAssertEqual(out[s, r, c], value, accuracy: 2e-4, "(\(s), \(r), \(c))")
        }
    }

    // MARK: resampling

    func testTrilinearIdentityOnSameGrid() {
        var rng = SplitMix64(state: 3)
        let g = randomGeometry(&rng)
        var v = Volume<Float>(dimensions: Dimensions(slices: 4, rows: 7, columns: 6), geometry: g, repeating: 0)
        for i in v.voxels.indices { v.voxels[i] = .random(in: -500...500, using: &rng) }
        let out = Resample.trilinear(v, to: g, dimensions: v.dimensions, outside: .nan)
        XCTAssertEqual(out.voxels, v.voxels)
        XCTAssertEqual(out.geometry, g)
    }

    /// Trilinear interpolation reproduces linear functions of position exactly (up to float rounding),
    /// onto a rotated, shifted grid with other spacing; points beyond the input get `outside`.
    func testTrilinearReproducesLinearFunction() {
        var rng = SplitMix64(state: 11)
        let g = randomGeometry(&rng)
        let w = SIMD3<Double>(0.7, -1.3, 2.1), k = 5.0
        func f(_ p: SIMD3<Double>) -> Double { (w * (p - g.origin)).sum() + k }
        let d = Dimensions(slices: 6, rows: 9, columns: 8)
        var v = Volume<Float>(dimensions: d, geometry: g, repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            v[s, r, c] = Float(f(g.point(slice: Double(s), row: Double(r), column: Double(c))))
        } } }
        var target = randomGeometry(&rng)
        target.origin = g.point(slice: 2, row: 3, column: 3)
        let od = Dimensions(slices: 6, rows: 7, columns: 7)
        let out = Resample.trilinear(v, to: target, dimensions: od, outside: -1)
        var inside = 0, outside = 0
        for s in 0..<od.slices { for r in 0..<od.rows { for c in 0..<od.columns {
            let p = target.point(slice: Double(s), row: Double(r), column: Double(c))
            let x = g.index(of: p)
            let margins = [x.slice, Double(d.slices - 1) - x.slice, x.row, Double(d.rows - 1) - x.row, x.column, Double(d.columns - 1) - x.column]
            if margins.min()! > 1e-6 {
                inside += 1
                XCTAssertEqual(Double(out[s, r, c]), f(p), accuracy: 1e-3, "(\(s), \(r), \(c))")
            } else if margins.min()! < -1e-6 {
                outside += 1
                XCTAssertEqual(out[s, r, c], -1)
            }
        } } }
        XCTAssertGreaterThan(inside, 20)
        XCTAssertGreaterThan(outside, 20)
    }

    func testTrilinearNewSpacingKeepsExtentAndRamp() {
        // Ramp along columns only: value = column mm. Columns: 9 mm at 0.4 → floor(22.5) + 1 = 23;
        // slices: 4 mm at 1.3 → floor(3.08) + 1 = 4.
        let g = Geometry(origin: [1, 2, 3], spacing: Spacing(slice: 2, row: 1, column: 1))
        var v = Volume<Float>(dimensions: Dimensions(slices: 3, rows: 2, columns: 10), geometry: g, repeating: 0)
        for s in 0..<3 { for r in 0..<2 { for c in 0..<10 { v[s, r, c] = Float(c) } } }
        let out = Resample.trilinear(v, spacing: Spacing(slice: 1.3, row: 1, column: 0.4))
        XCTAssertEqual(out.dimensions, Dimensions(slices: 4, rows: 2, columns: 23))
        XCTAssertEqual(out.geometry.origin, g.origin)
        for c in 0..<23 { XCTAssertEqual(out[1, 1, c], Float(Double(c) * 0.4), accuracy: 1e-5) }
    }
}

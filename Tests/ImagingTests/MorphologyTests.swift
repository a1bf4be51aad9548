import XCTest
@testable import Imaging

/// Distance transform, ball morphology, connected components and hole filling: hand-made
/// volumes with answers worked out by hand, brute-force oracles on random masks, scipy
/// reference values, and 1-vs-2-thread identity.
final class MorphologyTests: XCTestCase {
    // MARK: helpers

    func randomMask(_ d: Dimensions, density: Double, spacing: Spacing = .isotropic1mm, seed: UInt64) -> Mask {
        var g = SplitMix64(state: seed)
        let v = (0..<d.count).map { _ in UInt8(Double.random(in: 0..<1, using: &g) < density ? 1 : 0) }
        return Mask(dimensions: d, geometry: Geometry(spacing: spacing), voxels: v)
    }

    func mask(_ d: Dimensions, spacing: Spacing = .isotropic1mm, _ inside: (Int, Int, Int) -> Bool) -> Mask {
        var m = Mask(dimensions: d, geometry: Geometry(spacing: spacing), repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns where inside(s, r, c) { m[s, r, c] = 1 } } }
        return m
    }

    func squaredMM(_ a: (Int, Int, Int), _ b: (Int, Int, Int), _ sp: Spacing) -> Double {
        let ds = Double(a.0 - b.0) * sp.slice, dr = Double(a.1 - b.1) * sp.row, dc = Double(a.2 - b.2) * sp.column
        return ds * ds + dr * dr + dc * dc
    }

    /// O(n²) oracle: distance from every voxel to the nearest voxel where `feature` holds.
    func bruteDistance(_ m: Mask, feature: (UInt8) -> Bool) -> [Double] {
        let d = m.dimensions
        var points: [(Int, Int, Int)] = []
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns where feature(m[s, r, c]) { points.append((s, r, c)) } } }
        var out = [Double](repeating: .infinity, count: d.count)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            var best = Double.infinity
            for p in points { best = min(best, squaredMM((s, r, c), p, m.spacing)) }
            out[d.index(s, r, c)] = best.squareRoot()
        } } }
        return out
    }

    /// Brute-force ball dilation/erosion with the documented border convention (outside ignored).
    func bruteMorphology(_ m: Mask, radius: Double, dilate: Bool) -> [UInt8] {
        let d = m.dimensions, sp = m.spacing
        // Exact ties matter: 1.5² + 0.8² = 1.7² in ℝ, but not in Double (2.8900000000000001 vs
        // 2.8899999999999997). The ball is inclusive, so the oracle allows a 1e-9 relative slack.
        let limit = radius * radius * (1 + 1e-9)
        let hs = Int(radius / sp.slice * (1 + 1e-9)), hr = Int(radius / sp.row * (1 + 1e-9)), hc = Int(radius / sp.column * (1 + 1e-9))
        var out = [UInt8](repeating: 0, count: d.count)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            var hit = false
            for a in -hs...hs { for b in -hr...hr { for e in -hc...hc {
                guard d.contains(s + a, r + b, c + e), squaredMM((a, b, e), (0, 0, 0), sp) <= limit else { continue }
                let v = m[s + a, r + b, c + e]
                if dilate ? v != 0 : v == 0 { hit = true }
            } } }
            out[d.index(s, r, c)] = dilate ? (hit ? 1 : 0) : (hit ? 0 : 1)
        } } }
        return out
    }

    /// Flood-fill oracle: labels in raster order of first appearance.
    func floodLabels(_ m: Mask, _ connectivity: ConnectedComponents.Connectivity) -> ([Int32], Int) {
        let d = m.dimensions
        let maxNonzero = connectivity == .faces6 ? 1 : connectivity == .edges18 ? 2 : 3
        var offsets: [(Int, Int, Int)] = []
        for a in -1...1 { for b in -1...1 { for e in -1...1 {
            let nz = abs(a) + abs(b) + abs(e)
            if nz > 0 && nz <= maxNonzero { offsets.append((a, b, e)) }
        } } }
        var labels = [Int32](repeating: 0, count: d.count)
        var count: Int32 = 0
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let i = d.index(s, r, c)
            guard m.voxels[i] != 0, labels[i] == 0 else { continue }
            count += 1
            labels[i] = count
            var stack = [(s, r, c)]
            while let (ps, pr, pc) = stack.popLast() {
                for (a, b, e) in offsets where d.contains(ps + a, pr + b, pc + e) {
                    let j = d.index(ps + a, pr + b, pc + e)
                    if m.voxels[j] != 0 && labels[j] == 0 { labels[j] = count; stack.append((ps + a, pr + b, pc + e)) }
                }
            }
        } } }
        return (labels, Int(count))
    }

    /// Equality of two voxel arrays, reporting the number of differences and the first one
    /// (not the whole arrays).
    func assertSame<T: Equatable>(_ a: [T], _ b: [T], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let diff = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
        if let first = diff.first {
            XCTFail("\(diff.count) voxels differ, first at \(first.offset): \(first.element.0) vs \(first.element.1) \(message)",
                    file: file, line: line)
        }
    }

    func withThreads<T>(_ n: Int, _ body: () -> T) -> T {
        let saved = Parallelism.threads
        Parallelism.threads = n
        defer { Parallelism.threads = saved }
        return body()
    }

    // MARK: distance transform, by hand

    func testSingleBackgroundVoxelAnisotropic() {
        // One 0 voxel at (1, 2, 3) in a 3×4×5 volume of ones, spacing 2 / 0.5 / 0.3 mm:
        // the distance at (s, r, c) is √((2(s−1))² + (0.5(r−2))² + (0.3(c−3))²).
        let d = Dimensions(slices: 3, rows: 4, columns: 5)
        let sp = Spacing(slice: 2, row: 0.5, column: 0.3)
        let m = mask(d, spacing: sp) { s, r, c in !(s == 1 && r == 2 && c == 3) }
        let e = DistanceTransform.euclidean(m)
        let e2 = DistanceTransform.squaredEuclidean(m)
        XCTAssertEqual(e[1, 2, 3], 0)
        XCTAssertEqual(e[0, 0, 0], (4.0 + 1 + 0.81).squareRoot(), accuracy: 1e-5)  // √5.81
        XCTAssertEqual(e[2, 3, 0], (4.0 + 0.25 + 0.81).squareRoot(), accuracy: 1e-5)  // √5.06
        XCTAssertEqual(e[1, 2, 4], 0.3, accuracy: 1e-6)
        XCTAssertEqual(e2[0, 2, 3], 4, accuracy: 1e-5)
        for s in 0..<3 { for r in 0..<4 { for c in 0..<5 {
            let expected = squaredMM((s, r, c), (1, 2, 3), sp)
            XCTAssertEqual(Double(e2[s, r, c]), expected, accuracy: 1e-5)
            XCTAssertEqual(Double(e[s, r, c]), expected.squareRoot(), accuracy: 1e-5)
        } } }
        // The inverse transform of the inverted mask is the same thing.
        let inv = DistanceTransform.euclideanToForeground(m.map { 1 - $0 })
        assertSame(inv.voxels, e.voxels)
    }

    func testNoFeatureGivesInfinity() {
        let d = Dimensions(slices: 2, rows: 3, columns: 4)
        let ones = Mask(dimensions: d, repeating: 1), zeros = Mask(dimensions: d, repeating: 0)
        XCTAssertTrue(DistanceTransform.euclidean(ones).voxels.allSatisfy { $0 == .infinity })
        XCTAssertTrue(DistanceTransform.euclidean(zeros).voxels.allSatisfy { $0 == 0 })
        XCTAssertTrue(DistanceTransform.euclideanToForeground(zeros).voxels.allSatisfy { $0 == .infinity })
        XCTAssertTrue(DistanceTransform.euclideanToForeground(ones).voxels.allSatisfy { $0 == 0 })
        // Empty grids (a zero-length axis) go through every kernel untouched.
        for e in [Dimensions(slices: 0, rows: 3, columns: 4), Dimensions(slices: 2, rows: 3, columns: 0)] {
            let m = Mask(dimensions: e, repeating: 0)
            XCTAssertEqual(DistanceTransform.euclidean(m).voxels.count, 0)
            XCTAssertEqual(Morphology.close(m, radius: 2).voxels.count, 0)
            XCTAssertEqual(ConnectedComponents.label(m).count, 0)
            XCTAssertEqual(ConnectedComponents.largest(m).voxels.count, 0)
            XCTAssertEqual(HoleFilling.fill3D(m).voxels.count, 0)
            XCTAssertEqual(HoleFilling.fill2DPerSlice(m).voxels.count, 0)
        }
    }

    // MARK: distance transform, brute force

    func testEDTMatchesBruteForceOnRandomMasks() {
        // Random 12³-ish masks over a range of densities (sparse background is the hard case for
        // the envelope: long parabola chains), anisotropic spacing. Seeds are fixed so a failure
        // reproduces; each seed gives a different mask.
        let spacings = [Spacing(slice: 2.5, row: 0.7, column: 0.9), Spacing(slice: 0.6, row: 1.3, column: 0.45)]
        for (k, density) in [0.5, 0.9, 0.97, 0.995].enumerated() {
            for (j, sp) in spacings.enumerated() {
                let m = randomMask(Dimensions(slices: 11, rows: 12, columns: 13), density: density, spacing: sp,
                                   seed: UInt64(100 + 10 * k + j))
                let fast = DistanceTransform.euclidean(m), brute = bruteDistance(m) { $0 == 0 }
                let fastInv = DistanceTransform.euclideanToForeground(m), bruteInv = bruteDistance(m) { $0 != 0 }
                for i in 0..<m.voxels.count {
                    if brute[i].isInfinite { XCTAssertEqual(fast.voxels[i], .infinity) } else {
                        XCTAssertEqual(Double(fast.voxels[i]), brute[i], accuracy: 1e-4, "density \(density) voxel \(i)")
                    }
                    if bruteInv[i].isInfinite { XCTAssertEqual(fastInv.voxels[i], .infinity) } else {
                        XCTAssertEqual(Double(fastInv.voxels[i]), bruteInv[i], accuracy: 1e-4)
                    }
                }
            }
        }
    }

    func testEDTDegenerateShapes() {
        // One slice, one row, one column: the passes that are skipped must not break the result.
        for d in [Dimensions(slices: 1, rows: 7, columns: 9), Dimensions(slices: 6, rows: 1, columns: 5),
                  Dimensions(slices: 5, rows: 4, columns: 1), Dimensions(slices: 1, rows: 1, columns: 9)] {
            let m = randomMask(d, density: 0.7, spacing: Spacing(slice: 1.5, row: 0.8, column: 0.6), seed: 7)
            let fast = DistanceTransform.euclidean(m), brute = bruteDistance(m) { $0 == 0 }
            for i in 0..<m.voxels.count where brute[i].isFinite {
                XCTAssertEqual(Double(fast.voxels[i]), brute[i], accuracy: 1e-4, "\(d)")
            }
        }
    }

    // MARK: morphology

    func testCubeErodedByOneMillimetre() {
        // A 3×3×3 cube in a 5×5×5 volume (1 mm): r = 1 keeps only voxels whose 6 face
        // neighbours are inside, i.e. the centre; dilating the centre by r = 1 gives the
        // 7-voxel cross, by √2 the 19-voxel, by √3 the full 27-voxel cube.
        let d = Dimensions(slices: 5, rows: 5, columns: 5)
        let cube = mask(d) { s, r, c in (1...3).contains(s) && (1...3).contains(r) && (1...3).contains(c) }
        let eroded = Morphology.erode(cube, radius: 1)
        XCTAssertEqual(eroded.voxels.reduce(0) { $0 + Int($1) }, 1)
        XCTAssertEqual(eroded[2, 2, 2], 1)
        let centre = mask(d) { s, r, c in s == 2 && r == 2 && c == 2 }
        XCTAssertEqual(Morphology.dilate(centre, radius: 1).voxels.reduce(0) { $0 + Int($1) }, 7)
        XCTAssertEqual(Morphology.dilate(centre, radius: 2.0.squareRoot()).voxels.reduce(0) { $0 + Int($1) }, 19)
        assertSame(Morphology.dilate(centre, radius: 3.0.squareRoot()).voxels, cube.voxels)
        assertSame(Morphology.close(eroded, radius: 0).voxels, eroded.voxels)
    }

    func testDilateErodeMatchBruteForceBall() {
        // Random small masks (fixed seeds: reproducible), anisotropic spacing, radii that land on
        // and between lattice distances; the full-transform path is forced with windowLimit 0.
        let sp = Spacing(slice: 1.5, row: 0.8, column: 0.6)
        for (k, density) in [0.3, 0.6, 0.85].enumerated() {
            let m = randomMask(Dimensions(slices: 7, rows: 9, columns: 11), density: density, spacing: sp,
                               seed: UInt64(200 + k))
            for radius in [0.0, 0.6, 1.0, 1.5, 1.7, 2.4, 3.1] {
                let dil = bruteMorphology(m, radius: radius, dilate: true)
                let ero = bruteMorphology(m, radius: radius, dilate: false)
                assertSame(Morphology.dilate(m, radius: radius).voxels, dil, "dilate r=\(radius) p=\(density)")
                assertSame(Morphology.erode(m, radius: radius).voxels, ero, "erode r=\(radius) p=\(density)")
                let fullDil = Morphology.withinRadius(m, ofFeatureZero: false, radius: radius, keepNear: true, windowLimit: 0)
                let fullEro = Morphology.withinRadius(m, ofFeatureZero: true, radius: radius, keepNear: false, windowLimit: 0)
                assertSame(fullDil.voxels, dil, "full-transform dilate r=\(radius)")
                assertSame(fullEro.voxels, ero, "full-transform erode r=\(radius)")
            }
        }
    }

    func testBorderConventionAndOpenClose() {
        // Outside the volume is ignored: an all-ones volume survives erosion, and a slab touching
        // the border keeps its border voxels; closing is extensive, opening anti-extensive.
        let d = Dimensions(slices: 6, rows: 8, columns: 8)
        let ones = Mask(dimensions: d, repeating: 1)
        assertSame(Morphology.erode(ones, radius: 2).voxels, ones.voxels)
        let slab = mask(d) { _, r, _ in r < 4 }
        let e = Morphology.erode(slab, radius: 1)
        XCTAssertEqual(e[0, 0, 0], 1)   // corner of the volume: nothing eats in from outside
        XCTAssertEqual(e[3, 3, 4], 0)   // next to the background row 4
        XCTAssertEqual(e[3, 2, 4], 1)
        // A one-voxel-wide gap (column 4) between two halves is closed by r = 1.
        let split = mask(d) { _, _, c in c != 4 }
        assertSame(Morphology.close(split, radius: 1).voxels, ones.voxels)
        for seed in UInt64(300)..<UInt64(304) {
            let m = randomMask(d, density: 0.55, spacing: Spacing(slice: 1.2, row: 0.9, column: 0.9), seed: seed)
            let c = Morphology.close(m, radius: 1.3), o = Morphology.open(m, radius: 1.3)
            for i in 0..<m.voxels.count {
                XCTAssertGreaterThanOrEqual(c.voxels[i], m.voxels[i])
                XCTAssertLessThanOrEqual(o.voxels[i], m.voxels[i])
            }
        }
    }

    // MARK: connected components

    func testDiagonalVoxels() {
        let d = Dimensions(slices: 2, rows: 2, columns: 2)
        // Corner-touching pair (0,0,0)–(1,1,1): one component only under 26-connectivity.
        let corner = mask(d) { s, r, c in s == r && r == c }
        XCTAssertEqual(ConnectedComponents.label(corner, connectivity: .faces6).count, 2)
        XCTAssertEqual(ConnectedComponents.label(corner, connectivity: .edges18).count, 2)
        XCTAssertEqual(ConnectedComponents.label(corner, connectivity: .vertices26).count, 1)
        // Edge-touching pair (0,0,0)–(0,1,1): joined by 18 and 26, not by 6.
        let edge = mask(d) { s, r, c in s == 0 && r == c }
        XCTAssertEqual(ConnectedComponents.label(edge, connectivity: .faces6).count, 2)
        XCTAssertEqual(ConnectedComponents.label(edge, connectivity: .edges18).count, 1)
        XCTAssertEqual(ConnectedComponents.label(edge, connectivity: .vertices26).count, 1)
        // Raster order: (0,0,0) is label 1, (1,1,1) label 2.
        let l = ConnectedComponents.label(corner, connectivity: .faces6).labels
        XCTAssertEqual(l[0, 0, 0], 1)
        XCTAssertEqual(l[1, 1, 1], 2)
        XCTAssertEqual(l[0, 1, 1], 0)
    }

    func testComponentsMatchFloodFill() {
        // Densities around the percolation thresholds give many components with long, winding
        // shapes (the merges union-find must get right). Fixed seeds: reproducible.
        for (k, density) in [0.15, 0.3, 0.45, 0.6].enumerated() {
            let m = randomMask(Dimensions(slices: 9, rows: 10, columns: 23), density: density, seed: UInt64(400 + k))
            for conn in [ConnectedComponents.Connectivity.faces6, .edges18, .vertices26] {
                let (labels, count) = ConnectedComponents.label(m, connectivity: conn)
                let (oracle, oracleCount) = floodLabels(m, conn)
                XCTAssertEqual(count, oracleCount, "\(conn) p=\(density)")
                assertSame(labels.voxels, oracle, "\(conn) p=\(density)")
                var sizes = [Int](repeating: 0, count: count + 1)
                for v in oracle where v > 0 { sizes[Int(v)] += 1 }
                XCTAssertEqual(ConnectedComponents.sizes(labels, count: count), sizes)
                // Largest: the biggest label, the first in raster order on a tie.
                let best = sizes.indices.dropFirst().max { a, b in sizes[a] < sizes[b] || (sizes[a] == sizes[b] && a > b) }
                let expected = oracle.map { $0 == Int32(best ?? -1) ? UInt8(1) : 0 }
                assertSame(ConnectedComponents.largest(m, connectivity: conn).voxels, expected)
                let kept = oracle.map { $0 > 0 && sizes[Int($0)] >= 3 ? UInt8(1) : 0 }
                assertSame(ConnectedComponents.keep(m, minVoxels: 3, connectivity: conn).voxels, kept)
            }
        }
        let empty = Mask(dimensions: Dimensions(slices: 3, rows: 3, columns: 3), repeating: 0)
        XCTAssertEqual(ConnectedComponents.label(empty).count, 0)
        assertSame(ConnectedComponents.largest(empty).voxels, empty.voxels)
    }

    // MARK: hole filling

    func testHollowSphereFilled() {
        // A shell 2.5 < |p − centre| ≤ 4 voxels in 11³ is filled into the solid ball |p| ≤ 4.
        let d = Dimensions(slices: 11, rows: 11, columns: 11)
        func r2(_ s: Int, _ r: Int, _ c: Int) -> Int { (s - 5) * (s - 5) + (r - 5) * (r - 5) + (c - 5) * (c - 5) }
        let shell = mask(d) { s, r, c in r2(s, r, c) <= 16 && r2(s, r, c) > 6 }
        let ball = mask(d) { s, r, c in r2(s, r, c) <= 16 }
        assertSame(HoleFilling.fill3D(shell).voxels, ball.voxels)
        // A shell with a one-voxel tunnel to the border is not a hole.
        var leaky = shell
        for c in 0...5 { leaky[5, 5, c] = 0 }
        assertSame(HoleFilling.fill3D(leaky).voxels, leaky.voxels)
    }

    func testRingPerSliceFilled() {
        // A square ring (rows/columns 1…5, hollow 2…4) in every slice of a 4×7×7 tube: per slice
        // the inside is a hole; in 3D the tube's inside reaches the first and last slices.
        let d = Dimensions(slices: 4, rows: 7, columns: 7)
        let ring = mask(d) { _, r, c in (1...5).contains(r) && (1...5).contains(c) && !((2...4).contains(r) && (2...4).contains(c)) }
        let filled = mask(d) { _, r, c in (1...5).contains(r) && (1...5).contains(c) }
        assertSame(HoleFilling.fill2DPerSlice(ring).voxels, filled.voxels)
        assertSame(HoleFilling.fill3D(ring).voxels, ring.voxels)
        // Diagonal gaps do not leak under 4-connectivity: a diamond ring is filled.
        let diamond = mask(d) { _, r, c in abs(r - 3) + abs(c - 3) == 2 }
        let solid = mask(d) { _, r, c in abs(r - 3) + abs(c - 3) <= 2 }
        assertSame(HoleFilling.fill2DPerSlice(diamond).voxels, solid.voxels)
    }

    // MARK: scipy reference

    /// The deterministic volume of `scripts/reference_morphology.py` (integer formula, no RNG).
    func scipyVolume() -> Mask {
        let d = Dimensions(slices: 20, rows: 24, columns: 28)
        return mask(d, spacing: Spacing(slice: 1.5, row: 0.8, column: 0.6)) { s, r, c in
            let a = 2 * s - 19, b = 2 * r - 23, e = 2 * c - 27
            let ellipsoid = 3600 * a * a + 2304 * b * b + 1600 * e * e < 921_600
            let speckle = (s * 31 + r * 17 + c * 7) % 53 == 0
            return ellipsoid != speckle
        }
    }

    func testScipyReference() {
        // Numbers printed by scripts/reference_morphology.py (scipy 1.17.1, ndimage). Sums of
        // float distances over ~13 000 voxels: tolerance 1e-3 mm; counts exact.
        let m = scipyVolume()
        XCTAssertEqual(m.voxels.reduce(0) { $0 + Int($1) }, 4132)
        let e = DistanceTransform.euclidean(m)
        XCTAssertEqual(e.voxels.reduce(0.0) { $0 + Double($1) }, 5762.953857, accuracy: 1e-3)
        XCTAssertEqual(Double(e.voxels.max()!), 2.941088, accuracy: 1e-5)
        XCTAssertEqual(Double(e[10, 12, 14]), 1.0, accuracy: 1e-5)
        XCTAssertEqual(Double(e[5, 6, 7]), 0.6, accuracy: 1e-5)
        XCTAssertEqual(Double(e[10, 12, 20]), 2.475884, accuracy: 1e-5)
        XCTAssertEqual(Double(e[12, 8, 16]), 2.475884, accuracy: 1e-5)
        let inv = DistanceTransform.euclideanToForeground(m)
        XCTAssertEqual(inv.voxels.reduce(0.0) { $0 + Double($1) }, 15870.759372, accuracy: 1e-3)
        XCTAssertEqual(Double(inv.voxels.max()!), 4.8, accuracy: 1e-5)
        // scipy's label also numbers in raster order of first appearance.
        let expected: [(ConnectedComponents.Connectivity, Int, Int, Int32)] =
            [(.faces6, 156, 3977, 20), (.edges18, 143, 3990, 17), (.vertices26, 133, 4000, 17)]
        for (conn, count, largest, at) in expected {
            let (labels, n) = ConnectedComponents.label(m, connectivity: conn)
            XCTAssertEqual(n, count, "\(conn)")
            XCTAssertEqual(ConnectedComponents.sizes(labels, count: n).max(), largest)
            XCTAssertEqual(labels[10, 12, 14], at)
            XCTAssertEqual(labels[0, 0, 0], 1)
        }
        XCTAssertEqual(HoleFilling.fill3D(m).voxels.reduce(0) { $0 + Int($1) }, 4192)
        XCTAssertEqual(HoleFilling.fill2DPerSlice(m).voxels.reduce(0) { $0 + Int($1) }, 4194)
        // Ball of radius r mm, inclusive; erosion with scipy's border_value=1 (our convention).
        for (radius, dilated, eroded) in [(0.9, 5611, 2964), (1.7, 8870, 1367), (2.5, 12370, 113)] {
            XCTAssertEqual(Morphology.dilate(m, radius: radius).voxels.reduce(0) { $0 + Int($1) }, dilated)
            XCTAssertEqual(Morphology.erode(m, radius: radius).voxels.reduce(0) { $0 + Int($1) }, eroded)
        }
    }

    // MARK: threads

    func testOneAndTwoThreadsAgree() {
        // Sizes chosen so two threads split slices, rows and column blocks unevenly.
        let m = randomMask(Dimensions(slices: 37, rows: 41, columns: 70), density: 0.6,
                           spacing: Spacing(slice: 1.25, row: 0.7, column: 0.7), seed: 500)
        func all() -> [[Float]] {
            let (labels, n) = ConnectedComponents.label(m, connectivity: .edges18)
            return [DistanceTransform.euclidean(m).voxels, DistanceTransform.euclideanToForeground(m).voxels,
                    Morphology.close(m, radius: 2.1).voxels.map(Float.init),
                    Morphology.withinRadius(m, ofFeatureZero: false, radius: 2.1, keepNear: true, windowLimit: 0).voxels.map(Float.init),
                    labels.voxels.map(Float.init), [Float(n)],
                    ConnectedComponents.largest(m).voxels.map(Float.init),
                    HoleFilling.fill3D(m).voxels.map(Float.init), HoleFilling.fill2DPerSlice(m).voxels.map(Float.init)]
        }
        let one = withThreads(1, all), two = withThreads(2, all), four = withThreads(4, all)
        for k in one.indices {
            assertSame(one[k], two[k], "1 vs 2 threads, output \(k)")
            assertSame(one[k], four[k], "1 vs 4 threads, output \(k)")
        }
    }
}

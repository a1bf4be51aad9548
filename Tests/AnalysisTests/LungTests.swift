import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// The lung phantom and `LungNodules`. Full-size phantoms are the slow part (seconds each even
/// with Analysis built -O), so the quality floors use two tuning seeds at 512 and everything else
/// runs on small grids. Floors are set just below what these cases reach, so a regression fails.
final class LungTests: XCTestCase {
    /// Phantoms are built once per process.
    nonisolated(unsafe) static var cache: [String: Phantom] = [:]
    static func phantom(_ seed: UInt64, size: Int) -> Phantom {
        let key = "\(seed)-\(size)"
        if let p = cache[key] { return p }
        let p = LungPhantom.make(seed: seed, size: size)
        cache[key] = p
        return p
    }

    // MARK: Phantom

    /// Series attributes, grid rule and truth: labels 1…N whose voxel counts give the volumes and
    /// equivalent diameters, centroids at the labelled voxels, sites naming the centre's side,
    /// and HU of each category where the design puts it.
    func testPhantomTruthIsConsistent() throws {
        let size = 256
        let p = Self.phantom(2, size: size)
        XCTAssertEqual(p.kind, .lung)
        XCTAssertEqual(p.series.count, 1)
        let s = p.series[0], v = s.volume
        XCTAssertEqual(s.role, .image)
        XCTAssertEqual(s.info.modality, "CT")
        XCTAssertEqual(s.info.bodyPart, "CHEST")
        XCTAssertEqual(s.info.units, "HU")
        XCTAssertEqual(s.info.imageType, ["ORIGINAL", "PRIMARY", "AXIAL"])
        XCTAssertTrue(s.info.seriesDescription.hasPrefix("CHEST "), s.info.seriesDescription)
        XCTAssertEqual(try XCTUnwrap(s.info.sliceThicknessMM), v.spacing.slice, accuracy: 1e-9)
        // Grid: size × size, field of view 0.6–0.9 mm × 512, slices ≤ 5 mm covering 280–320 mm.
        XCTAssertEqual(v.dimensions.rows, size)
        XCTAssertEqual(v.dimensions.columns, size)
        XCTAssertEqual(v.spacing.row, v.spacing.column, accuracy: 1e-12)
        XCTAssertTrue((0.6 * 512 / Double(size) - 1e-9...0.9 * 512 / Double(size) + 1e-9).contains(v.spacing.row))
        XCTAssertLessThanOrEqual(v.spacing.slice, 5 + 1e-9)
        let extent = Double(v.dimensions.slices) * v.spacing.slice
        XCTAssertTrue((280 - v.spacing.slice...320 + v.spacing.slice).contains(extent), "z extent \(extent) mm")
        XCTAssertEqual(v.geometry.columnDirection, [1, 0, 0])
        XCTAssertEqual(v.geometry.sliceDirection, [0, 0, 1])
        XCTAssertEqual(p.labels.dimensions, v.dimensions)
        XCTAssertEqual(p.labels.geometry.spacing, v.geometry.spacing)
        // Integer HU in the scanner's range.
        for x in v.voxels {
            guard x == x.rounded(), (-1024...3071).contains(x) else { return XCTFail("voxel value \(x)") }
        }

        XCTAssertTrue((1...12).contains(p.lesions.count))
        XCTAssertEqual(p.lesions.map(\.label), Array(1...p.lesions.count))
        let d = v.dimensions, g = v.geometry
        var counts = [Int](repeating: 0, count: p.lesions.count + 1)
        var sums = [SIMD3<Double>](repeating: .zero, count: p.lesions.count + 1)
        var values = [[Float]](repeating: [], count: p.lesions.count + 1)
        for sl in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let l = Int(p.labels[sl, r, c])
                    XCTAssertLessThanOrEqual(l, p.lesions.count)
                    guard l > 0 else { continue }
                    counts[l] += 1
                    sums[l] += SIMD3(Double(sl), Double(r), Double(c))
                    values[l].append(v[sl, r, c])
                }
            }
        }
        let voxelML = v.spacing.voxelVolume / 1000
        var kinds = Set<String>()
        for l in p.lesions {
            kinds.insert(l.type)
            XCTAssertTrue(["solid", "part-solid", "ground-glass"].contains(l.type), l.type)
            XCTAssertTrue(l.target)
            XCTAssertGreaterThan(counts[l.label], 0, "lesion \(l.label) has no voxel")
            XCTAssertEqual(l.volumeML, Double(counts[l.label]) * voxelML, accuracy: 1e-9)
            XCTAssertEqual(l.diameterMM, cbrt(6 * l.volumeML * 1000 / .pi), accuracy: 1e-6)
            XCTAssertEqual(l.diametersMM.count, 3)
            XCTAssertEqual(l.diametersMM, l.diametersMM.sorted(by: >))
            // Designed 3–30 mm; lobulation and the pleural cut move the labelled size a little.
            XCTAssertTrue((1...36).contains(l.diameterMM), "lesion \(l.label) \(l.diameterMM) mm")
            let mean = sums[l.label] / Double(counts[l.label])
            let centre = g.point(slice: mean.x, row: mean.y, column: mean.z)
            XCTAssertEqual(l.centerMM[0], centre.x, accuracy: 1e-6)
            XCTAssertEqual(l.centerMM[1], centre.y, accuracy: 1e-6)
            XCTAssertEqual(l.centerMM[2], centre.z, accuracy: 1e-6)
            XCTAssertTrue(l.site.hasPrefix(l.centerMM[0] < 0 ? "right " : "left "), l.site)
            XCTAssertTrue(["upper", "middle", "lower"].contains { l.site.contains("\($0) zone") }, l.site)
            // HU of the category (partial volume and noise aside): solid nodules' 90th percentile
            // is soft tissue; ground glass's median and 90th percentile are hazy (−800…−350 HU);
            // part-solid nodules are mostly ground glass around a solid core (some voxels above
            // −100 HU).
            guard l.diameterMM >= 6 else { continue }
            let sorted = values[l.label].sorted()
            let p90 = Double(sorted[Int(0.9 * Double(sorted.count - 1))]), median = Double(sorted[sorted.count / 2])
            let solidFraction = Double(sorted.filter { $0 > -100 }.count) / Double(sorted.count)
            switch l.type {
            case "solid":
                XCTAssertTrue((-150...200).contains(p90), "solid \(l.label): p90 \(p90) HU")
            case "ground-glass":
                XCTAssertTrue((-800...(-350)).contains(p90), "ground glass \(l.label): p90 \(p90) HU")
                XCTAssertTrue((-850...(-450)).contains(median), "ground glass \(l.label): median \(median) HU")
            default:
                XCTAssertTrue((-850...(-300)).contains(median), "part-solid \(l.label): median \(median) HU")
                XCTAssertGreaterThan(solidFraction, 0.005, "part-solid \(l.label): no solid core")
            }
        }
        XCTAssertGreaterThanOrEqual(kinds.count, 2, "one category only: \(kinds)")
        // Parenchyma: well below −700 HU around the nodules, air outside the body.
        XCTAssertLessThan(v[d.slices / 2, 2, 2], -950)
    }

    /// The same seed gives the same voxels and truth whatever the thread count; another seed differs.
    func testPhantomDeterministic() {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        Parallelism.threads = 1
        let a = LungPhantom.make(seed: 5, size: 96)
        Parallelism.threads = 2
        let b = LungPhantom.make(seed: 5, size: 96)
        XCTAssertEqual(a.series[0].volume.voxels, b.series[0].volume.voxels)
        XCTAssertEqual(a.labels.voxels, b.labels.voxels)
        XCTAssertEqual(a.lesions, b.lesions)
        XCTAssertNotEqual(a.series[0].volume.voxels, LungPhantom.make(seed: 6, size: 96).series[0].volume.voxels)
    }

    // MARK: Analyzer quality

    /// Tuning seeds 1 and 5 at full size (0.7–0.85 mm pixels, 1.25–1.5 mm slices): they reach
    /// 15/15 nodules ≥ 4 mm found, no false positive (1.2.0: bronchioles' lumens rejected),
    /// mean nodule Dice 0.924, median volume error 6.3 %. The floors allow one headline miss
    /// over both, one false positive in one case, Dice 0.90 and volume error 9 %.
    func testQualityOnTuningSeeds() throws {
        var scores: [CaseScore] = []
        for seed: UInt64 in [1, 5] {
            let p = Self.phantom(seed, size: 512)
            let r = try LungNodules().analyze(p.input)
            checkResult(r, phantom: p)
            let score = Evaluation.score(phantom: p, result: r)
            scores.append(score)
            for l in score.lesions where l.diameterMM >= 8 {
                XCTAssertTrue(l.detected, "seed \(seed): \(l.type) of \(l.diameterMM) mm missed")
            }
            XCTAssertLessThanOrEqual(score.falsePositives.count, 1, "seed \(seed)")
            let lungs = try XCTUnwrap(r.caseMeasurement(.lungVolume))
            XCTAssertTrue((2000...9000).contains(lungs), "seed \(seed): lungs \(lungs) mL")
        }
        let summary = EvaluationSummary(analyzer: .lung, scores: scores)
        print("lung quality:", summary.headlineDetected, "/", summary.headlineTotal, "FP/scan", summary.falsePositivesPerScan,
              "Dice", summary.lesionDiceMean ?? -1, "vol err", summary.medianAbsoluteVolumeErrorPercent ?? -1)
        XCTAssertGreaterThanOrEqual(summary.headlineTotal, 12)
        XCTAssertGreaterThanOrEqual(summary.headlineDetected, summary.headlineTotal - 1)
        XCTAssertLessThanOrEqual(summary.falsePositivesPerScan, 0.5)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary.lesionDiceMean), 0.90)
        XCTAssertLessThanOrEqual(try XCTUnwrap(summary.medianAbsoluteVolumeErrorPercent), 9)
    }

    /// A coarse grid (seed 4 at 256: 1.5 mm pixels, 1.6 mm slices) must not flood with vessel
    /// cross-sections: it reaches 5/8 found (all three misses under 4 mm or a 6 mm ground-glass
    /// nodule) with no false positive.
    func testCoarseGridHasFewFalsePositives() throws {
        let p = Self.phantom(4, size: 256)
        let r = try LungNodules().analyze(p.input)
        checkResult(r, phantom: p)
        let score = Evaluation.score(phantom: p, result: r)
        XCTAssertLessThanOrEqual(score.falsePositives.count, 1)
        XCTAssertGreaterThanOrEqual(score.lesions.filter(\.detected).count, 5)
        for l in score.lesions where l.diameterMM >= 8 { XCTAssertTrue(l.detected, "\(l.type) of \(l.diameterMM) mm missed") }
    }

    /// Findings carry every measurement with its unit, a known category, side and zone, a
    /// confidence in [0, 1] with a reason, and a mask on the source grid; case measurements and
    /// stage timings exist.
    func checkResult(_ r: AnalysisResult, phantom p: Phantom) {
        XCTAssertEqual(r.analyzer, .lung)
        XCTAssertEqual(r.version, LungNodules.version)
        XCTAssertEqual(r.organName, "lung")
        XCTAssertNotNil(r.organ)
        XCTAssertEqual(r.dimensions, p.labels.dimensions)
        XCTAssertFalse(r.findings.isEmpty)
        let hu = "[hnsf'U]"
        let units = ["volume": "mL", "equivalent_diameter": "mm", "long_axis": "mm", "short_axis": "mm",
                     "mean_diameter": "mm", "mean_hu": hu, "sd_hu": hu, "distance_to_pleura": "mm", "sphericity": "1"]
        for (i, f) in r.findings.enumerated() {
            XCTAssertEqual(f.number, i + 1)
            XCTAssertEqual(f.kind, .nodule)
            XCTAssertTrue(["solid", "part-solid", "ground-glass"].contains(f.category), f.category)
            for (name, unit) in units { XCTAssertEqual(f.measurements.first { $0.name == name }?.unit, unit, name) }
            XCTAssertEqual(f.measurements.first { $0.name == "solid_diameter" }?.unit, f.category == "part-solid" ? "mm" : nil)
            XCTAssertEqual(f.measurement(.volume)! * 1000, Double(f.mask.voxelCount) * p.labels.spacing.voxelVolume,
                           accuracy: 1e-6)
            let long = f.measurement(.longAxis)!, short = f.measurement(.shortAxis)!
            XCTAssertGreaterThan(short, 0)
            XCTAssertLessThanOrEqual(short, long + 1e-9)
            XCTAssertGreaterThanOrEqual(f.measurement(.equivalentDiameter)!, NoduleSegmenter.minimumDiameter - 1e-9)
            // Lung-RADS mean diameter: the reported axes' mean, to 0.1 mm.
            XCTAssertEqual(f.measurement(.meanDiameter)!, ((long + short) / 2 * 10).rounded() / 10, accuracy: 1e-9)
            XCTAssertGreaterThanOrEqual(f.measurement(.distanceToPleura)!, 0)
            XCTAssertTrue((0...1).contains(f.measurement(.sphericity)!))
            XCTAssertTrue(["2", "3", "4A", "4B"].contains(f.assessment(.lungRADS)!))
            let mean = f.measurement(.meanHU)!
            XCTAssertTrue((-900...200).contains(mean), "mean HU \(mean)")
            if f.category == "solid" { XCTAssertGreaterThan(mean, -600) }
            XCTAssertNotNil(f.laterality)
            XCTAssertEqual(f.laterality == .right, f.site.hasPrefix("right "), f.site)
            XCTAssertTrue(["upper", "middle", "lower"].contains { f.site.contains("\($0) zone") }, f.site)
            XCTAssertTrue((0...1).contains(f.confidence))
            XCTAssertFalse(f.reason.isEmpty)
            XCTAssertTrue(f.reason.contains("Lung-RADS"), f.reason)
            XCTAssertEqual(f.mask.gridDimensions, r.dimensions)
            XCTAssertGreaterThan(f.mask.voxelCount, 0)
        }
        let right = r.caseMeasurement(.rightLungVolume) ?? 0, left = r.caseMeasurement(.leftLungVolume) ?? 0
        XCTAssertGreaterThan(right, 500)
        XCTAssertGreaterThan(left, 500)
        XCTAssertEqual(r.caseMeasurement(.lungVolume) ?? 0, right + left, accuracy: 1e-6)
        XCTAssertEqual(r.caseMeasurements.first { $0.name == "lung_volume" }?.unit, "mL")
        XCTAssertEqual(Set(r.timings.map(\.stage)),
                       ["resample", "lung mask", "candidates", "mediastinal candidates", "segmentation", "measurements", "organ mask"])
    }

    /// Same input, same result, whatever the thread count.
    func testAnalyzerDeterministic() throws {
        let p = Self.phantom(4, size: 256)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        Parallelism.threads = 1
        let a = try LungNodules().analyze(p.input)
        Parallelism.threads = 2
        let b = try LungNodules().analyze(p.input)
        XCTAssertFalse(a.findings.isEmpty)
        XCTAssertEqual(a.findings.map(\.mask), b.findings.map(\.mask))
        XCTAssertEqual(a.findings.map(\.measurements), b.findings.map(\.measurements))
        XCTAssertEqual(a.findings.map(\.reason), b.findings.map(\.reason))
        XCTAssertEqual(a.organ, b.organ)
        XCTAssertEqual(a.caseMeasurements, b.caseMeasurements)
    }

    /// Lung-RADS v2022 baseline size categories at their boundaries.
    func testLungRADSSizeCategories() {
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 5.9, solidDiameter: 0), "2")
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 6, solidDiameter: 0), "3")
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 8, solidDiameter: 0), "4A")
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 15, solidDiameter: 0), "4B")
        XCTAssertEqual(NoduleReport.lungRADS(category: "part-solid", meanDiameter: 5, solidDiameter: 3), "2")
        XCTAssertEqual(NoduleReport.lungRADS(category: "part-solid", meanDiameter: 10, solidDiameter: 5), "3")
        XCTAssertEqual(NoduleReport.lungRADS(category: "part-solid", meanDiameter: 10, solidDiameter: 7), "4A")
        XCTAssertEqual(NoduleReport.lungRADS(category: "part-solid", meanDiameter: 12, solidDiameter: 8), "4B")
        XCTAssertEqual(NoduleReport.lungRADS(category: "ground-glass", meanDiameter: 29, solidDiameter: 0), "2")
        XCTAssertEqual(NoduleReport.lungRADS(category: "ground-glass", meanDiameter: 30, solidDiameter: 0), "3")
        // Compared as reported, to 0.1 mm: 5.96 is reported 6.0, so category 3, not 2.
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 5.96, solidDiameter: 0), "3")
        XCTAssertEqual(NoduleReport.lungRADS(category: "solid", meanDiameter: 5.94, solidDiameter: 0), "2")
    }

    // MARK: Refusals

    /// A chest-sized box of `value` HU with the given attributes.
    func input(modality: String = "CT", slices: Int = 80, sliceMM: Double = 2.5, thicknessMM: Double? = nil,
               value: Float = 40) -> AnalysisInput {
        let v = Volume<Float>(dimensions: Dimensions(slices: slices, rows: 64, columns: 64),
                              geometry: Geometry(spacing: Spacing(slice: sliceMM, row: 5, column: 5)), repeating: value)
        let info = SeriesInfo(modality: modality, bodyPart: "CHEST", seriesDescription: "CHEST",
                              sliceThicknessMM: thicknessMM ?? sliceMM, imageType: ["ORIGINAL", "PRIMARY", "AXIAL"], units: "HU")
        return AnalysisInput(InputSeries(role: .image, info: info, volume: v))
    }

    func refusal(_ input: AnalysisInput) -> AnalysisError? {
        do {
            _ = try LungNodules().analyze(input)
            return nil
        } catch {
            return error
        }
    }

    func testRefusesNonCT() {
        XCTAssertEqual(refusal(input(modality: "MR")), .refused("modality MR is not CT"))
        XCTAssertEqual(refusal(input(modality: "")), .refused("modality unknown is not CT"))
    }

    func testRefusesThickSlices() {
        XCTAssertEqual(refusal(input(slices: 40, sliceMM: 6)), .refused("slice spacing 6.00 mm is over 5 mm"))
        XCTAssertEqual(refusal(input(sliceMM: 2.5, thicknessMM: 7)), .refused("slice thickness 7.00 mm is over 5 mm"))
    }

    func testRefusesTooFewSlices() {
        XCTAssertEqual(refusal(input(slices: 19, sliceMM: 5)),
                       .refused("19 slices covering 90 mm: too few for a chest (need 20 slices and 150 mm)"))
        XCTAssertEqual(refusal(input(slices: 60, sliceMM: 2)),
                       .refused("60 slices covering 118 mm: too few for a chest (need 20 slices and 150 mm)"))
    }

    /// Soft tissue everywhere (no air, so no lungs), and soft tissue with only a small air
    /// pocket: both pass the series checks and are refused for want of lungs.
    func testRefusesWithoutLungs() {
        guard case .refused(let why)? = refusal(input(value: 40)) else { return XCTFail("expected a refusal") }
        XCTAssertTrue(why.hasPrefix("no lungs: "), why)
        var small = input(value: 40)
        var v = small.series[0].volume
        for s in 30..<40 { for r in 28..<36 { for c in 28..<36 { v[s, r, c] = -900 } } }
        small = AnalysisInput(InputSeries(role: .image, info: small.series[0].info, volume: v))
        guard case .refused(let why2)? = refusal(small) else { return XCTFail("expected a refusal") }
        XCTAssertTrue(why2.hasPrefix("no lungs: "), why2)
    }

    /// A large pocket of pure gas (bowel, stomach: −1000 HU) is not lung and is refused; the
    /// same pocket at an aerated lung's density (−850 HU) is analyzed.
    func testGasIsNotLung() {
        func pocket(_ hu: Float) -> AnalysisInput {
            let base = input(value: 40)
            var v = base.series[0].volume
            for s in 20..<60 { for r in 17..<47 { for c in 17..<47 { v[s, r, c] = hu } } }
            return AnalysisInput(InputSeries(role: .image, info: base.series[0].info, volume: v))
        }
        guard case .refused(let why)? = refusal(pocket(-1000)) else { return XCTFail("gas taken for lung") }
        XCTAssertEqual(why, "no lungs: 0 mL aerated lung above the diaphragm", why)
        XCTAssertNil(refusal(pocket(-850)), "an aerated pocket of 2250 mL is lung")
    }

    // MARK: False-positive rules for real anatomy

    /// The wall-contact rule's premise: a juxtapleural nodule (a hemisphere on a flat pleura)
    /// has about a third of its surface against the wall and is kept; a spot filling the lung's
    /// tip (the apex in its last slices) is mostly bounded by the wall and is not a nodule.
    func testWallContactShare() throws {
        let n = 41, mm = 0.7
        let g = Geometry(spacing: Spacing(slice: mm, row: mm, column: mm))
        let dims = Dimensions(slices: n, rows: n, columns: n)
        let v = Volume<Float>(dimensions: dims, geometry: g, repeating: -850)
        func share(lung: (Int, Int, Int) -> Bool, centre: SIMD3<Double>, radius: Double) throws -> Double {
            var lungs = Volume<UInt8>(dimensions: dims, geometry: g, repeating: 0)
            for s in 0..<n { for r in 0..<n { for c in 0..<n where lung(s, r, c) { lungs[s, r, c] = 1 } } }
            let point = g.point(slice: centre.x, row: centre.y, column: centre.z)
            let b = try XCTUnwrap(NoduleBox(volume: v, coarseLungs: lungs, factor: SIMD3(1, 1, 1), position: point, halfMM: 10))
            var m = Mask(dimensions: b.dimensions, geometry: b.raw.geometry, repeating: 0)
            let bd = b.dimensions
            for s in 0..<bd.slices { for r in 0..<bd.rows { for c in 0..<bd.columns {
                let q = b.raw.geometry.point(slice: Double(s), row: Double(r), column: Double(c)) - point
                if (q * q).sum().squareRoot() <= radius && b.lung[s, r, c] != 0 { m[s, r, c] = 1 }
            } } }
            return NoduleSegmenter.wallContactShare(m, b)
        }
        // Pleura: the plane between columns 19 and 20; the nodule's centre on it.
        let pleural = try share(lung: { _, _, c in c < 20 }, centre: SIMD3(20, 20, 19.5), radius: 3)
        XCTAssertLessThanOrEqual(pleural, NoduleSegmenter.maxWallContact, "juxtapleural hemisphere: \(pleural)")
        XCTAssertGreaterThan(pleural, 0.15, "juxtapleural hemisphere: \(pleural)")
        // A cone of lung narrowing to its tip at slice 30; the spot is the last 4 mm of it.
        let tip = try share(lung: { s, r, c in
            let radial = Double((r - 20) * (r - 20) + (c - 20) * (c - 20)).squareRoot()
            return s <= 30 && radial <= 0.6 * Double(30 - s) + 0.5
        }, centre: SIMD3(30, 20, 20), radius: 4)
        XCTAssertGreaterThan(tip, NoduleSegmenter.maxWallContact, "lung tip: \(tip)")
    }

    /// Ground glass must lie beyond a vessel's partial-volume halo: 1 mm in-plane, half a slice
    /// (plus the smoothing) across thick slices.
    func testHaloReachGrowsWithSliceThickness() {
        XCTAssertEqual(NoduleSegmenter.haloReach(sliceMM: 0.7), 1.0, accuracy: 1e-9)
        XCTAssertEqual(NoduleSegmenter.haloReach(sliceMM: 1.25), 1.225, accuracy: 1e-9)
        XCTAssertEqual(NoduleSegmenter.haloReach(sliceMM: 2.5), 1.85, accuracy: 1e-9)
    }
}

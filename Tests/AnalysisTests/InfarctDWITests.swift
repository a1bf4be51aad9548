import Foundation
import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// The MR infarct core with the DWI trace (restricted diffusion: low ADC and DWI hyperintense),
/// on small phantoms (96 × 96, as `InfarctTests`) and on hand-made pieces painted into a
/// lesion-free phantom brain: what must not be core (low ADC with normal DWI, T2 shine-through,
/// bilateral hyperintensity) and the bad inputs.
final class InfarctDWITests: XCTestCase {
    static let phantoms = [4, 7, 10].map { InfarctPhantom.make(seed: $0, size: 96) }
    /// Seed 4's brain without a lesion, to paint into.
    static let blank = InfarctPhantom.make(seed: 4, size: 96, lesion: false)

    private func adc(_ p: Phantom) -> InputSeries { p.series.first { $0.role == .adc }! }
    private func dwi(_ p: Phantom) -> InputSeries { p.series.first { $0.role == .dwi }! }
    private func both(_ p: Phantom) -> AnalysisInput { AnalysisInput(series: [adc(p), dwi(p)]) }

    private func refusal(_ input: AnalysisInput) -> String? { infarctRefusal(input) }

    /// Judged on the whole DWI lesion (ISLES convention, `InfarctDWITruth`), as `quality-bench`
    /// judges infarct-dwi. Floors below what seeds 4, 7, 10 reach at 96 (1.5.0: Dice 0.87, 0.84,
    /// 0.97; volume 11.1 / 11.4, 46.1 / 62.5, 22.9 / 22.4 mL: seed 7's white-matter rim, 10–12 %
    /// bright in the noise-free truth, reads at the extent's threshold): the lesion found, no
    /// false positive, both volumes reported, more confidence than the ADC map alone.
    func testPhantomCoreWithDWI() throws {
        for p in Self.phantoms {
            let name = "seed \(p.seed)"
            let r = try InfarctCore().analyze(both(p))
            let truth = InfarctPhantom.make(seed: p.seed, size: 96, truth: .dwiLesion)
            let score = Evaluation.score(phantom: truth, result: r)
            XCTAssertGreaterThanOrEqual(score.lesions[0].dice, 0.82, name)
            XCTAssertEqual(score.falsePositives, [], name)
            let core = try XCTUnwrap(score.volumes.first { $0.name == "core" })
            XCTAssertLessThanOrEqual(abs(core.errorML), max(1, 0.3 * core.truthML), name)
            XCTAssertNotNil(r.caseMeasurement(.adc620Volume), name)
            XCTAssertEqual(r.findings.first?.site, p.lesions[0].site, name)
            XCTAssertTrue(r.timings.map(\.stage).contains("restricted diffusion"))
            XCTAssertTrue(r.notes.contains { $0.contains("restricted diffusion") }, name)
            let alone = try InfarctCore().analyze(AnalysisInput(adc(p)))
            XCTAssertTrue(alone.notes.contains { $0.contains("no DWI trace") }, name)
            XCTAssertGreaterThan(try XCTUnwrap(r.findings.first).confidence, try XCTUnwrap(alone.findings.first).confidence, name)
            // ADC alone: the core is the ADC < 620 region, so the two volumes are one number.
            XCTAssertEqual(alone.caseMeasurement(.coreVolume), alone.caseMeasurement(.adc620Volume))
        }
    }

    /// A ball of `radiusMM` around `center` (patient mm) in the blank brain: ADC set to `adcValue`
    /// and DWI multiplied by `dwiFactor`.
    private func painted(_ balls: [(center: SIMD3<Double>, radiusMM: Double)], adcValue: Float, dwiFactor: Float)
        -> (adc: InputSeries, dwi: InputSeries)
    {
        var a = adc(Self.blank), w = dwi(Self.blank)
        let g = a.volume.geometry, d = a.volume.dimensions
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
            guard balls.contains(where: { ((($0.center - p) * ($0.center - p)).sum()).squareRoot() <= $0.radiusMM }) else { continue }
            let i = d.index(s, r, c)
            guard a.volume.voxels[i] > 300 && a.volume.voxels[i] < 1200 else { continue }  // tissue, not CSF or the edge
            a.volume.voxels[i] = adcValue
            w.volume.voxels[i] *= dwiFactor
        } } }
        return (a, w)
    }

    /// Deep grey matter whose ADC reads 530 but whose DWI is normal (iron, fitting): core for
    /// the ADC map alone (RAPID's false positive), not with the DWI. The same spot with a bright
    /// DWI (×1.6, as acute core) is core.
    func testLowADCWithNormalDWIIsNotCore() throws {
        let blank = try InfarctCore().analyze(AnalysisInput(series: [adc(Self.blank), dwi(Self.blank)]))
        XCTAssertEqual(blank.caseMeasurement(.coreVolume), 0, "no lesion, no core: \(blank.notes)")
        let spot = [(center: SIMD3<Double>(-22, 5, 5), radiusMM: 7.0)]
        let (a, w) = painted(spot, adcValue: 530, dwiFactor: 1)
        let alone = try InfarctCore().analyze(AnalysisInput(a))
        XCTAssertGreaterThan(try XCTUnwrap(alone.caseMeasurement(.coreVolume)), 0.5, "ADC < 620 alone calls it core")
        let paired = try InfarctCore().analyze(AnalysisInput(series: [a, w]))
        XCTAssertEqual(paired.caseMeasurement(.coreVolume), 0, "\(paired.notes)")
        XCTAssertGreaterThan(try XCTUnwrap(paired.caseMeasurement(.adc620Volume)), 0.5, "the RAPID-comparable volume still says it")
        let (b, bright) = painted(spot, adcValue: 530, dwiFactor: 1.6)
        let core = try InfarctCore().analyze(AnalysisInput(series: [b, bright]))
        XCTAssertGreaterThan(try XCTUnwrap(core.caseMeasurement(.coreVolume)), 0.5)
        XCTAssertEqual(core.findings.first?.laterality, .right)
    }

    /// Bright DWI with a normal ADC (T2 shine-through) is not core; a small cortical-like lesion
    /// whose ADC partial volume reads 630 (above RAPID's 620, below 90 % of the phantom's normal
    /// parenchyma, ≈ 740) with a plainly bright DWI is.
    func testShineThroughOutSmallBrightLesionIn() throws {
        let spot = [(center: SIMD3<Double>(25, -10, 10), radiusMM: 6.0)]
        let (a, w) = painted(spot, adcValue: 850, dwiFactor: 2)
        XCTAssertEqual(try InfarctCore().analyze(AnalysisInput(series: [a, w])).caseMeasurement(.coreVolume), 0)
        let (b, bright) = painted(spot, adcValue: 630, dwiFactor: 2)
        let r = try InfarctCore().analyze(AnalysisInput(series: [b, bright]))
        XCTAssertGreaterThan(try XCTUnwrap(r.caseMeasurement(.coreVolume)), 0.2, "of a 0.9 mL ball")
        XCTAssertEqual(r.caseMeasurement(.adc620Volume), 0, "ADC 630 is above RAPID's threshold")
    }

    /// A cortical infarct at the brain's surface: inside the ADC map's 2.4 mm edge band, so the
    /// ADC map alone misses most of it; with the DWI (whose edge band is one voxel) it is core.
    func testCorticalLesionAtTheSurface() throws {
        let a0 = adc(Self.blank), d = a0.volume.dimensions, g = a0.volume.geometry
        let s = d.slices / 2 + 2, r = d.rows / 2
        let edge = try XCTUnwrap((0..<d.columns).first { a0.volume.voxels[d.index(s, r, $0)] > 0 })
        let center = g.point(slice: Double(s), row: Double(r), column: Double(edge) + 3 / g.spacing.column)
        let (a, w) = painted([(center: center, radiusMM: 5)], adcValue: 500, dwiFactor: 1.8)
        let alone = try XCTUnwrap(try InfarctCore().analyze(AnalysisInput(a)).caseMeasurement(.coreVolume))
        let paired = try XCTUnwrap(try InfarctCore().analyze(AnalysisInput(series: [a, w])).caseMeasurement(.coreVolume))
        XCTAssertGreaterThan(paired, 0.08, "alone \(alone)")
        XCTAssertGreaterThan(paired, 1.5 * alone, "the DWI finds more of the cortical lesion than the ADC map alone (\(alone) mL)")
    }

    /// The same restricted, bright spot on both sides at mirror positions near the brain's surface
    /// (susceptibility pile-up beside paired air cells) is left out with a note; on one side it is
    /// core; a deep bilateral pair (both thalami from one artery) is core.
    func testBilateralHyperintensityIsNotCore() throws {
        // Mirror positions in the phantom brain's own frame (its seeded shift and yaw): 8 mm
        // inside its lateral surface on the mid-slice's middle row, and deep beside the ventricles.
        var rng = SplitMix64(state: 4).derived(2)
        let anatomy = BrainAnatomy(&rng)
        let a0 = adc(Self.blank), d = a0.volume.dimensions, g = a0.volume.geometry
        let s = d.slices / 2, row = d.rows / 2
        let cols = (0..<d.columns).filter { a0.volume.voxels[d.index(s, row, $0)] > 0 }
        let inward = 8 / g.spacing.column
        let left = (center: g.point(slice: Double(s), row: Double(row), column: Double(cols.max()!) - inward), radiusMM: 5.0)
        let right = (center: g.point(slice: Double(s), row: Double(row), column: Double(cols.min()!) + inward), radiusMM: 5.0)
        let (a, w) = painted([left, right], adcValue: 500, dwiFactor: 1.8)
        let r = try InfarctCore().analyze(AnalysisInput(series: [a, w]))
        XCTAssertEqual(r.caseMeasurement(.coreVolume), 0)
        XCTAssertTrue(r.notes.contains { $0.contains("mirrored") }, "\(r.notes)")
        let (b, one) = painted([left], adcValue: 500, dwiFactor: 1.8)
        let single = try InfarctCore().analyze(AnalysisInput(series: [b, one]))
        XCTAssertGreaterThan(try XCTUnwrap(single.caseMeasurement(.coreVolume)), 0.15)
        XCTAssertEqual(single.findings.first?.laterality, .left)
        let deep = [(center: anatomy.patient([22, 5, 5]), radiusMM: 6.0), (center: anatomy.patient([-22, 5, 5]), radiusMM: 6.0)]
        let (c, both) = painted(deep, adcValue: 500, dwiFactor: 1.8)
        let pair = try InfarctCore().analyze(AnalysisInput(series: [c, both]))
        XCTAssertGreaterThan(try XCTUnwrap(pair.caseMeasurement(.coreVolume)), 1)
        XCTAssertEqual(pair.findings.first?.laterality, .bilateral)
    }

    /// A DWI on another grid (half the in-plane resolution, shifted) is resampled onto the ADC
    /// map's and gives nearly the same core. Since 1.5.0 the outline is the DWI extent, so the
    /// coarser trace's blur (4.8 mm voxels here) moves it outwards by about a voxel: 14.0 against
    /// 11.1 mL on seed 4 (+26 %; the 1.4.0 outline, the ADC map's 620 iso-contour, did not move).
    func testDWIOnAnotherGridIsResampled() throws {
        let p = Self.phantoms[0]
        let same = try InfarctCore().analyze(both(p))
        var coarse = dwi(p)
        let g = coarse.volume.geometry
        var target = g
        target.spacing.row *= 2
        target.spacing.column *= 2
        target.origin += SIMD3(0.5, -0.5, 0)
        let d = coarse.volume.dimensions
        coarse.volume = Resample.trilinear(coarse.volume, to: target,
                                           dimensions: Dimensions(slices: d.slices, rows: d.rows / 2, columns: d.columns / 2))
        let r = try InfarctCore().analyze(AnalysisInput(series: [adc(p), coarse]))
        XCTAssertTrue(r.notes.contains { $0.contains("resampled onto the ADC grid") }, "\(r.notes)")
        let v0 = try XCTUnwrap(same.caseMeasurement(.coreVolume)), v1 = try XCTUnwrap(r.caseMeasurement(.coreVolume))
        XCTAssertEqual(v1, v0, accuracy: max(0.5, 0.35 * v0))
    }

    /// Bad inputs: a clear refusal or a result, never a crash.
    func testBadDiffusionInputs() throws {
        let p = Self.phantoms[0]
        XCTAssertTrue(refusal(AnalysisInput(dwi(p)))?.contains("DWI trace alone is not read") ?? false)
        var otherFrame = dwi(p), frame = adc(p)
        frame.info.frameOfReferenceUID = "1.2.3"
        otherFrame.info.frameOfReferenceUID = "1.2.4"
        XCTAssertTrue(refusal(AnalysisInput(series: [frame, otherFrame]))?.contains("different frames of reference") ?? false)
        var elsewhere = dwi(p)
        elsewhere.volume.geometry.origin.z += 500
        XCTAssertTrue(refusal(AnalysisInput(series: [adc(p), elsewhere]))?.contains("do not show the same brain") ?? false)
        var ct = dwi(p)
        ct.info.modality = "CT"
        XCTAssertTrue(refusal(AnalysisInput(series: [adc(p), ct]))?.contains("must be MR") ?? false)
        // b = 0 is not a trace: the ADC map is read alone, and says so.
        var b0 = dwi(p)
        b0.info.diffusionBValue = 0
        let alone = try InfarctCore().analyze(AnalysisInput(series: [adc(p), b0]))
        XCTAssertTrue(alone.notes.contains { $0.contains("b = 0") && $0.contains("alone") }, "\(alone.notes)")
        // b-value unknown: read as the trace, with a note.
        var unknown = dwi(p)
        unknown.info.diffusionBValue = nil
        let read = try InfarctCore().analyze(AnalysisInput(series: [adc(p), unknown]))
        XCTAssertTrue(read.notes.contains { $0.contains("b-value not stated") })
        XCTAssertGreaterThan(try XCTUnwrap(read.caseMeasurement(.coreVolume)), 0)
        // A 3-slice slab of both: a result (maybe no core), not a crash.
        func slab(_ s: InputSeries) -> InputSeries {
            var t = s
            let d = s.volume.dimensions, mid = d.slices / 2
            t.volume = Volume(dimensions: Dimensions(slices: 3, rows: d.rows, columns: d.columns), geometry: s.volume.geometry,
                              voxels: Array(s.volume.voxels[(mid - 1) * d.sliceSize..<(mid + 2) * d.sliceSize]))
            t.volume.geometry.origin = s.volume.geometry.point(slice: Double(mid - 1), row: 0, column: 0)
            return t
        }
        do {
            let r = try InfarctCore().analyze(AnalysisInput(series: [slab(adc(p)), slab(dwi(p))]))
            XCTAssertNotNil(r.caseMeasurement(.coreVolume))
        } catch {
            guard case .failed(let why) = error, why.contains("no brain") else { return XCTFail("\(error)") }
        }
    }
}

/// An unstripped head: the phantom brain inside a skull (no signal: ADC and DWI 0, 4 mm) and a
/// scalp (6 mm: ADC 1100, fat-suppressed DWI at a third of white matter's), joined to the brain
/// at the skull base by a 12 mm column of soft tissue, as the brain stem runs into the neck.
final class InfarctUnstrippedHeadTests: XCTestCase {
    func testScalpAndSkullDoNotMakeCore() throws {
        let p = InfarctDWITests.phantoms[0]
        var adc = p.series.first { $0.role == .adc }!, dwi = p.series.first { $0.role == .dwi }!
        let brain = adc.volume.map { $0 > 0 ? UInt8(1) : 0 }
        let skull = Morphology.dilate(brain, radius: 4), scalp = Morphology.dilate(brain, radius: 10)
        let g = adc.volume.geometry, d = adc.volume.dimensions
        var white: [Float] = []
        for i in 0..<d.count where adc.volume.voxels[i] > 650 && adc.volume.voxels[i] < 750 { white.append(dwi.volume.voxels[i]) }
        white.sort()
        let w = white[white.count / 2]
        var rng = SplitMix64(state: 99)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let i = d.index(s, r, c)
            guard brain.voxels[i] == 0 else { continue }
            let pt = g.point(slice: Double(s), row: Double(r), column: Double(c))
            let neck = s <= d.slices / 4 && (pt.x * pt.x + (pt.y - 10) * (pt.y - 10)).squareRoot() < 12
            if scalp.voxels[i] != 0 && (skull.voxels[i] == 0 || neck) {
                adc.volume.voxels[i] = Float(1100 + 60 * rng.gaussian())
                dwi.volume.voxels[i] = Float(Double(w) / 3 * (1 + 0.05 * rng.gaussian()))
            }
        } } }
        let stripped = try InfarctCore().analyze(AnalysisInput(series: [p.series.first { $0.role == .adc }!,
                                                                       p.series.first { $0.role == .dwi }!]))
        let r = try InfarctCore().analyze(AnalysisInput(series: [adc, dwi]))
        // Judged on the whole DWI lesion, the outline since infarct 1.5.0 (as `testPhantomCoreWithDWI`).
        let truth = InfarctPhantom.make(seed: p.seed, size: 96, truth: .dwiLesion)
        let score = Evaluation.score(phantom: truth, result: r)
        XCTAssertEqual(score.falsePositives, [], "\(r.findings.map(\.reason))")
        XCTAssertGreaterThanOrEqual(score.lesions[0].dice, 0.82)
        let v0 = try XCTUnwrap(stripped.caseMeasurement(.coreVolume)), v1 = try XCTUnwrap(r.caseMeasurement(.coreVolume))
        XCTAssertEqual(v1, v0, accuracy: max(0.5, 0.1 * v0), "scalp and skull change the core")
        // The scalp joins the head mask through the neck (so this is the unstripped case the test is
        // about; the brain volume then counts the scalp too, a known limit of the ADC head mask).
        XCTAssertGreaterThan(try XCTUnwrap(r.caseMeasurement(.brainVolume)), try XCTUnwrap(stripped.caseMeasurement(.brainVolume)) + 300)
    }
}

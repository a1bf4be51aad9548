import Foundation
import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// The infarct phantom and `InfarctCore` on small phantoms (96 × 96 in-plane, 2.4 mm, 5 mm
/// slices: fast in debug builds). Quality floors are set below what seeds 1–10 reach at this
/// size, so a regression fails while noise does not.
final class InfarctTests: XCTestCase {
    /// Seeds 4 (≈ 7 mL core, right), 7 (≈ 32 mL, left) and 10 (≈ 18 mL, right), built once,
    /// with their noise-free maps.
    static let built = [4, 7, 10].map { InfarctPhantom.build(seed: $0, size: 96) }
    static var phantoms: [Phantom] { built.map(\.phantom) }

    private func mr(_ p: Phantom) -> AnalysisInput { AnalysisInput(p.series.first { $0.role == .adc }!) }
    private func ctp(_ p: Phantom) -> AnalysisInput { AnalysisInput(series: p.series.filter { $0.role == .rcbf || $0.role == .tmax }) }

    // MARK: phantom

    /// Series, grid, labels and truth volumes are consistent; the core lies inside the brain,
    /// below 620 on ADC and inside the Tmax > 6 s region; low ADC also exists at the brain edge.
    ///
    /// Truth against the maps is checked on the noise-free maps, where it is exact up to partial
    /// volume. On the noisy ADC map it cannot be: by design the core's outer 3.5 mm reads 620 − Δ
    /// (Δ = rim − 620 = 20–80) so that partial volume crosses 620 where the truth does, and with
    /// noise SD 30–60 a sizeable share of those voxels reads ≥ 620 — at any voxel size (seeds
    /// 1–10 give 65–95 % of core voxels below 620 at 96 and at 256). That floor is checked loosely.
    func testPhantomTruth() throws {
        for (p, clean) in Self.built {
            let g = p.labels.geometry, d = p.labels.dimensions
            XCTAssertEqual(p.series.map(\.role), [.adc, .rcbf, .tmax, .dwi])
            XCTAssertEqual(p.series.map(\.info.modality), ["MR", "CT", "CT", "MR"])
            XCTAssertEqual(p.series.map(\.info.units), ["10-6 mm2/s", "mL/100g/min", "s", ""])
            XCTAssertEqual(p.series[3].info.imageType, ["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"])
            XCTAssertEqual(p.series[3].info.diffusionBValue, 1000)
            XCTAssertEqual(p.series[0].info.imageType, ["DERIVED", "PRIMARY", "ADC"])
            for s in p.series {
                XCTAssertEqual(s.volume.dimensions, d)
                XCTAssertEqual(s.volume.geometry, g)
            }
            XCTAssertEqual(g.columnDirection, [1, 0, 0])
            XCTAssertEqual(g.sliceDirection, [0, 0, 1])
            XCTAssertLessThanOrEqual(g.spacing.slice, 5)
            XCTAssertEqual(d.rows, 96)
            let voxelML = g.spacing.voxelVolume / 1000
            var core = 0, hypo = 0, coreHot = 0, coreLowADC = 0, edgeLow = 0
            var cleanCoreLow = 0, cleanHot = 0, cleanOutsideLow = 0, cleanOutsideHot = 0
            var tmaxHypo = 0.0, adcHypo = 0.0
            let (adc, tmax) = (p.series[0].volume.voxels, p.series[2].volume.voxels)
            for i in 0..<d.count {
                let label = p.labels.voxels[i]
                if label != 0 && clean.tmax[i] > 6 { cleanHot += 1 }
                if label == 0 && clean.tmax[i] > 6 { cleanOutsideHot += 1 }
                switch label {
                case 0:
                    if adc[i] > 0 && adc[i] < 620 { edgeLow += 1 }
                    // Noise-free low ADC outside the core is partial volume at the brain edge (Tmax there
                    // is that of CSF and normal tissue), never in the lesion's perfusion deficit.
                    if clean.adc[i] > 0 && clean.adc[i] < 620 && clean.tmax[i] >= 3 { cleanOutsideLow += 1 }
                case 1:
                    core += 1
                    if tmax[i] > 6 { coreHot += 1 }
                    if adc[i] > 0 && adc[i] < 620 { coreLowADC += 1 }
                    if clean.adc[i] > 0 && clean.adc[i] < 620 { cleanCoreLow += 1 }
                case 2:
                    hypo += 1
                    tmaxHypo += Double(tmax[i])
                    adcHypo += Double(adc[i])
                default: XCTFail("unexpected label \(label)")
                }
            }
            XCTAssertGreaterThan(core, 50)
            XCTAssertEqual(p.caseVolumesML["core"]!, Double(core) * voxelML, accuracy: 1e-9)
            XCTAssertEqual(p.caseVolumesML["tmax"]!, Double(core + hypo) * voxelML, accuracy: 1e-9)
            XCTAssertEqual(p.caseVolumesML["mismatch"]!, Double(hypo) * voxelML, accuracy: 1e-9)
            XCTAssertGreaterThan(Double(coreHot) / Double(core), 0.97, "core inside Tmax > 6 s")
            // Noise-free: the voxels more than half inside the core read below 620 (seeds 1–10: ≥ 98.8 %)...
            XCTAssertGreaterThan(Double(cleanCoreLow) / Double(core), 0.97, "noise-free core below 620")
            // ...and those of the hypoperfused region above 6 s, except where CSF (Tmax 0) shares
            // the voxel (seeds 1–10: ≥ 97.2 %); hardly anything outside it reads above 6 s (≤ 0.15 %).
            XCTAssertGreaterThan(Double(cleanHot) / Double(core + hypo), 0.96, "noise-free Tmax > 6 s region")
            XCTAssertLessThan(Double(cleanOutsideHot) / Double(core + hypo), 0.01, "noise-free Tmax > 6 s outside the truth")
            XCTAssertEqual(cleanOutsideLow, 0, "noise-free ADC < 620 outside the core only at the brain edge")
            // Noisy: see above; 80–95 % for these seeds.
            XCTAssertGreaterThan(Double(coreLowADC) / Double(core), 0.7, "noisy core below 620 and inside the brain")
            XCTAssertGreaterThan(tmaxHypo / Double(hypo), 6.5)
            XCTAssertGreaterThan(adcHypo / Double(hypo), 620)
            XCTAssertGreaterThan(edgeLow, 100, "partial volume at the brain edge gives non-infarct ADC < 620")
            let lesion = try XCTUnwrap(p.lesions.first)
            XCTAssertEqual(p.lesions.count, 1)
            XCTAssertEqual(lesion.label, 1)
            XCTAssertEqual(lesion.type, "core")
            XCTAssertEqual(lesion.volumeML, p.caseVolumesML["core"]!, accuracy: 1e-9)
            // Patient left is +x; the brain is centred within a few mm of x = 0.
            XCTAssertEqual(lesion.site, lesion.centerMM[0] > 0 ? "left hemisphere" : "right hemisphere")
        }
    }

    /// The same seed gives the same phantom, and the analyzer the same answer, on 1 or 2 threads.
    func testDeterministicAcrossThreadCounts() throws {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        Parallelism.threads = 1
        let a = InfarctPhantom.make(seed: 3, size: 48)
        let ra = try InfarctCore().analyze(a.input)
        Parallelism.threads = 2
        let b = InfarctPhantom.make(seed: 3, size: 48)
        let rb = try InfarctCore().analyze(b.input)
        XCTAssertEqual(a.labels.voxels, b.labels.voxels)
        for (s, t) in zip(a.series, b.series) { XCTAssertEqual(s.volume.voxels, t.volume.voxels) }
        XCTAssertEqual(a.caseVolumesML, b.caseVolumesML)
        XCTAssertEqual(ra.caseMeasurements, rb.caseMeasurements)
        XCTAssertEqual(ra.findings.map(\.mask), rb.findings.map(\.mask))
        XCTAssertNotEqual(InfarctPhantom.make(seed: 4, size: 48).labels.voxels, a.labels.voxels)
    }

    // MARK: analyzer quality

    /// MR: the core is found in the right hemisphere with Dice ≥ 0.85, volume within 1 mL or
    /// 12 %, no false positive (brain-edge partial volume is not called core).
    func testMRCoreQuality() throws {
        for p in Self.phantoms {
            let r = try InfarctCore().analyze(mr(p))
            let score = Evaluation.score(phantom: p, result: r)
            let name = "seed \(p.seed)"
            XCTAssertEqual(r.analyzer, .infarct)
            XCTAssertEqual(r.organName, "brain")
            XCTAssertGreaterThanOrEqual(score.lesions[0].dice, 0.85, name)
            XCTAssertEqual(score.falsePositives, [], name)
            let core = try XCTUnwrap(score.volumes.first { $0.name == "core" })
            XCTAssertLessThanOrEqual(abs(core.errorML), max(1, 0.12 * core.truthML), name)
            let finding = try XCTUnwrap(r.findings.first)
            XCTAssertEqual(finding.kind, .core)
            XCTAssertEqual(finding.site, p.lesions[0].site, name)
            XCTAssertLessThan(try XCTUnwrap(finding.measurement(.meanADC)), 620)
            // The ADC map alone: lower confidence by design (`InfarctMR.aloneFactor`).
            XCTAssertGreaterThan(finding.confidence, 0.35)
            XCTAssertTrue(r.notes.contains { $0.contains("no DWI trace") })
            XCTAssertEqual(r.timings.map(\.stage), ["brain mask", "edge band", "core", "midline", "measure"])
        }
    }

    /// CT perfusion: core Dice ≥ 0.85 and volume within 1 mL or 12 %; Tmax > 6 s volume within
    /// 5 %, mismatch within 1 mL or 8 %; mismatch ratio = Tmax / core.
    func testCTPQuality() throws {
        for p in Self.phantoms {
            let r = try InfarctCore().analyze(ctp(p))
            let score = Evaluation.score(phantom: p, result: r)
            let name = "seed \(p.seed)"
            XCTAssertGreaterThanOrEqual(score.lesions[0].dice, 0.85, name)
            XCTAssertEqual(score.falsePositives, [], name)
            func volume(_ n: String) throws -> VolumeComparison { try XCTUnwrap(score.volumes.first { $0.name == n }) }
            let (core, tmax, mismatch) = (try volume("core"), try volume("tmax"), try volume("mismatch"))
            XCTAssertLessThanOrEqual(abs(core.errorML), max(1, 0.12 * core.truthML), name)
            XCTAssertLessThanOrEqual(abs(tmax.errorPercent), 5, name)
            XCTAssertLessThanOrEqual(abs(mismatch.errorML), max(1, 0.08 * mismatch.truthML), name)
            let ratio = try XCTUnwrap(r.caseMeasurement(.mismatchRatio))
            XCTAssertEqual(ratio, tmax.predictedML / core.predictedML, accuracy: 1e-9)
            XCTAssertEqual(r.findings.map(\.kind), [.core, .hypoperfusion])
            XCTAssertEqual(r.findings.map(\.category), ["core", "Tmax>6s"])
            XCTAssertEqual(r.findings[0].site, p.lesions[0].site, name)
            XCTAssertLessThan(try XCTUnwrap(r.findings[0].measurement(.meanRCBFRatio)), 30)
        }
    }

    /// The contralateral mean is over tissue only: CSF beside the cortex does not enter it, though
    /// smoothing lifts that CSF above the half-median floor (the rule that made the mean 2–4 % low
    /// and the CTP core small). Noise-free: tissue 40, CSF 3 in bands across the unaffected side.
    func testContralateralMeanLeavesOutCSFBesideCortex() {
        let d = Dimensions(slices: 3, rows: 40, columns: 64)
        var rcbf = Volume<Float>(dimensions: d, repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            // Columns 0–31 (x < midline) are the unaffected side: 6-column bands of tissue and CSF.
            rcbf.voxels[d.index(s, r, c)] = c >= 32 || (c / 6) % 2 == 0 ? 40 : 3
        } } }
        let head = Mask(dimensions: d, repeating: 1), none = Mask(dimensions: d, repeating: 0)
        let smooth = InfarctBrain.smooth(rcbf, within: head, sigmaInPlane: InfarctCTP.meanSigmaMM, sigmaSlice: 0)
        let mean = InfarctCTP.contralateralMean(rcbf, smooth: smooth, head: head, hypo: none, midline: 31.5, affectedLeft: true)
        XCTAssertEqual(mean, 40, accuracy: 1e-4)
    }

    /// CSF (no flow, no delay) is told from tissue voxel by voxel, and ischaemic core (no flow,
    /// long delay) is never CSF; tissue voxels beside CSF keep their Tmax when lightly smoothed,
    /// so a hypoperfused region (and so a core inside it) reaching the CSF is not eroded there.
    func testTmaxBesideCSFNotEroded() {
        let d = Dimensions(slices: 3, rows: 48, columns: 48)
        // Tissue at Tmax 5 s and 7 s (hypoperfused, up to the CSF): 1 s either side of the threshold.
        var rcbf = Volume<Float>(dimensions: d, repeating: 30), tmax = Volume<Float>(dimensions: d, repeating: 5)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            let i = d.index(s, r, c)
            if c >= 30 { rcbf.voxels[i] = 2; tmax.voxels[i] = 0 }                 // CSF
            else if c >= 14 { tmax.voxels[i] = 7 }
            if c >= 22 && c < 30 && r >= 16 && r < 32 { rcbf.voxels[i] = 3; tmax.voxels[i] = 10 }  // core at the CSF
        } } }
        let head = Mask(dimensions: d, repeating: 1)
        let tissue = InfarctCTP.tissueMask(rcbf: rcbf, tmax: tmax, head: head)
        for s in 0..<d.slices { for r in [0, 20] { for c in [0, 20, 25, 29, 30, 47] {
            XCTAssertEqual(tissue.voxels[d.index(s, r, c)] != 0, c < 30, "s \(s) r \(r) c \(c)")
        } } }
        let hypo = InfarctThreshold.segment(tmax, head: head, allowed: head, threshold: 6, below: false,
                                            InfarctCTP.tmaxParameters, tissue: tissue).region
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns {
            XCTAssertEqual(hypo.voxels[d.index(s, r, c)] != 0, c >= 14 && c < 30, "s \(s) r \(r) c \(c)")
        } } }
        // Without the tissue mask the light smoothing averages Tmax 0 in: the column beside the CSF is lost.
        let blurred = InfarctThreshold.segment(tmax, head: head, allowed: head, threshold: 6, below: false,
                                               InfarctCTP.tmaxParameters).region
        XCTAssertEqual(blurred.voxels[d.index(1, 5, 29)], 0)
    }

    /// Without a lesion nothing is found: the brain edge's low ADC and CSF's low rCBF are not core.
    /// (The same brain rendered without the lesion. Painting the truth labels out of a lesioned
    /// phantom is not the same: the voxels less than half inside the lesion keep their
    /// partial-volume values just short of the thresholds, a thin shell that noise pushes across.)
    func testNoLesionNoFinding() throws {
        let p = InfarctPhantom.make(seed: 4, size: 96, lesion: false)
        XCTAssertEqual(p.lesions.count, 0)
        XCTAssertEqual(p.caseVolumesML["core"], 0)
        XCTAssertTrue(p.labels.voxels.allSatisfy { $0 == 0 })
        let (adc, tmax) = (p.series[0], p.series[2])
        let r = try InfarctCore().analyze(AnalysisInput(adc))
        XCTAssertTrue(r.findings.isEmpty)
        XCTAssertEqual(r.caseMeasurement(.coreVolume), 0)
        XCTAssertNotNil(r.organ)
        let c = try InfarctCore().analyze(AnalysisInput(series: [p.series[1], tmax]))
        XCTAssertTrue(c.findings.isEmpty)
        XCTAssertEqual(c.caseMeasurement(.tmax6Volume), 0)
        XCTAssertNil(c.caseMeasurement(.mismatchRatio))
        XCTAssertTrue(c.notes.contains { $0.contains("no Tmax > 6 s") })
    }

    // MARK: refusals

    private func refusal(_ input: AnalysisInput) -> String? { infarctRefusal(input) }

    func testRefusals() {
        let p = Self.phantoms[0]
        let (adc, rcbf, tmax) = (p.series[0], p.series[1], p.series[2])
        let ct = InputSeries(role: .image, info: SeriesInfo(modality: "CT", bodyPart: "HEAD", units: "HU"), volume: adc.volume)
        XCTAssertTrue(refusal(AnalysisInput(ct))?.contains("needs an ADC map, or CT perfusion rCBF and Tmax maps") ?? false)
        XCTAssertTrue(refusal(AnalysisInput(rcbf))?.contains("Tmax map is missing") ?? false)
        XCTAssertTrue(refusal(AnalysisInput(tmax))?.contains("rCBF map is missing") ?? false)
        var moved = tmax
        moved.volume.geometry.origin.x += 3
        XCTAssertTrue(refusal(AnalysisInput(series: [rcbf, moved]))?.contains("different grids") ?? false)
        var wrongModality = adc
        wrongModality.info.modality = "CT"
        XCTAssertTrue(refusal(AnalysisInput(wrongModality))?.contains("must be MR") ?? false)
        var chest = adc
        chest.info.bodyPart = "CHEST"
        XCTAssertTrue(refusal(AnalysisInput(chest))?.contains("must show the brain") ?? false)
        var flat = adc
        flat.volume.voxels = flat.volume.voxels.map { $0 > 0 ? 5 : 0 }
        XCTAssertTrue(refusal(AnalysisInput(flat))?.contains("do not look like") ?? false)
        var thick = adc
        thick.volume.geometry.spacing.slice = 12
        XCTAssertTrue(refusal(AnalysisInput(thick))?.contains("too thick") ?? false)
    }

    /// An ADC map stored in mm²/s is rescaled (with a note) and gives the same core.
    func testADCInSquareMillimetresPerSecond() throws {
        let p = Self.phantoms[0]
        var adc = p.series[0]
        adc.volume.voxels = adc.volume.voxels.map { $0 * 1e-6 }
        let scaled = try InfarctCore().analyze(AnalysisInput(adc))
        let plain = try InfarctCore().analyze(mr(p))
        XCTAssertTrue(scaled.notes.contains { $0.contains("scaled") })
        XCTAssertEqual(try XCTUnwrap(scaled.caseMeasurement(.coreVolume)), try XCTUnwrap(plain.caseMeasurement(.coreVolume)),
                       accuracy: 0.02 * plain.caseMeasurement(.coreVolume)!)
    }
}

import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Pipeline
import XCTest

/// The infarct analyzer measured by insertion on the real ISLES'22 ADC + DWI pair: synthetic
/// acute infarcts (`InfarctInsertion`: ADC lowered to 450–700, DWI raised by exp(b·ΔADC) × a T2
/// factor, partial volume, the EPI point spread, the real noise kept) at seeded positions, scored
/// per lesion (Dice within 6 mm of it, detection = any overlap). The floors lie below what the
/// analyzer reaches on these seeds (see bench/README.md, "Real scans") so a regression fails.
final class RealDataInfarctInsertionTests: XCTestCase {
    private struct Pair {
        var adc: InputSeries
        var dwi: InputSeries
    }

    private func realPair() throws -> Pair {
        let root = RealDataInfarctTests.root
        guard FileManager.default.fileExists(atPath: root.path) else {
            throw XCTSkip("no real data at \(root.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        let plan = try XCTUnwrap(AnalysisPlanner().plan(try SeriesScan.scan([root.path]).series).planned.first)
        let a = try VolumeLoader.load(files: plan.series[0].files), d = try VolumeLoader.load(files: plan.series[1].files)
        var dwiInfo = plan.series[1].info(units: d.units, measuredPhase: false, loaded: d)
        dwiInfo.diffusionBValue = 1000
        return Pair(adc: InputSeries(role: .adc, info: plan.series[0].info(units: a.units, measuredPhase: false, loaded: a), volume: a.volume),
                    dwi: InputSeries(role: .dwi, info: dwiInfo, volume: d.volume))
    }

    /// Inserts `kinds` (seeded), runs the analyzer, scores every lesion.
    private func run(_ kinds: [InfarctInsertion.Kind], seed: UInt64, pair: Pair)
        throws -> [(lesion: InfarctInsertion.Lesion, dice: Double, detected: Bool)]
    {
        var bg = InfarctInsertion.background(adc: pair.adc.volume, dwi: pair.dwi.volume)
        var rng = SplitMix64(state: seed)
        let lesions = kinds.compactMap { InfarctInsertion.insert($0, into: &bg, rng: &rng) }
        XCTAssertEqual(lesions.count, kinds.count, "every lesion found a place")
        var adc = pair.adc, dwi = pair.dwi
        adc.volume = bg.adc
        dwi.volume = bg.dwi
        let result = try InfarctCore().analyze(AnalysisInput(series: [adc, dwi]))
        var core = Mask(dimensions: result.dimensions, geometry: result.geometry, repeating: 0)
        for f in result.findings { f.mask.forEachVoxel { s, r, c in core.voxels[core.dimensions.index(s, r, c)] = 1 } }
        return lesions.map { l in
            let (dice, detected) = InfarctInsertion.score(core: core, lesion: l)
            return (l, dice, detected)
        }
    }

    private func describe(_ rows: [(lesion: InfarctInsertion.Lesion, dice: Double, detected: Bool)]) -> String {
        rows.map { String(format: "%@ %.2f mL ADC %.0f T2 %.2f: Dice %.2f", $0.lesion.kind.rawValue, $0.lesion.volumeML,
                          $0.lesion.adc, $0.lesion.t2Factor, $0.dice) }.joined(separator: "; ")
    }

    func testSmallCorticalAndDeepInfarcts() throws {
        let pair = try realPair()
        var rows: [(lesion: InfarctInsertion.Lesion, dice: Double, detected: Bool)] = []
        for seed: UInt64 in [1, 2] { rows += try run([.cortical, .cortical, .cortical, .deep, .deep], seed: seed, pair: pair) }
        let cortical = rows.filter { $0.lesion.kind == .cortical }, deep = rows.filter { $0.lesion.kind == .deep }
        let text = describe(rows)
        print("INSERTION", text)
        XCTAssertGreaterThanOrEqual(cortical.filter(\.detected).count, 4, text)
        XCTAssertGreaterThanOrEqual(cortical.map(\.dice).reduce(0, +) / Double(cortical.count), 0.45, text)
        XCTAssertGreaterThanOrEqual(deep.filter(\.detected).count, 3, text)
        // 1.5.0: cortical 0.81, 0.82, 0.87, 0.80; deep 0.87, 0.92, 0.85, 0.78 (mean 0.855).
        // 1.4.0: deep Dice 0.86, 0.92, 0.84, 0.76 (mean 0.85; 1.3.0 0.78: the 0.89 mL lesion at
        // ADC 458 kept only its < 620 middle, 0.67, before the dense-core size rule).
        XCTAssertGreaterThanOrEqual(deep.map(\.dice).reduce(0, +) / Double(deep.count), 0.78, text)
    }

    func testTerritorialInfarct() throws {
        let pair = try realPair()
        var rows: [(lesion: InfarctInsertion.Lesion, dice: Double, detected: Bool)] = []
        for seed: UInt64 in [3, 4, 5, 6] { rows += try run([.territorial], seed: seed, pair: pair) }
        let text = describe(rows)
        print("INSERTION", text)
        XCTAssertTrue(rows.allSatisfy(\.detected), text)
        // 1.3.0 reaches: seed 3 (26 mL, ADC 545) 0.64; seed 4 (34 mL, ADC 660, T2 1.04) 0.15;
        // seed 5 (30 mL, ADC 481) 0.72; seed 6 (19 mL, ADC 683, T2 1.10, no RAPID region) 0.62.
        // 1.4.0 the same. 1.5.0 (every lesion outlined over its DWI extent, dense cores too):
        // seed 3 0.82, seed 5 0.86 (their DWI-bright rim is lesion under the insertion truth);
        // seeds 4 and 6 unchanged; with the second reading (the lesions found out of the DWI
        // reference) 0.85 / 0.17 / 0.89 / 0.76: seed 6 (19 mL at rDWI 1.1–1.2) had raised its own
        // reference. Seed 4 is the known weakness: it holds no ADC < 620 piece at all (it is
        // not "RAPID-cored"), but its rDWI (≈ exp(0.14) × 1.04 ≈ 1.19 in grey matter, ≈ 1.1 in
        // white matter, whose normal ADC is nearer 660) sits at the DWI extent's threshold
        // (2 robust SD ≈ 1.19), so its DWI extent is noise-fragmented and mostly short of seeds.
        // Floors: what is reached less 0.02–0.06.
        XCTAssertGreaterThanOrEqual(rows[0].dice, 0.78, text)
        XCTAssertGreaterThanOrEqual(rows[1].dice, 0.1, text)
        XCTAssertGreaterThanOrEqual(rows[2].dice, 0.82, text)
        XCTAssertGreaterThanOrEqual(rows[3].dice, 0.7, text)
    }
}

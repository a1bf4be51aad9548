import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Pipeline
import XCTest

/// Hybrid checks of the lung analyzer on real anatomy: synthetic nodules inserted into the real
/// LIDC-IDRI-0001 volume (`NoduleInserter`, scanner blur and the scan's own noise) at sites
/// chosen by rule and a fixed seed (`InsertionSiteMap`, never hand-picked coordinates), all in
/// one copy of the volume, well apart, so one analysis run checks them all. Each must be found
/// (a finding sharing its visible part with Dice ≥ 0.2) with its visible volume within an honest
/// tolerance. `bench/real/insertion.sh` runs the full grid of sites, sizes and types.
final class RealDataLungInsertionTests: XCTestCase {
    /// The case's series and its analysis after the insertions, with what was inserted.
    struct Run {
        var result: AnalysisResult
        var insertions: [(InsertionSite, Insertion)]
    }

    nonisolated(unsafe) static var cached: Run?

    /// Sizes and types: a 15 mm solid nodule half in the mediastinum (the held-out miss the
    /// issue names), a 10 mm solid nodule on the costal pleura, a 12 mm pure ground-glass
    /// nodule in the parenchyma, and a 12 mm solid nodule with a third in the mediastinum.
    static let plan: [(InsertionSite, Double, InsertedNoduleSpec.Kind, Float)] = [
        (.mediastinalHalf, 15, .solid, 30),
        (.juxtapleural, 10, .solid, 30),
        (.parenchyma, 12, .groundGlass, -600),
        (.mediastinalThird, 12, .solid, 30),
    ]

    private func hybridRun() throws -> Run {
        if let r = Self.cached { return r }
        let url = RealDataProbeTests.root.appendingPathComponent("lidc-0001/dicom")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("no real data at \(url.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        let s = try XCTUnwrap(SeriesScan.scan([url.path]).series.first)
        let loaded = try VolumeLoader.load(files: s.files)
        var volume = loaded.volume
        let map = try XCTUnwrap(InsertionSiteMap(volume))
        // Away from the readers' 32.8 mm nodule (its centre from the truth file) and from each other.
        let truth = RealDataProbeTests.root.appendingPathComponent("lidc-0001/truth.json")
        var avoid: [(point: SIMD3<Double>, distance: Double)] = []
        if let json = try JSONSerialization.jsonObject(with: Data(contentsOf: truth)) as? [String: Any],
           let lesions = json["lesions"] as? [[String: Any]] {
            for l in lesions {
                if let c = l["center_mm"] as? [Double], c.count == 3 { avoid.append((SIMD3(c[0], c[1], c[2]), 45)) }
            }
        }
        var rng = SplitMix64(state: 12)
        var insertions: [(InsertionSite, Insertion)] = []
        for (site, size, kind, hu) in Self.plan {
            let p = try XCTUnwrap(map.pick(site, radius: size / 2, rng: &rng, avoid: avoid), "no \(site.rawValue) site")
            avoid.append((p, 50))
            let spec = InsertedNoduleSpec(center: p, diameterMM: size, kind: kind, densityHU: hu)
            insertions.append((site, NoduleInserter.insert(spec, into: &volume, visible: map.inLungField)))
        }
        let input = InputSeries(role: s.role, info: s.info(units: loaded.units, measuredPhase: false, loaded: loaded),
                                volume: volume)
        let result = try LungNodules().analyze(AnalysisInput(series: [input]))
        let r = Run(result: result, insertions: insertions)
        Self.cached = r
        return r
    }

    /// Dice of a finding with an insertion's visible part.
    private func dice(_ f: Finding, _ ins: Insertion) -> Double {
        var shared = 0
        f.mask.forEachVoxel { s, r, c in
            let a = s - ins.box.lower.slice, e = r - ins.box.lower.row, k = c - ins.box.lower.column
            if ins.truth.dimensions.contains(a, e, k), ins.truth[a, e, k] != 0 { shared += 1 }
        }
        return 2 * Double(shared) / Double(max(1, f.mask.voxelCount + ins.truthVoxels))
    }

    /// Share of insertion `k`'s visible part inside the analyzer's lung mask.
    private func inLungMask(_ k: Int) throws -> Double {
        let r = try hybridRun()
        return r.insertions[k].1.share(inside: try XCTUnwrap(r.result.organ))
    }

    private func describe(_ k: Int) throws -> String {
        let r = try hybridRun()
        let (site, ins) = r.insertions[k]
        let summary = r.result.findings.map { f in
            String(format: "%@ %.2f mL at (%.0f, %.0f, %.0f)", f.category, f.measurement(.volume) ?? 0,
                   f.centroidMM.x, f.centroidMM.y, f.centroidMM.z)
        }.joined(separator: "; ")
        let c = ins.spec.center
        return String(format: "%@ %.0f mm %@ at (%.1f, %.1f, %.1f), %.0f %% embedded, visible %.2f mL; findings: ",
                      site.rawValue, ins.spec.diameterMM, ins.spec.kind.rawValue, c.x, c.y, c.z,
                      100 * ins.embeddedFraction, ins.visibleML) + summary
    }

    /// Checks insertion `k`: found, a solid one typed solid, its volume within `tolerance` of
    /// the visible part's.
    private func checkFound(_ k: Int, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try hybridRun()
        let ins = r.insertions[k].1
        let what = try describe(k)
        guard let (f, d) = r.result.findings.map({ ($0, dice($0, ins)) }).max(by: { $0.1 < $1.1 }), d >= 0.2 else {
            return XCTFail("missed: \(what)", file: file, line: line)
        }
        if ins.spec.kind == .solid { XCTAssertEqual(f.category, "solid", what, file: file, line: line) }
        let v = try XCTUnwrap(f.measurement(.volume))
        XCTAssertLessThanOrEqual(abs(v - ins.visibleML) / ins.visibleML, tolerance,
                                 "volume \(v) mL, Dice \(d): \(what)", file: file, line: line)
    }

    /// A 15 mm solid nodule with half its volume in the mediastinum: its visible half lies in
    /// the lung mask (to within the mask's 1.4 mm grid at the cut face; the rest of the
    /// shortfall is the site map's 2 mm grid). Whether it is then found is the segmenter's rule
    /// (`bench/real/insertion.sh` shows the juxtamediastinal misses and their reasons).
    func testJuxtamediastinalHalfInLungMask() throws {
        let share = try inLungMask(0), what = try describe(0)
        XCTAssertGreaterThanOrEqual(share, 0.75, what)
    }

    /// The 12 mm solid nodule a third in the mediastinum, found since lung 1.5.0: its vessels
    /// opened off, it is a ball cut by the boundary (`MediastinalCut`); typed solid, its visible
    /// volume within 35 %.
    func testJuxtamediastinalThirdFound() throws { try checkFound(3, tolerance: 0.35) }

    /// The 15 mm solid nodule half in the mediastinum (issue 12's headline miss), found since
    /// lung 1.6.0: its separated cap fits (radius 7.0 mm, Dice 0.94, visible 56 %) but 51 % of
    /// its contact is through the slices, which alone reads as the diaphragm's dome; the tissue
    /// behind it runs on to the other lung (`MediastinalCap.facesMediastinum`), so it is the
    /// mediastinum's sloping surface. Typed solid, its visible volume within 35 %.
    func testJuxtamediastinalHalfFound() throws { try checkFound(0, tolerance: 0.35) }

    /// A 10 mm solid nodule on the costal pleura (a 1 mm cap in the chest wall): in the mask, found.
    func testJuxtapleural() throws {
        let share = try inLungMask(1), what = try describe(1)
        XCTAssertGreaterThanOrEqual(share, 0.9, what)
        try checkFound(1, tolerance: 0.3)
    }

    /// A 12 mm pure ground-glass nodule in the parenchyma, 10 mm clear of the pleura and large vessels.
    func testParenchymalGroundGlass() throws { try checkFound(2, tolerance: 0.35) }

    /// A 12 mm solid nodule with a third of its volume in the mediastinum: its visible part in the mask.
    func testJuxtamediastinalThirdInLungMask() throws {
        let share = try inLungMask(3), what = try describe(3)
        XCTAssertGreaterThanOrEqual(share, 0.75, what)
    }
}

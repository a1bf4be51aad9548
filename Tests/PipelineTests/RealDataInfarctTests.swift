import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// The infarct analyzer on the real ISLES'22 stroke MR of `../shared/realdata` (ADC series 501,
/// DWI b1000 trace series 500, one study, 2 mm oblique, skull-stripped; skipped when absent).
/// The case has no lesion mask here, so what is checked is plausibility from the images
/// themselves: the two series form one job, and the core holds restricted diffusion only —
/// small foci (the DWI shows scattered embolic foci of a few millimetres in the left hemisphere
/// and the right occipital cortex, a few mL in all, outlined over their DWI extent), most core
/// voxels bright on the raw DWI and none CSF on the raw ADC, next to nothing in the posterior
/// fossa or at the skull base (the inferior quarter of the brain: cerebellum, temporal poles
/// beside the petrous bone, where susceptibility artefacts lie; 1.3.0 still calls ≈ 0.4 mL in
/// the right anterior temporal lobe beside the bilateral petrous artefact, which the floor below
/// allows and no more), none where ADC < 620 is not DWI-bright.
final class RealDataInfarctTests: XCTestCase {
    static let root = RealDataProbeTests.root.appendingPathComponent("isles22-0001")

    private func scanned() throws -> [ScannedSeries] {
        guard FileManager.default.fileExists(atPath: Self.root.path) else {
            throw XCTSkip("no real data at \(Self.root.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        return try SeriesScan.scan([Self.root.path]).series
    }

    func testADCAndDWIArePairedIntoOneJob() throws {
        let all = try scanned()
        XCTAssertEqual(Set(all.map(\.role)), [.adc, .dwi])
        let (planned, unanalyzed) = AnalysisPlanner().plan(all)
        XCTAssertEqual(planned.count, 1)
        XCTAssertTrue(unanalyzed.isEmpty, "\(unanalyzed.map(\.reason))")
        let plan = try XCTUnwrap(planned.first)
        XCTAssertEqual(plan.analyzer, .infarct)
        XCTAssertEqual(plan.series.map(\.role), [.adc, .dwi], "ADC map first: the job is keyed by it")
        XCTAssertEqual(plan.series[1].first.seriesNumber, 500)
        XCTAssertEqual(DiffusionNaming.bValue(of: plan.series[1].first), 1000)
    }

    func testCoreIsRestrictedDiffusionOnly() throws {
        let all = try scanned()
        let plan = try XCTUnwrap(AnalysisPlanner().plan(all).planned.first)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("isles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = AnalysisExecutor().run(plan, resultsInto: dir)
        XCTAssertEqual(outcome.status, .analyzed, outcome.reason ?? "")
        let r = try XCTUnwrap(outcome.result)
        let core = try XCTUnwrap(r.caseMeasurement(.coreVolume)), rapid = try XCTUnwrap(r.caseMeasurement(.adc620Volume))
        let brain = try XCTUnwrap(r.caseMeasurement(.brainVolume))
        XCTAssertEqual(brain, 1168, accuracy: 150, "skull-stripped adult brain with CSF")
        XCTAssertGreaterThan(core, 2, "the DWI shows a dozen restricted foci, outlined over their DWI extent")
        XCTAssertLessThan(core, 8, "scattered embolic foci, not a territory")
        XCTAssertLessThan(rapid, 2)
        XCTAssertTrue(r.notes.contains { $0.contains("RAPID-comparable") }, "\(r.notes)")

        // Independent of the analyzer: raw ADC and DWI at every core voxel.
        let adc = try VolumeLoader.load(files: plan.series[0].files).volume
        let dwi = try VolumeLoader.load(files: plan.series[1].files).volume
        XCTAssertEqual(adc.dimensions, r.dimensions)
        var brainDWI: [Float] = [], zs: [Int] = []
        let d = adc.dimensions
        for s in 0..<d.slices { for i in 0..<d.sliceSize where adc.voxels[s * d.sliceSize + i] > 200 && adc.voxels[s * d.sliceSize + i] < 1500 {
            brainDWI.append(dwi.voxels[s * d.sliceSize + i])
            zs.append(s)
        } }
        brainDWI.sort()
        let medianDWI = brainDWI[brainDWI.count / 2]
        // The brain's slice extent and its inferior quarter (cerebellum, skull base).
        let lowest = zs.min()!, highest = zs.max()!
        let inferiorQuarter = lowest + (highest - lowest) / 4
        var coreVoxels = 0, bright = 0, csf = 0, inferior = 0
        for f in r.findings {
            f.mask.forEachVoxel { z, row, c in
                let i = d.index(z, row, c)
                coreVoxels += 1
                if dwi.voxels[i] >= 1.2 * medianDWI { bright += 1 }
                if adc.voxels[i] > 1500 { csf += 1 }
                if z <= inferiorQuarter { inferior += 1 }
            }
        }
        XCTAssertGreaterThan(coreVoxels, 0)
        XCTAssertGreaterThanOrEqual(Double(bright), 0.7 * Double(coreVoxels), "core voxels are DWI-bright on the raw trace")
        // A voxel whose raw ADC lies above 1500 while its lightly smoothed ADC is restricted is
        // partial volume at a sulcus, counted with its restricted neighbours: one or two, no more.
        XCTAssertLessThanOrEqual(csf, 2, "no core in CSF")
        XCTAssertLessThanOrEqual(Double(inferior) * d.voxelML(adc.spacing), 0.45,
                                 "next to nothing in the posterior fossa or at the skull base")

        // The ADC map alone gives the RAPID-style reading: the core is then its ADC < 620 volume.
        let alone = AnalysisExecutor().run(PlannedAnalysis(analyzer: .infarct, series: [plan.series[0]]),
                                           resultsInto: dir.appendingPathComponent("alone"))
        let ar = try XCTUnwrap(alone.result)
        XCTAssertEqual(ar.caseMeasurement(.coreVolume), ar.caseMeasurement(.adc620Volume))
        XCTAssertEqual(try XCTUnwrap(ar.caseMeasurement(.adc620Volume)), rapid, accuracy: 1e-9)
        XCTAssertTrue(ar.notes.contains { $0.contains("no DWI trace") })
    }
}

private extension Dimensions {
    func voxelML(_ s: Spacing) -> Double { s.voxelVolume / 1000 }
}

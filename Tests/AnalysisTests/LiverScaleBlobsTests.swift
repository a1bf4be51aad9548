import Foundation
import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// `LiverScaleBlobs`: the threshold follows its stated false-alarm rate, and a small faint
/// lesion inserted into a phantom liver is found and measured.
final class LiverScaleBlobsTests: XCTestCase {
    /// The threshold leaves `falseAlarmsPerLiver` expected noise maxima over the resels; more
    /// resels (a larger or rougher liver field) ask a higher threshold.
    func testThresholdFollowsTheFalseAlarmRate() {
        for resels in [1_000.0, 20_000.0] {
            let z = LiverScaleBlobs.thresholdSigmas(resels: resels)
            XCTAssertEqual(resels * LiverScaleBlobs.eulerDensity(z), LiverScaleBlobs.falseAlarmsPerLiver, accuracy: 1e-6)
        }
        XCTAssertGreaterThan(LiverScaleBlobs.thresholdSigmas(resels: 20_000), LiverScaleBlobs.thresholdSigmas(resels: 1_000))
    }

    /// The smoothness estimate: white noise smoothed with σ has FWHM 2.355 σ on every axis,
    /// on an anisotropic grid too (within 15 %: finite differences on a grid of about half
    /// the FWHM).
    func testSmoothnessOfSmoothedNoise() {
        let d = Dimensions(slices: 40, rows: 64, columns: 64)
        let g = Geometry(spacing: Spacing(slice: 2, row: 1, column: 1))
        var rng = SplitMix64(state: 3)
        var v = Volume<Float>(dimensions: d, geometry: g, voxels: (0..<d.count).map { _ in Float(rng.fraction() - 0.5) })
        v = Gaussian.smooth(v, sigma: 2.5)
        let (m, sd) = LiverStatistics.medianAndSigma(v.voxels)
        let z = v.voxels.map { Float((Double($0) - m) / sd) }
        // Away from the replicate-edge border, where the field is not stationary.
        var mask = Mask(dimensions: d, geometry: g, repeating: 0)
        for s in 6..<(d.slices - 6) {
            for r in 10..<(d.rows - 10) {
                for c in 10..<(d.columns - 10) { mask[s, r, c] = 1 }
            }
        }
        let w = LiverScaleBlobs.fwhm(of: z, over: mask)
        for axis in 0..<3 {
            XCTAssertEqual(w[axis], 2.3548 * 2.5, accuracy: 0.15 * 2.3548 * 2.5, "axis \(axis): \(w)")
        }
    }

    /// A 0.6 mL lesion 25–30 HU below the parenchyma (the size and contrast the voxel passes
    /// missed on real CT) inserted away from the phantom's own lesions is found, its volume
    /// within 35 % (the insertion tests' tolerance at this size).
    func testSmallFaintLesionIsFound() throws {
        let p = LiverTests.phantom(4, size: 160)
        let plain = try LiverLesions().analyze(p.input)
        let organ = try XCTUnwrap(plain.organ)
        var liverVoxels = [UInt8](repeating: 0, count: p.labels.voxels.count)
        organ.paint(into: &liverVoxels, value: 1)
        // Away from the phantom's lesions (10 mm) and the liver's surface (the insertion keeps
        // the whole blurred lesion inside the mask given).
        var lesions = Mask(dimensions: p.labels.dimensions, geometry: p.labels.geometry,
                           voxels: p.labels.voxels.map { $0 != 0 ? 1 : 0 })
        lesions = Morphology.dilate(lesions, radius: 10)
        for i in liverVoxels.indices where lesions.voxels[i] != 0 { liverVoxels[i] = 0 }
        let liver = Morphology.erode(Mask(dimensions: p.labels.dimensions, geometry: p.labels.geometry, voxels: liverVoxels),
                                     radius: 3)
        var input = p.input
        let inserted = LiverLesionInsertion.insert(into: input.series[0].volume, liver: liver, volumesML: [0.6], seed: 7,
                                                   contrastHU: -30 ... -25)
        let lesion = try XCTUnwrap(inserted.lesions.first, "the lesion finds a place")
        input.series[0].volume = inserted.image
        let r = try LiverLesions().analyze(input)
        var best: (Finding, Int)?
        for f in r.findings {
            var paint = [UInt8](repeating: 0, count: r.dimensions.count)
            f.mask.paint(into: &paint, value: 1)
            var overlap = 0
            for i in paint.indices where paint[i] != 0 && inserted.labels.voxels[i] == lesion.label { overlap += 1 }
            if overlap > (best?.1 ?? 0) { best = (f, overlap) }
        }
        let found = try XCTUnwrap(best?.0, String(format: "%.2f mL at %.0f HU found", lesion.volumeML, lesion.contrastHU))
        let volume = try XCTUnwrap(found.measurement(.volume))
        XCTAssertLessThan(abs(volume - lesion.volumeML) / lesion.volumeML, 0.35,
                          String(format: "%.2f mL measured %.2f mL (%@)", lesion.volumeML, volume, found.reason))
    }
}

import Foundation
import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// `LiverScaleBlobs`: the threshold follows its stated false-alarm rate, and a small faint
/// lesion inserted into a phantom liver is found and measured.
final class LiverScaleBlobsTests: XCTestCase {
    /// The threshold is the Gaussian tail that leaves `falseAlarmsPerLiver` over the liver's
    /// resolution cells; a larger liver has more cells and so a higher threshold.
    func testThresholdFollowsTheFalseAlarmRate() {
        for liverML in [700.0, 1500.0] {
            let z = LiverScaleBlobs.thresholdSigmas(liverMM3: liverML * 1000)
            let cells = LiverScaleBlobs.sigmasMM.reduce(0.0) { $0 + liverML * 1000 / pow(2.3548 * $1, 3) }
            let expected = cells * 0.5 * erfc(z / 2.0.squareRoot())
            XCTAssertEqual(expected, LiverScaleBlobs.falseAlarmsPerLiver, accuracy: 1e-4, "\(liverML) mL")
        }
        XCTAssertGreaterThan(LiverScaleBlobs.thresholdSigmas(liverMM3: 1.5e6), LiverScaleBlobs.thresholdSigmas(liverMM3: 7e5))
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

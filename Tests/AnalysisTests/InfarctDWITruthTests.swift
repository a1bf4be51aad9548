import Foundation
import Imaging
import XCTest
@testable import Analysis
@testable import Phantoms

/// The infarct phantom's two truth conventions on the same images: the ADC < 620 core (RAPID,
/// label 1 by default) and the whole DWI lesion (ISLES, `InfarctPhantom.Truth.dwiLesion`).
final class InfarctDWITruthTests: XCTestCase {
    func testDWILesionHoldsTheCoreAndItsBrightRim() throws {
        for seed: UInt64 in [4, 7] {
            let core = InfarctPhantom.make(seed: seed, size: 96), lesion = InfarctPhantom.make(seed: seed, size: 96, truth: .dwiLesion)
            let name = "seed \(seed)"
            XCTAssertEqual(core.series.map(\.volume.voxels), lesion.series.map(\.volume.voxels), "the images do not depend on the truth")
            XCTAssertEqual(try XCTUnwrap(core.caseVolumesML["tmax"]), try XCTUnwrap(lesion.caseVolumesML["tmax"]), accuracy: 1e-9, name)
            let dwi = try XCTUnwrap(lesion.series.first { $0.role == .dwi }).volume
            var inCore = 0, lost = 0, rim: [Float] = [], outside: [Float] = []
            for i in 0..<core.labels.voxels.count {
                let a = core.labels.voxels[i], b = lesion.labels.voxels[i]
                if a == 1 { inCore += 1; if b != 1 { lost += 1 } }
                if a != 1 && b == 1 { rim.append(dwi.voxels[i]) }
                if b == 2 { outside.append(dwi.voxels[i]) }
            }
            XCTAssertEqual(lost, 0, "\(name): every core voxel is in the DWI lesion")
            XCTAssertGreaterThan(rim.count, inCore / 10, "\(name): the DWI lesion is larger than the ADC < 620 core")
            // The added rim is brighter on the (noisy) trace than the hypoperfused tissue around it.
            func median(_ x: [Float]) -> Float { x.sorted()[x.count / 2] }
            XCTAssertGreaterThan(median(rim), 1.05 * median(outside), name)
            XCTAssertGreaterThan(try XCTUnwrap(lesion.caseVolumesML["core"]), try XCTUnwrap(core.caseVolumesML["core"]), name)
        }
    }
}

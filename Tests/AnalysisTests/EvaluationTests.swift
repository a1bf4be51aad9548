import Foundation
import Imaging
import XCTest
@testable import Analysis

final class EvaluationTests: XCTestCase {
    private let grid = Dimensions(slices: 10, rows: 20, columns: 20)

    private func box(_ v: inout Volume<UInt16>, _ label: UInt16, s: Range<Int>, r: Range<Int>, c: Range<Int>) {
        for i in s { for j in r { for k in c { v[i, j, k] = label } } }
    }

    private func lesion(_ label: Int, _ d: Double, target: Bool = true) -> TruthLesion {
        TruthLesion(label: label, type: "solid", centerMM: [0, 0, 0], diametersMM: [d, d, d], diameterMM: d,
                    volumeML: 0, target: target)
    }

    /// Hand-made truth and prediction: one exact hit, one partial hit, one miss, one FP; a
    /// prediction overlapping two truths is matched to the better one only.
    func testMatchingOneToOne() {
        var truth = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&truth, 1, s: 0..<2, r: 0..<5, c: 0..<5)     // 50 voxels
        box(&truth, 2, s: 4..<6, r: 0..<5, c: 0..<5)     // 50
        box(&truth, 3, s: 8..<10, r: 15..<20, c: 15..<20)  // missed
        var pred = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&pred, 7, s: 0..<2, r: 0..<5, c: 0..<5)      // = truth 1
        box(&pred, 8, s: 4..<5, r: 0..<5, c: 0..<5)      // half of truth 2: Dice 2·25/75
        box(&pred, 9, s: 7..<8, r: 10..<12, c: 10..<12)  // FP
        box(&pred, 5, s: 0..<1, r: 10..<11, c: 10..<11)  // not a lesion label: ignored
        let score = Evaluation.score(name: "t", analyzer: .lung, truth: truth,
                                     truthLesions: [lesion(1, 5), lesion(2, 7), lesion(3, 20)],
                                     truthVolumesML: ["core": 2], predicted: pred, predictedLesions: [7, 8, 9],
                                     predictedVolumesML: ["core": 2.5])
        XCTAssertEqual(score.lesions.map(\.matchedPrediction), [7, 8, nil])
        XCTAssertEqual(score.lesions[0].dice, 1, accuracy: 1e-12)
        XCTAssertEqual(score.lesions[1].dice, 2.0 * 25 / 75, accuracy: 1e-12)
        XCTAssertEqual(score.lesions[1].volumeErrorPercent!, -50, accuracy: 1e-9)
        XCTAssertEqual(score.falsePositives, [9])
        XCTAssertEqual(score.caseDice, 2.0 * 75 / (150 + 79), accuracy: 1e-12)
        XCTAssertEqual(score.volumes, [VolumeComparison(name: "core", truthML: 2, predictedML: 2.5)])

        let summary = EvaluationSummary(analyzer: .lung, scores: [score])
        XCTAssertEqual(summary.headlineDetected, 2)
        XCTAssertEqual(summary.headlineTotal, 3)
        XCTAssertEqual(summary.falsePositivesPerScan, 1)
        XCTAssertEqual(summary.bins.first { $0.lowerMM == 15 }?.total, 1)
        XCTAssertEqual(summary.worstVolumeErrorPercent["core"]!, 25, accuracy: 1e-9)
        XCTAssertTrue(summary.table.contains("2 / 3"))
    }

    func testOnePredictionMatchesOnlyOneTruth() {
        var truth = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&truth, 1, s: 0..<2, r: 0..<4, c: 0..<5)
        box(&truth, 2, s: 0..<2, r: 5..<7, c: 0..<5)
        var pred = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&pred, 1, s: 0..<2, r: 0..<7, c: 0..<5)
        let score = Evaluation.score(name: "t", analyzer: .liver, truth: truth, truthLesions: [lesion(1, 12), lesion(2, 12)],
                                     truthVolumesML: [:], predicted: pred, predictedLesions: [1], predictedVolumesML: [:])
        XCTAssertEqual(score.lesions.map(\.detected), [true, false])
        XCTAssertEqual(score.falsePositives, [])
    }

    /// LIDC convention: a prediction on a reader's small mark (< 3 mm nodule, non-nodule) is
    /// neither a true nor a false positive; one far from every mark stays a false positive.
    func testPredictionsOnSmallMarksAreNotFalsePositives() {
        let truth = Volume<UInt16>(dimensions: grid, repeating: 0)   // 1 mm voxels at the origin
        var pred = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&pred, 1, s: 0..<2, r: 0..<2, c: 0..<2)
        box(&pred, 2, s: 8..<10, r: 18..<20, c: 18..<20)
        let centres: [Int: SIMD3<Double>] = [1: [0.5, 0.5, 0.5], 2: [18.5, 18.5, 8.5]]
        let mark = SmallMark(kind: "nodule<3mm", centerMM: [3, 2, 1])     // 3.2 mm from prediction 1
        let score = Evaluation.score(name: "t", analyzer: .lung, truth: truth, truthLesions: [], truthVolumesML: [:],
                                     predicted: pred, predictedLesions: [1, 2], predictedVolumesML: [:],
                                     predictedCentres: centres, smallMarks: [mark])
        XCTAssertEqual(score.onSmallMarks, [1])
        XCTAssertEqual(score.falsePositives, [2])
        XCTAssertFalse(Evaluation.onMark(centre: [20, 0, 0], radiusMM: 1, mark: mark))
        XCTAssertTrue(Evaluation.onMark(centre: [20, 0, 0], radiusMM: 18, mark: mark), "a large prediction covers the mark")
    }

    /// Truth labels that are not lesions (infarct: 2 = hypoperfused, not core) are background for
    /// matching and the case Dice: an exact core gives case Dice 1 whatever the hypoperfusion
    /// does, and a predicted lesion that lies only in the hypoperfused region is a false positive.
    func testNonLesionTruthLabelsAreBackground() {
        var truth = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&truth, 2, s: 0..<4, r: 0..<10, c: 0..<10)   // hypoperfused, 400 voxels
        box(&truth, 1, s: 0..<2, r: 0..<5, c: 0..<5)     // core inside it, 50 voxels
        let core = TruthLesion(label: 1, type: "core", centerMM: [0, 0, 0], diametersMM: [5, 5, 5], diameterMM: 5,
                               volumeML: 0, target: true)
        var pred = Volume<UInt16>(dimensions: grid, repeating: 0)
        box(&pred, 2, s: 0..<3, r: 0..<8, c: 0..<8)      // hypoperfusion finding (not a lesion label), too small
        box(&pred, 1, s: 0..<2, r: 0..<5, c: 0..<5)      // exact core
        let exact = Evaluation.score(name: "t", analyzer: .infarct, truth: truth, truthLesions: [core], truthVolumesML: [:],
                                     predicted: pred, predictedLesions: [1], predictedVolumesML: [:])
        XCTAssertEqual(exact.caseDice, 1, accuracy: 1e-12)
        XCTAssertEqual(exact.lesions.map(\.dice), [1])
        XCTAssertEqual(exact.falsePositives, [])

        box(&pred, 3, s: 3..<4, r: 8..<10, c: 8..<10)    // a second "core" in the hypoperfused region only: 4 voxels
        let extra = Evaluation.score(name: "t", analyzer: .infarct, truth: truth, truthLesions: [core], truthVolumesML: [:],
                                     predicted: pred, predictedLesions: [1, 3], predictedVolumesML: [:])
        XCTAssertEqual(extra.caseDice, 2.0 * 50 / (50 + 54), accuracy: 1e-12)
        XCTAssertEqual(extra.lesions.map(\.matchedPrediction), [1])
        XCTAssertEqual(extra.falsePositives, [3])
    }

    /// NIfTI round trip keeps voxels and the LPS geometry (through the RAS sform), oblique too.
    func testNIfTIRoundTrip() throws {
        let c = 1 / 2.0.squareRoot()
        let g = Geometry(origin: [-12.5, 30, -7], spacing: Spacing(slice: 2.5, row: 0.75, column: 0.5),
                         columnDirection: [c, c, 0], rowDirection: [-c, c, 0], sliceDirection: [0, 0, 1])
        var v = Volume<UInt16>(dimensions: Dimensions(slices: 3, rows: 4, columns: 5), geometry: g, repeating: 0)
        for i in 0..<v.voxels.count { v.voxels[i] = UInt16(i * 7 % 300) }
        let back = try NIfTI.decode(NIfTI.encode(v))
        XCTAssertEqual(back.voxels, v.voxels)
        XCTAssertEqual(back.dimensions, v.dimensions)
        let p = g.point(slice: 2, row: 3, column: 4), q = back.geometry.point(slice: 2, row: 3, column: 4)
        XCTAssertEqual(((p - q) * (p - q)).sum().squareRoot(), 0, accuracy: 1e-4)
        XCTAssertEqual(back.spacing.row, 0.75, accuracy: 1e-6)
    }

    func testNIfTIRejectsGarbage() {
        XCTAssertThrowsError(try NIfTI.decode(Data(repeating: 0, count: 100)))
        var d = NIfTI.encode(Volume<UInt16>(dimensions: grid, repeating: 1))
        d.removeLast(10)
        XCTAssertThrowsError(try NIfTI.decode(d)) { XCTAssertTrue("\($0)".contains("truncated")) }
    }
}

import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// Small synthetic CT bodies for the preflight: ellipses of tissue at textbook HU on a
/// 128 × 128 grid of 2.5 mm pixels (a 320 mm field of view), written with `SeriesWriter`
/// and scanned back. Patient right is the low column index (LPS, identity orientation);
/// posterior is the high row index. Noise: Gaussian, σ 15 HU, fixed seed.
enum BodyPhantom {
    static let size = 128, pixel = 2.5

    /// A shape in patient mm (centre x, y; semi-axes a, b) filled with `hu`.
    struct Ellipse {
        var x: Double, y: Double, a: Double, b: Double, hu: Float
        func contains(_ px: Double, _ py: Double) -> Bool {
            let u = (px - x) / a, v = (py - y) / b
            return u * u + v * v <= 1
        }
    }

    /// Outside air, then each ellipse painted over the previous ones, on `slices` slices.
    static func volume(_ shapes: [Ellipse], slices: Int = 12, spacing: Double = 10) -> Volume<Float> {
        let half = Double(size) * pixel / 2
        var rng = SplitMix64(state: 7)  // fixed seed: the noise is part of the test input
        var voxels = [Float](repeating: -1000, count: slices * size * size)
        for s in 0..<slices {
            for r in 0..<size {
                for c in 0..<size {
                    let x = Double(c) * pixel - half, y = Double(r) * pixel - half
                    var hu: Float = -1000
                    for e in shapes where e.contains(x, y) { hu = e.hu }
                    voxels[(s * size + r) * size + c] = hu + Float(15 * rng.gaussian())
                }
            }
        }
        let g = Geometry(origin: [-half, -half, 0], spacing: Spacing(slice: spacing, row: pixel, column: pixel))
        return Volume(dimensions: Dimensions(slices: slices, rows: size, columns: size), geometry: g, voxels: voxels)
    }

    static let body = Ellipse(x: 0, y: 0, a: 150, b: 100, hu: 40)
    /// A vertebra: cortex 700 HU around cancellous bone at 200 HU (a round non-vessel to reject).
    static let vertebra = [Ellipse(x: 0, y: 70, a: 20, b: 20, hu: 700), Ellipse(x: 0, y: 70, a: 16, b: 16, hu: 200)]

    /// A chest: mediastinum and chest wall at 40 HU, two lungs at −850 HU, an unenhanced aorta.
    static var chest: [Ellipse] {
        [body, Ellipse(x: -70, y: 0, a: 50, b: 70, hu: -850), Ellipse(x: 70, y: 0, a: 50, b: 70, hu: -850),
         Ellipse(x: 15, y: 35, a: 12, b: 12, hu: 45)] + vertebra
    }

    /// An abdomen: fat with a muscle wall, a liver on the patient's right at `liver` HU, a
    /// spleen on the left, an aorta at `aorta` HU and a vertebra.
    static func abdomen(liver: Float, aorta: Float) -> [Ellipse] {
        [body, Ellipse(x: 0, y: 0, a: 140, b: 90, hu: -100), Ellipse(x: -65, y: -5, a: 60, b: 65, hu: liver),
         Ellipse(x: 85, y: 20, a: 25, b: 35, hu: liver), Ellipse(x: 15, y: 38, a: 12, b: 12, hu: aorta)] + vertebra
    }

    /// A head: scalp, a 7 mm skull at 1000 HU, brain at 35 HU.
    static var head: [Ellipse] {
        [Ellipse(x: 0, y: 0, a: 80, b: 95, hu: 40), Ellipse(x: 0, y: 0, a: 75, b: 90, hu: 1000),
         Ellipse(x: 0, y: 0, a: 68, b: 83, hu: 35)]
    }

    /// Writes `v` as a CT series with these headers (blank by default) and scans it back.
    static func series(_ v: Volume<Float>, in dir: URL, name: String, bodyPart: String = "", description: String = "",
                       contrast: String = "") throws -> ScannedSeries {
        var a = SeriesAttributes(patientName: "P^B", patientID: "B1", studyInstanceUID: UID.derived("body", "study"),
                                 studyDate: "20260101", studyTime: "120000", seriesInstanceUID: UID.derived("body", name),
                                 seriesNumber: 1, seriesDescription: description, modality: "CT",
                                 frameOfReferenceUID: UID.derived("body", "for"))
        a.bodyPart = bodyPart
        a.contrastAgent = contrast
        try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent(name))
        return try XCTUnwrap(SeriesScan.scan([dir.appendingPathComponent(name).path]).series.first)
    }
}

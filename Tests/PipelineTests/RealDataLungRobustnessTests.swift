import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// The lung analyzer on LIDC-IDRI-0001 (a 32.8 mm solid nodule, 4 of 4 readers) as other
/// scanners and protocols would send the same anatomy: stored feet first (columns mirrored,
/// slices in reverse order), acquired oblique (the patient frame rotated 20° about the
/// left–right axis) and at low dose (added noise). The analyzer works in patient coordinates,
/// so each must give the same nodule, on the same side, with the same type and nearly the
/// same volume as the series as stored, and never a crash. Skipped without ../shared/realdata.
final class RealDataLungRobustnessTests: XCTestCase {
    /// The nodule's centre (LPS mm, left lung) from truth.json.
    private static let nodule = SIMD3<Double>(56.4, 86.34, -115.96)

    private struct Case: Sendable {
        var volume: Volume<Float>
        var template: InputSeries

        func input(_ v: Volume<Float>) -> InputSeries {
            var s = template
            s.volume = v
            return s
        }
    }

    private static let loaded: Result<Case, any Error> = Result {
        let folder = RealDataProbeTests.root.appendingPathComponent("lidc-0001/dicom")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("no real data at \(folder.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        guard let s = try SeriesScan.scan([folder.path]).series.first else { throw XCTSkip("lidc-0001: no series") }
        let l = try VolumeLoader.load(files: s.files)
        let info = s.info(units: l.units, measuredPhase: false, loaded: l)
        return Case(volume: l.volume, template: InputSeries(role: s.role, info: info, volume: l.volume))
    }

    /// The series as stored, analysed once for every test.
    private static let stored: Result<AnalysisResult, any Error> = Result {
        let c = try loaded.get()
        do throws(AnalysisError) {
            return try LungNodules().analyzeInStoredOrder(AnalysisInput(series: [c.template]))
        } catch {
            throw error
        }
    }

    private func analyze(_ edit: (Volume<Float>) -> Volume<Float>) throws -> AnalysisResult {
        let c = try Self.loaded.get()
        do throws(AnalysisError) {
            return try LungNodules().analyzeInStoredOrder(AnalysisInput(series: [c.input(edit(c.volume))]))
        } catch {
            throw error
        }
    }

    /// The finding on the nodule (centroid within its radius of `centre`), checked for type and
    /// side; its volume.
    @discardableResult
    private func check(_ r: AnalysisResult, centre: SIMD3<Double>, _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let summary = r.findings.map { "\($0.category) \($0.laterality?.rawValue ?? "-") at \($0.centroidMM)" }
            .joined(separator: "; ")
        guard let f = r.findings.first(where: { d($0.centroidMM, centre) <= 16 }) else {
            XCTFail("\(what): the nodule at \(centre) was missed: \(summary)", file: file, line: line)
            return 0
        }
        XCTAssertEqual(f.category, "solid", "\(what): \(summary)", file: file, line: line)
        XCTAssertEqual(f.laterality, .left, "\(what): \(summary)", file: file, line: line)
        return try XCTUnwrap(f.measurement(.volume), file: file, line: line)
    }

    private func d(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    /// Columns mirrored and slices reversed, geometry updated so every voxel keeps its patient
    /// position (a feet-first series, or one whose slices arrive top down): the same result.
    func testFeetFirstOrderingGivesTheSameNodule() throws {
        let stored = try Self.stored.get()
        let v0 = try check(stored, centre: Self.nodule, "as stored")
        // The stored series re-stored feet first: columns mirrored, slices reversed (the same map
        // that turns such a series back, checked voxel by voxel in CanonicalOrientationTests).
        let flipped = try analyze { CanonicalOrientation(flipSlices: true, flipRows: false, flipColumns: true).apply($0) }
        let v1 = try check(flipped, centre: Self.nodule, "feet first")
        XCTAssertEqual(v1, v0, accuracy: 0.02 * v0, "the nodule's volume changed with the storage order")
        XCTAssertEqual(flipped.findings.count, stored.findings.count,
                       "the storage order changed the findings: \(stored.findings.map(\.centroidMM)) vs \(flipped.findings.map(\.centroidMM))")
    }

    /// The patient frame rotated 20° about the left–right axis (an oblique or gantry-tilted
    /// acquisition: the same voxels, directions and origin rotated about the volume's centre):
    /// the nodule found where the rotation puts it, on the same side, same type.
    func testObliqueSeriesFindsTheNodule() throws {
        let a = 20.0 * .pi / 180
        func rotate(_ p: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(p.x, cos(a) * p.y - sin(a) * p.z, sin(a) * p.y + cos(a) * p.z)
        }
        var centre = SIMD3<Double>.zero
        let r = try analyze { v in
            let d = v.dimensions, g = v.geometry
            let mid = g.point(slice: Double(d.slices - 1) / 2, row: Double(d.rows - 1) / 2, column: Double(d.columns - 1) / 2)
            var out = v
            out.geometry.columnDirection = rotate(g.columnDirection)
            out.geometry.rowDirection = rotate(g.rowDirection)
            out.geometry.sliceDirection = rotate(g.sliceDirection)
            out.geometry.origin = mid + rotate(g.origin - mid)
            centre = mid + rotate(Self.nodule - mid)
            return out
        }
        let v = try check(r, centre: centre, "oblique 20°")
        XCTAssertGreaterThan(v, 0)
    }

    /// Low dose: white noise of σ 25 HU added (about a quarter of this series' dose: quantum
    /// noise grows as 1/√dose, and a standard-dose chest CT's soft-tissue noise is ≈ 15–20 HU,
    /// so σ_total ≈ 2 × that). The nodule is still found, solid, its volume within 15 %, and
    /// the noise adds at most a few findings.
    func testLowDoseNoiseKeepsTheNodule() throws {
        let stored = try Self.stored.get()
        let v0 = try check(stored, centre: Self.nodule, "as stored")
        var rng = SplitMix64(state: 20261206)
        // 4096 normal deviates (Box–Muller), drawn per voxel by 12 random bits: fast in a debug build.
        let normals: [Float] = (0..<4096).map { _ in
            let u1 = Double.random(in: 1e-12..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
            return Float(25 * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        let noisy = try analyze { v in
            var out = v
            var bits: UInt64 = 0
            for i in out.voxels.indices {
                if i % 5 == 0 { bits = rng.next() }
                out.voxels[i] += normals[Int(bits & 4095)]
                bits >>= 12
            }
            return out
        }
        let v1 = try check(noisy, centre: Self.nodule, "low dose")
        XCTAssertEqual(v1, v0, accuracy: 0.15 * v0, "noise changed the nodule's volume")
        XCTAssertLessThanOrEqual(noisy.findings.count, stored.findings.count + 3,
                                 "noise added findings: \(noisy.findings.map { "\($0.category) at \($0.centroidMM)" })")
    }
}

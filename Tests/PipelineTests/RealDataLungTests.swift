import Analysis
import DICOM
import Foundation
import Imaging
import Pipeline
import XCTest

/// The lung analyzer on the real chest CTs of `../shared/realdata` (LIDC-IDRI with four
/// radiologists' reads; skipped with a message when the folder is absent). Floors, not
/// targets: each is what the analyzer achieves today plus a margin, so a regression fails
/// here. Scored as `bench/real` scores them: a reader nodule is found when a finding's
/// centroid lies within max(10 mm, its radius) of the nodule's centre; a finding within 10 mm
/// of a reader's small mark (< 3 mm nodule or non-nodule) is neither a hit nor a false positive
/// (the LIDC convention).
final class RealDataLungTests: XCTestCase {
    struct Truth: Decodable {
        struct Lesion: Decodable {
            var type: String
            var diameter_mm: Double
            var center_mm: [Double]
            var volume_ml: Double
            var readers: Int
        }

        struct Mark: Decodable { var center_mm: [Double] }
        var lesions: [Lesion]
        var small_marks: [Mark]
    }

    /// How a case scored.
    struct Score {
        /// Per reader nodule: the finding on it, if any.
        var hits: [Finding?]
        var falsePositives: [Finding]
        var summary: String
    }

    private func url(_ path: String) throws -> URL {
        let url = RealDataProbeTests.root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("no real data at \(url.path): the real-data checks need ../shared/realdata beside the repository")
        }
        return url
    }

    /// The lung analyzer's result on a series folder (its volume changed by `edit`), or its refusal.
    private func analyze(_ path: String, edit: (inout Volume<Float>) throws -> Void = { _ in }) throws
        -> Result<AnalysisResult, AnalysisError> {
        let folder = try url(path)
        try DICOMToolkit.initialize()
        let s = try XCTUnwrap(SeriesScan.scan([folder.path]).series.first)
        let loaded = try VolumeLoader.load(files: s.files)
        var volume = loaded.volume
        try edit(&volume)
        let input = InputSeries(role: s.role, info: s.info(units: loaded.units, measuredPhase: false, loaded: loaded),
                                volume: volume)
        do throws(AnalysisError) {
            return .success(try LungNodules().analyze(AnalysisInput(series: [input])))
        } catch {
            return .failure(error)
        }
    }

    private func score(_ r: AnalysisResult, _ t: Truth) -> Score {
        func distance(_ a: SIMD3<Double>, _ b: [Double]) -> Double {
            let d = a - SIMD3(b[0], b[1], b[2])
            return (d * d).sum().squareRoot()
        }
        var hits = [Finding?](repeating: nil, count: t.lesions.count), fps: [Finding] = []
        for f in r.findings {
            if let k = t.lesions.indices.first(where: { distance(f.centroidMM, t.lesions[$0].center_mm)
                <= max(10, t.lesions[$0].diameter_mm / 2) }) {
                if hits[k] == nil { hits[k] = f }
            } else if !t.small_marks.contains(where: { distance(f.centroidMM, $0.center_mm) <= 10 }) {
                fps.append(f)
            }
        }
        let lines = r.findings.map { f in
            let v = f.measurement(.volume) ?? 0
            return String(format: "%@ %.2f mL at (%.0f, %.0f, %.0f)", f.category, v, f.centroidMM.x, f.centroidMM.y, f.centroidMM.z)
        }
        return Score(hits: hits, falsePositives: fps, summary: lines.joined(separator: "; ") + " | notes: \(r.notes)")
    }

    /// Runs a LIDC case and checks every reader nodule is found with its type, its volume
    /// within `volumeTolerance` of the truth label's, and at most `maxFalsePositives`.
    private func checkLIDC(_ name: String, maxFalsePositives: Int, volumeTolerance: Double,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let truthURL = try url("\(name)/truth.json")
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: truthURL))
        guard case .success(let result) = try analyze("\(name)/dicom") else {
            return XCTFail("\(name) not analyzed", file: file, line: line)
        }
        let s = score(result, truth)
        for (k, lesion) in truth.lesions.enumerated() {
            guard let f = s.hits[k] else {
                XCTFail("\(name): reader nodule \(k + 1) (\(lesion.type), \(lesion.diameter_mm) mm) missed: \(s.summary)",
                        file: file, line: line)
                continue
            }
            XCTAssertEqual(f.category, lesion.type, "\(name): type: \(s.summary)", file: file, line: line)
            let v = try XCTUnwrap(f.measurement(.volume))
            XCTAssertLessThanOrEqual(abs(v - lesion.volume_ml) / lesion.volume_ml, volumeTolerance,
                                     "\(name): volume \(v) mL vs the readers' \(lesion.volume_ml) mL: \(s.summary)",
                                     file: file, line: line)
        }
        XCTAssertLessThanOrEqual(s.falsePositives.count, maxFalsePositives, "\(name): \(s.summary)", file: file, line: line)
    }

    /// LIDC-IDRI-0001: a 32.8 mm solid nodule (4 of 4 readers) on contrast CT, 2.5 mm slices.
    func testLIDC0001() throws {
        try checkLIDC("lidc-0001", maxFalsePositives: 1, volumeTolerance: 0.3)
    }

    /// LIDC-IDRI-0002: a 30.8 mm ground-glass nodule (2 of 4 readers), 1.25 mm slices.
    func testLIDC0002() throws {
        try checkLIDC("lidc-0002", maxFalsePositives: 1, volumeTolerance: 0.35)
    }

    /// A 15 mm solid nodule (+30 HU) set against the mediastinum of LIDC-IDRI-0001 (right lung,
    /// beside the heart at y −30, z −150 mm; centre 5 mm into the lung from its medial edge, so a
    /// sixth of it lies in the heart's silhouette): found, solid, its in-lung part measured.
    func testJuxtamediastinalNoduleFound() throws {
        var centre = SIMD3<Double>.zero
        let r = 7.5
        guard case .success(let result) = try analyze("lidc-0001/dicom", edit: { v in
            let g = v.geometry
            let x = g.index(of: SIMD3(-100, -30, -150))
            let s = Int(x.slice.rounded()), row = Int(x.row.rounded())
            var c = Int(x.column.rounded()), edge = -1
            // The right lung's medial edge: the last lung voxel before 5 mm of soft tissue.
            while c < v.dimensions.columns - 8 {
                if v[s, row, c] < -500 { edge = c } else if edge >= 0 && (0..<8).allSatisfy({ v[s, row, c + $0] > -300 }) { break }
                c += 1
            }
            XCTAssertGreaterThan(edge, 0, "no medial lung edge found")
            centre = g.point(slice: Double(s), row: Double(row), column: Double(edge)) - SIMD3(5, 0, 0)
            let lo = g.index(of: centre - SIMD3(repeating: r + 1)), hi = g.index(of: centre + SIMD3(repeating: r + 1))
            for a in max(0, Int(min(lo.slice, hi.slice)))...min(v.dimensions.slices - 1, Int(max(lo.slice, hi.slice).rounded(.up))) {
                for b in max(0, Int(lo.row))...min(v.dimensions.rows - 1, Int(hi.row.rounded(.up))) {
                    for e in max(0, Int(lo.column))...min(v.dimensions.columns - 1, Int(hi.column.rounded(.up))) {
                        let d = g.point(slice: Double(a), row: Double(b), column: Double(e)) - centre
                        let w = Float(min(1, max(0, r + 0.5 - (d * d).sum().squareRoot())))
                        v[a, b, e] = (1 - w) * v[a, b, e] + w * 30
                    }
                }
            }
        }) else { return XCTFail("not analyzed") }
        let hit = result.findings.first { f in
            let d = f.centroidMM - centre
            return (d * d).sum().squareRoot() <= r
        }
        let summary = result.findings.map { "\($0.category) at \($0.centroidMM)" }.joined(separator: "; ")
        guard let f = hit else { return XCTFail("juxtamediastinal nodule at \(centre) missed: \(summary)") }
        XCTAssertEqual(f.category, "solid")
        // The sphere holds 1.77 mL; its in-lung part about 1.6 mL.
        let v = try XCTUnwrap(f.measurement(.volume))
        XCTAssertGreaterThan(v, 1.1, summary)
        XCTAssertLessThan(v, 2.2, summary)
    }

    /// An upper-abdominal CT (40 mm, bowel gas, no lungs) is refused for lung, with the reason.
    func testAbdomenRefused() throws {
        guard case .failure(.refused(let why)) = try analyze("totalseg-abdomen/dicom") else {
            return XCTFail("the abdominal CT was analyzed for lung")
        }
        XCTAssertFalse(why.isEmpty)
    }

    /// An abdomen–pelvis CT labelled CHESTABDOMEN whose largest air is colon gas (median −967 and
    /// −974 HU on its 3 mm grid) beside 116 mL of lung bases: refused for lung, never analyzed
    /// with bowel gas as its "lungs".
    func testAbdomenPelvisRefused() throws {
        guard case .failure(.refused(let why)) = try analyze("totalseg-ct3mm/dicom") else {
            return XCTFail("the abdomen–pelvis CT was analyzed for lung")
        }
        XCTAssertTrue(why.hasPrefix("no lungs: "), why)
    }
}

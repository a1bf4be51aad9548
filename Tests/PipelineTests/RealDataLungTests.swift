import Analysis
import DICOM
import Foundation
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

    /// The lung analyzer's result on a series folder, or its refusal.
    private func analyze(_ path: String) throws -> Result<AnalysisResult, AnalysisError> {
        let folder = try url(path)
        try DICOMToolkit.initialize()
        let s = try XCTUnwrap(SeriesScan.scan([folder.path]).series.first)
        let loaded = try VolumeLoader.load(files: s.files)
        let input = InputSeries(role: s.role, info: s.info(units: loaded.units, measuredPhase: false, loaded: loaded),
                                volume: loaded.volume)
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
        try checkLIDC("lidc-0001", maxFalsePositives: 5, volumeTolerance: 0.3)
    }

    /// LIDC-IDRI-0002: a 30.8 mm ground-glass nodule (2 of 4 readers), 1.25 mm slices.
    func testLIDC0002() throws {
        try checkLIDC("lidc-0002", maxFalsePositives: 1, volumeTolerance: 0.35)
    }

    /// An upper-abdominal CT (40 mm, bowel gas, no lungs) is refused for lung, with the reason.
    func testAbdomenRefused() throws {
        guard case .failure(.refused(let why)) = try analyze("totalseg-abdomen/dicom") else {
            return XCTFail("the abdominal CT was analyzed for lung")
        }
        XCTAssertFalse(why.isEmpty)
    }

    /// An abdomen–pelvis CT with the lung bases: refused, or analyzed without findings in bowel gas.
    func testAbdomenPelvisHasNoGasFindings() throws {
        switch try analyze("totalseg-ct3mm/dicom") {
        case .failure(.refused(let why)):
            XCTAssertTrue(why.hasPrefix("no lungs"), why)
        case .failure(let e):
            XCTFail("\(e)")
        case .success(let r):
            XCTAssertEqual(r.findings.count, 0, "\(r.findings.map(\.centroidMM)) | \(r.notes)")
        }
    }
}

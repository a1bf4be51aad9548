import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Pipeline
import XCTest

/// Small hypodense lesions inserted into the real portal-venous CT of `../shared/realdata`
/// (`LiverLesionInsertion`: partial volume through the scanner's PSF, the real noise kept),
/// then the liver analyzer: each must be found, with its volume within an honest tolerance,
/// and no more than one other finding per scan. The real case has no lesion of its own, so
/// insertion is how sensitivity on real parenchyma, vessels and noise is measured.
///
/// `AUTOSEG_LIVER_INSERTION_SWEEP=N` runs `testSweep`: N seeded scans with 4 lesions each
/// (0.4–5 mL, log-uniform: larger ones rarely fit in the 40 mm slab), printing sensitivity by size and FP per scan (bench/README.md).
final class RealDataLiverInsertionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/realdata")
    static let liverLabel: UInt16 = 5
    /// Volume tolerance: a 0.4–1 mL lesion is 9–12 mm across, 3–5 slices of 2 mm; one voxel
    /// layer on its surface is ~25 % of its volume, so ±35 % is a fair bound at that size.
    static let volumeTolerance = 0.35
    /// Findings that match no inserted lesion, per scan (the issue's ≤ 1 FP/scan).
    static let maximumFalsePositives = 1
    /// Of `testSmallInsertedLesionsAreFoundAndMeasured`'s 18 lesions, 18 are found with liver
    /// 1.6.0 (1.5.0: 11; the lesions in the artefact-darkened posterior right lobe are now
    /// judged against the liver around them); the floor sits two below.
    static let minimumFound = 16
    /// Median volume error of the found ones (today 3 %), and how many may be outside
    /// `volumeTolerance`: today one (0.95 mL measured 2.15 mL: 7 mm under the surface its
    /// boundary ran into a dark neighbour), a known weakness kept visible, not hidden.
    static let medianVolumeError = 0.10
    /// Of `testFaintInsertedLesionsAreFound`'s 18 faint lesions, 15 are found with liver 1.7.0
    /// (the voxel passes alone, as in 1.6.0: 4); the floor sits two below.
    static let minimumFaintFound = 13
    static let maximumMismeasured = 1

    /// The loaded series and the reference liver (truth label 5), loaded once.
    nonisolated(unsafe) static var cached: (InputSeries, Mask)?

    private func load() throws -> (InputSeries, Mask) {
        if let c = Self.cached { return c }
        let dir = Self.root.appendingPathComponent("totalseg-abdomen/dicom")
        let gz = Self.root.appendingPathComponent("totalseg-abdomen/truth.nii.gz")
        guard FileManager.default.fileExists(atPath: dir.path), FileManager.default.fileExists(atPath: gz.path) else {
            throw XCTSkip("no real data at \(Self.root.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        let s = try XCTUnwrap(SeriesScan.scan([dir.path]).series.first)
        let loaded = try VolumeLoader.load(files: s.files)
        let input = InputSeries(role: s.role, info: s.info(units: loaded.units, loaded: loaded), volume: loaded.volume)
        let truth = try RealDataLiverTests.readTruth(gz: gz)
        XCTAssertEqual(truth.dimensions, input.volume.dimensions)
        let liver = Mask(dimensions: truth.dimensions, geometry: input.volume.geometry,
                         voxels: truth.voxels.map { $0 == Self.liverLabel ? 1 : 0 })
        Self.cached = (input, liver)
        return (input, liver)
    }

    /// One scan: the lesions inserted, analysed, matched (a finding matches the lesion whose
    /// truth voxels it overlaps most).
    struct Outcome {
        var lesions: [InsertedLiverLesion]
        /// Per lesion: the matched finding's volume (mL), nil if missed.
        var found: [Double?]
        /// Per lesion: whether only `LiverScaleBlobs`'s pass found it (its findings say
        /// "scale-matched blob" in their reason), so one run gives the figures without it too.
        var byBlobPassOnly: [Bool]
        var falsePositives: Int
        var reasons: [String]
    }

    private func run(volumesML: [Double], seed: UInt64,
                     contrastHU: ClosedRange<Double> = LiverLesionInsertion.contrastRangeHU) throws -> Outcome {
        let (input, liver) = try load()
        let inserted = LiverLesionInsertion.insert(into: input.volume, liver: liver, volumesML: volumesML, seed: seed,
                                                   contrastHU: contrastHU, sliceThicknessMM: input.info.sliceThicknessMM)
        var series = input
        series.volume = inserted.image
        let result = try LiverLesions().analyze(AnalysisInput(series))
        var found = [Double?](repeating: nil, count: inserted.lesions.count)
        var blobOnly = [Bool](repeating: true, count: inserted.lesions.count)
        var fp = 0
        var reasons: [String] = []
        for f in result.findings {
            var paint = [UInt8](repeating: 0, count: result.dimensions.count)
            f.mask.paint(into: &paint, value: 1)
            var overlap = [Int](repeating: 0, count: inserted.lesions.count + 1)
            for i in 0..<paint.count where paint[i] != 0 { overlap[Int(inserted.labels.voxels[i])] += 1 }
            overlap[0] = 0
            let best = overlap.indices.max { overlap[$0] < overlap[$1] }!
            if overlap[best] > 0 {
                found[best - 1] = (found[best - 1] ?? 0) + (f.measurement(.volume) ?? 0)
                if !f.reason.contains("scale-matched blob") { blobOnly[best - 1] = false }
            } else {
                fp += 1
                reasons.append(f.reason)
            }
        }
        return Outcome(lesions: inserted.lesions, found: found, byBlobPassOnly: blobOnly, falsePositives: fp, reasons: reasons)
    }

    /// Seeded insertions of small lesions (0.4–2.5 mL, the sizes the issue found missed, at
    /// −40…−60 HU): at least `minimumFound` of them found, their volumes within
    /// `volumeTolerance` (median within `medianVolumeError`), ≤ 1 other finding per scan. That floor is today's regression bar
    /// (see bench/README.md: the analyzer misses many small lesions on real parenchyma), not
    /// the target of ≥ 0.4 mL at 95 %.
    func testSmallInsertedLesionsAreFoundAndMeasured() throws {
        var found = 0, placed = 0, errors: [Double] = []
        for seed in UInt64(1)...6 {
            let o = try run(volumesML: [0.5, 1.0, 2.5], seed: seed, contrastHU: -60 ... -40)
            placed += o.lesions.count
            for (l, v) in zip(o.lesions, o.found) {
                let what = String(format: "seed %llu lesion %d: %.2f mL, %.0f HU, %.1f mm deep", seed, l.label, l.volumeML,
                                  l.contrastHU, l.depthMM)
                guard let v else { print("\(what): missed"); continue }
                found += 1
                print(String(format: "%@: found %.2f mL", what, v))
                errors.append(abs(v - l.volumeML) / l.volumeML)
            }
            XCTAssertLessThanOrEqual(o.falsePositives, Self.maximumFalsePositives,
                                     "seed \(seed): \(o.reasons.joined(separator: "; "))")
        }
        print("inserted small lesions found: \(found) of \(placed)")
        XCTAssertGreaterThanOrEqual(placed, 15, "the lesions find a place in the 40 mm slab")
        XCTAssertGreaterThanOrEqual(found, Self.minimumFound, "\(found) of \(placed) inserted lesions found")
        errors.sort()
        XCTAssertLessThanOrEqual(errors.isEmpty ? 0 : errors[errors.count / 2], Self.medianVolumeError, "median volume error")
        XCTAssertLessThanOrEqual(errors.filter { $0 > Self.volumeTolerance }.count, Self.maximumMismeasured,
                                 "volume errors \(errors)")
    }

    /// The faint half of the contrast range (−35…−20 HU, below 2.5 smoothed-parenchyma SDs of
    /// this scan's real texture) at 0.5, 1.0 and 2.5 mL, seeds 1–6: the lesions the voxel
    /// passes miss (4 of them were found before the scale-matched pass, `LiverScaleBlobs`);
    /// at least `minimumFaintFound` found, ≤ 1 other finding per scan.
    func testFaintInsertedLesionsAreFound() throws {
        var found = 0, placed = 0, byVoxelPasses = 0
        for seed in UInt64(1)...6 {
            let o = try run(volumesML: [0.5, 1.0, 2.5], seed: seed, contrastHU: -35 ... -20)
            placed += o.lesions.count
            for ((l, v), blobOnly) in zip(zip(o.lesions, o.found), o.byBlobPassOnly) {
                let what = String(format: "seed %llu lesion %d: %.2f mL, %.0f HU", seed, l.label, l.volumeML, l.contrastHU)
                guard let v else { print("\(what): missed"); continue }
                found += 1
                if !blobOnly { byVoxelPasses += 1 }
                print(String(format: "%@: found %.2f mL%@", what, v, blobOnly ? " (scale-matched pass)" : ""))
            }
            XCTAssertLessThanOrEqual(o.falsePositives, Self.maximumFalsePositives,
                                     "seed \(seed): \(o.reasons.joined(separator: "; "))")
        }
        print("inserted faint lesions found: \(found) of \(placed) (by the voxel passes: \(byVoxelPasses))")
        XCTAssertGreaterThanOrEqual(placed, 15, "the lesions find a place in the 40 mm slab")
        XCTAssertGreaterThanOrEqual(found, Self.minimumFaintFound, "\(found) of \(placed) faint inserted lesions found")
    }

    /// The measurement behind bench/README.md's insertion figures (skipped unless asked for).
    func testSweep() throws {
        guard let n = ProcessInfo.processInfo.environment["AUTOSEG_LIVER_INSERTION_SWEEP"].flatMap(Int.init), n > 0 else {
            throw XCTSkip("set AUTOSEG_LIVER_INSERTION_SWEEP=N to run N seeded insertion scans")
        }
        let bins: [(String, ClosedRange<Double>)] = [("0.4-1 mL", 0...1), ("1-3 mL", 1...3), ("3-10 mL", 3...100)]
        // AUTOSEG_LIVER_INSERTION_BASE: the seed range (base + 1 … base + N); 1000 is the
        // range the analyzer was developed on, others are draws it was never tuned on.
        let base = ProcessInfo.processInfo.environment["AUTOSEG_LIVER_INSERTION_BASE"].flatMap(Int.init) ?? 1000
        var hits = [Int](repeating: 0, count: bins.count), totals = hits, withoutBlobPass = hits
        var fps = 0, errors: [Double] = []
        for seed in (base + 1)...(base + n) {
            var g = SplitMix64(state: UInt64(seed))
            let volumes = (0..<4).map { _ in 0.4 * pow(12.5, g.fraction()) }
            if ProcessInfo.processInfo.environment["AUTOSEG_LIVER_DEBUG"] != nil { print("seed \(seed)") }
            let o = try run(volumesML: volumes, seed: UInt64(seed))
            fps += o.falsePositives
            for ((l, v), blobOnly) in zip(zip(o.lesions, o.found), o.byBlobPassOnly) {
                let b = bins.firstIndex { $0.1.contains(l.volumeML) } ?? bins.count - 1
                totals[b] += 1
                if let v {
                    hits[b] += 1
                    if !blobOnly { withoutBlobPass[b] += 1 }
                    errors.append(abs(v - l.volumeML) / l.volumeML)
                }
                else {
                    print(String(format: "missed: seed %d, %.2f mL, %.0f HU, %.1f mm deep at (%.0f, %.0f, %.0f) mm", seed, l.volumeML,
                                 l.contrastHU, l.depthMM, l.centreMM.x, l.centreMM.y, l.centreMM.z))
                }
            }
            for r in o.reasons { print("FP seed \(seed): \(r)") }
        }
        let line = bins.indices.map { "\(bins[$0].0) \(hits[$0])/\(totals[$0]) (without the scale-matched pass \(withoutBlobPass[$0]))" }
            .joined(separator: ", ")
        errors.sort()
        print(String(format: "INSERTION seeds %d-%d sensitivity %@; FP/scan %.2f; median |vol err| %.0f %%", base + 1, base + n, line,
                     Double(fps) / Double(n), 100 * (errors.isEmpty ? 0 : errors[errors.count / 2])))
    }
}

import Foundation
import Imaging
import XCTest
@testable import DICOM

/// Loads series that `scripts/make_test_series.py` writes with pydicom (and, for compressed and
/// big-endian transfer syntaxes, with Debian's DCMTK tools), in deliberately shuffled file
/// order. The script's conventions (slice k at origin + k·spacing·normal, stored values from a
/// hash, SOPInstanceUID "<series>.<k+1>") are mirrored in `Spec` (VolumeLoaderSpecs.swift), so
/// every expected geometry and voxel is computed here, independently of the loader.
final class VolumeLoaderTests: XCTestCase {
    nonisolated(unsafe) static var root: URL?
    nonisolated(unsafe) static var setupFailure: String?

    /// Writes every case once for the whole class (one Python run).
    override class func setUp() {
        super.setUp()
        do {
            try DICOMToolkit.initialize()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("volumeloader-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let specFile = dir.appendingPathComponent("spec.json")
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            try encoder.encode(specs).write(to: specFile)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/make_test_series.py")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script.path, specFile.path, dir.path]
            let err = Pipe()
            p.standardError = err
            try p.run()
            let message = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if p.terminationStatus != 0 {
                setupFailure = "make_test_series.py failed: " + String(decoding: message, as: UTF8.self)
            }
            root = dir
        } catch {
            setupFailure = "set-up failed: \(error)"
        }
    }

    override class func tearDown() {
        if let root { try? FileManager.default.removeItem(at: root) }
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let failure = Self.setupFailure { throw SetupFailure(description: failure) }
    }

    struct SetupFailure: Error, CustomStringConvertible { var description: String }

    func spec(_ name: String) -> Spec { Self.specs.first { $0.name == name }! }

    /// The case's files, listed by name (an order unrelated to position).
    func files(_ name: String) throws -> [String] {
        let dir = Self.root!.appendingPathComponent(name)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0).path }
    }

    func load(_ name: String, allowGaps: Bool = false) throws -> LoadedVolume {
        try VolumeLoader.load(files: files(name), allowGaps: allowGaps)
    }

    func loadError(_ name: String, allowGaps: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> VolumeError? {
        do {
            _ = try load(name, allowGaps: allowGaps)
            XCTFail("\(name) loaded, expected an error", file: file, line: line)
            return nil
        } catch let e as VolumeError {
            return e
        } catch {
            XCTFail("\(name): unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    /// Every voxel against the generator's formula, within `tolerance`.
    func assertVoxels(_ v: LoadedVolume, _ s: Spec, tolerance: Float = 0, slices: [Int]? = nil,
                      file: StaticString = #filePath, line: UInt = #line) {
        let ks = slices ?? Array(0..<s.slices)
        XCTAssertEqual(v.volume.dimensions, Dimensions(slices: ks.count, rows: s.rows, columns: s.columns), file: file, line: line)
        guard v.volume.dimensions.slices == ks.count else { return }
        var mismatches = 0
        var first = ""
        for (index, k) in ks.enumerated() {
            for r in 0..<s.rows {
                for c in 0..<s.columns {
                    let got = v.volume[index, r, c], want = s.voxel(k, r, c)
                    if abs(got - want) > tolerance || got.isNaN {
                        if mismatches == 0 { first = "[\(index), \(r), \(c)] = \(got), expected \(want)" }
                        mismatches += 1
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(s.name): \(mismatches) voxels differ, first \(first)", file: file, line: line)
    }

    func uids(_ s: Spec, _ ks: [Int]? = nil) -> [String] {
        (ks ?? Array(0..<s.slices)).map { "\(s.seriesUID).\($0 + 1)" }
    }

    // MARK: - Geometry

    func testAxialHeadFirstInShuffledFileOrder() throws {
        let s = spec("ct_head_first")
        let v = try load(s.name)
        let g = v.volume.geometry
        XCTAssertEqual(g.origin, SIMD3(-100.5, -80.25, 30.0))   // IPP of the lowest slice, exactly
        XCTAssertEqual(g.spacing, Spacing(slice: 1.25, row: 0.75, column: 0.5))
        XCTAssertEqual(g.columnDirection, SIMD3(1, 0, 0))
        XCTAssertEqual(g.rowDirection, SIMD3(0, 1, 0))
        XCTAssertEqual(g.sliceDirection, SIMD3(0, 0, 1))
        XCTAssertEqual(g.point(slice: 9, row: 0, column: 0), SIMD3(-100.5, -80.25, 41.25))
        XCTAssertEqual(v.sopInstanceUIDs, uids(s))
        XCTAssertEqual(v.sources.map(\.frameNumber), Array(repeating: 1, count: s.slices))
        XCTAssertEqual(v.sources.first?.sopClassUID, "1.2.840.10008.5.1.4.1.1.2")
        XCTAssertEqual(v.seriesInstanceUID, s.seriesUID)
        XCTAssertEqual(v.modality, "CT")
        XCTAssertEqual(v.units, "HU")
        XCTAssertEqual(v.warnings, [])
        assertVoxels(v, s)
        // The file list really is shuffled relative to position.
        let names = v.sources.map { URL(fileURLWithPath: $0.path).lastPathComponent }
        XCTAssertNotEqual(names, names.sorted())
    }

    func testAxialFeetFirst() throws {
        let s = spec("ct_feet_first")
        let v = try load(s.name)
        let g = v.volume.geometry
        // IOP [-1,0,0, 0,1,0]: the normal is -z, so index 0 is the most cranial slice and
        // the index grows towards the feet, along the actual positions.
        XCTAssertEqual(g.origin, SIMD3(100.5, -80.25, 30.0))
        XCTAssertEqual(g.columnDirection, SIMD3(-1, 0, 0))
        XCTAssertEqual(g.rowDirection, SIMD3(0, 1, 0))
        XCTAssertEqual(g.sliceDirection, SIMD3(0, 0, -1))
        XCTAssertEqual(g.spacing, Spacing(slice: 1.25, row: 0.75, column: 0.5))
        XCTAssertEqual(g.point(slice: 9, row: 0, column: 0), SIMD3(100.5, -80.25, 18.75))
        XCTAssertEqual(v.sopInstanceUIDs, uids(s))
        XCTAssertEqual(v.warnings, [])
        assertVoxels(v, s)
    }

    func testObliqueOrientation() throws {
        let s = spec("oblique")
        let v = try load(s.name)
        let g = v.volume.geometry
        let r = SIMD3(s.iop[0], s.iop[1], s.iop[2]), c = SIMD3(s.iop[3], s.iop[4], s.iop[5])
        XCTAssertEqual(g.origin, SIMD3(-12.345678, 45.5, -7.25))
        // Positions are written with 6 decimals: 1e-5 mm.
        XCTAssertEqual(g.spacing.slice, 0.8, accuracy: 1e-5)
        XCTAssertLessThan(maxAbs(g.columnDirection - normalized(r)), 1e-12)
        XCTAssertLessThan(maxAbs(g.rowDirection - normalized(c)), 1e-12)
        XCTAssertLessThan(maxAbs(g.sliceDirection - s.normal), 1e-12)
        XCTAssertEqual(v.sopInstanceUIDs, uids(s))
        XCTAssertEqual(v.warnings, [])
        // patient ↔ index both ways through each slice's own position.
        for k in 0..<s.slices {
            let ipp = SIMD3(s.origin[0], s.origin[1], s.origin[2]) + Double(k) * s.spacing * s.normal
            XCTAssertLessThan(maxAbs(g.point(slice: Double(k), row: 0, column: 0) - ipp), 1e-5)
            let i = g.index(of: ipp + 3 * 0.75 * normalized(c) + 5 * 0.5 * normalized(r))
            XCTAssertEqual(i.slice, Double(k), accuracy: 1e-5)
            XCTAssertEqual(i.row, 3, accuracy: 1e-5)
            XCTAssertEqual(i.column, 5, accuracy: 1e-5)
        }
        assertVoxels(v, s)
    }

    func testAnisotropicSpacingAndNonSquareMatrix() throws {
        let s = spec("anisotropic")
        let v = try load(s.name)
        XCTAssertEqual(v.volume.dimensions, Dimensions(slices: 9, rows: 30, columns: 18))
        // PixelSpacing is (between rows, between columns).
        XCTAssertEqual(v.volume.geometry.spacing, Spacing(slice: 2.5, row: 0.6, column: 0.9))
        XCTAssertEqual(v.volume.geometry.point(slice: 2, row: 3, column: 4), SIMD3(-100.5 + 3.6, -80.25 + 1.8, 35.0))
        assertVoxels(v, s)
    }

    func testGantryTiltFollowsPositions() throws {
        let s = spec("tilt")
        let v = try load(s.name)
        let g = v.volume.geometry
        let step = s.spacing * s.normal + SIMD3(s.shear[0], s.shear[1], s.shear[2])
        XCTAssertEqual(g.spacing.slice, length(step), accuracy: 1e-9)
        XCTAssertLessThan(maxAbs(g.sliceDirection - normalized(step)), 1e-9)
        XCTAssertLessThan(maxAbs(g.point(slice: 7, row: 0, column: 0) - (SIMD3(-100.5, -80.25, 30) + 7 * step)), 1e-9)
        XCTAssertEqual(v.warnings.count, 1)
        XCTAssertTrue(v.warnings.first?.contains("tilt") ?? false, "\(v.warnings)")
        assertVoxels(v, s)
    }

    // MARK: - Pixel data

    func testEveryTransferSyntaxGivesIdenticalVoxels() throws {
        let reference = try load("ts_explicit")
        assertVoxels(reference, spec("ts_explicit"))
        let uids = [
            "implicit": "1.2.840.10008.1.2", "explicit": "1.2.840.10008.1.2.1", "deflate": "1.2.840.10008.1.2.1.99",
            "big": "1.2.840.10008.1.2.2", "jpeg-lossless": "1.2.840.10008.1.2.4.57",
            "jpeg-lossless-sv1": "1.2.840.10008.1.2.4.70", "jpegls": "1.2.840.10008.1.2.4.80",
            "rle": "1.2.840.10008.1.2.5",
        ]
        for ts in Self.ctSyntaxes {
            // The generator really wrote this transfer syntax.
            for path in try files("ts_\(ts)") {
                XCTAssertEqual(try FileInfo.read(path: path).transferSyntaxUID, uids[ts], "\(ts): \(path)")
            }
            let v = try load("ts_\(ts)")
            XCTAssertEqual(v.volume.voxels, reference.volume.voxels, ts)
            XCTAssertEqual(v.volume.geometry, reference.volume.geometry, ts)
            XCTAssertEqual(v.sopInstanceUIDs, reference.sopInstanceUIDs, ts)
        }
    }

    func testSixteenBitUnsignedAndSignedWithSlope() throws {
        for name in ["ct_u16", "ct_u16_big", "ct_s16_jpegls"] {
            let s = spec(name)
            assertVoxels(try load(name), s)
        }
    }

    func testBitsAboveBitsStoredAreMasked() throws {
        assertVoxels(try load("ct_dirty"), spec("ct_dirty"))
    }

    func testUnsigned12BitMRWithSlope() throws {
        let s = spec("mr_u12")
        let v = try load(s.name)
        XCTAssertEqual(v.modality, "MR")
        XCTAssertEqual(v.units, "10^-6 mm2/s")
        assertVoxels(v, s)
        let rle = try load("mr_u12_rle")
        XCTAssertEqual(rle.units, "stored value")
        XCTAssertEqual(rle.volume.voxels, v.volume.voxels)
    }

    func testEightBitSignedAndUnsigned() throws {
        for ts in ["implicit", "explicit", "big", "rle", "jpegls"] {
            assertVoxels(try load("s8_\(ts)"), spec("s8_\(ts)"))
            assertVoxels(try load("u8_\(ts)"), spec("u8_\(ts)"))
        }
    }

    func testLossyTransferSyntaxesWithinTheirBounds() throws {
        // JPEG-LS near-lossless with maximum deviation 2 (dcmcjpls +md 2).
        assertVoxels(try load("jpegls_near"), spec("jpegls_near"), tolerance: 2)
        // JPEG baseline on a smooth 8-bit ramp: small errors only.
        assertVoxels(try load("jpeg_baseline"), spec("jpeg_baseline"), tolerance: 4)
    }

    func testEnhancedMultiFrameCT() throws {
        let s = spec("enhanced_ct")
        let v = try load(s.name)
        let g = v.volume.geometry
        XCTAssertEqual(g.origin, SIMD3(-100.5, -80.25, 30.0))
        XCTAssertEqual(g.spacing, Spacing(slice: 1.25, row: 0.75, column: 0.5))
        XCTAssertEqual(g.sliceDirection, SIMD3(0, 0, 1))
        XCTAssertEqual(v.sopInstanceUIDs, Array(repeating: "\(s.seriesUID).1", count: s.slices))
        // Slice k is frame perm(k) + 1 = (7k + 3) mod N + 1 in the file.
        XCTAssertEqual(v.sources.map(\.frameNumber), (0..<s.slices).map { (7 * $0 + 3) % s.slices + 1 })
        XCTAssertTrue(v.sources.allSatisfy(\.isMultiFrame))
        // Each frame's own Plane Position, as the file states it.
        XCTAssertEqual(v.sources.map(\.position), (0..<s.slices).map { SIMD3(-100.5, -80.25, 30 + Double($0) * 1.25) })
        XCTAssertEqual(v.sources.first?.sopClassUID, "1.2.840.10008.5.1.4.1.1.2.1")
        XCTAssertEqual(v.units, "HU")
        assertVoxels(v, s)   // per-frame PixelValueTransformation (intercept varies by frame)

        let rle = try load("enhanced_ct_rle")
        XCTAssertEqual(rle.volume.voxels, v.volume.voxels)
        assertVoxels(try load("enhanced_ct_jpegls"), spec("enhanced_ct_jpegls"))
        // 40 uncompressed frames: decoded in runs of frames on several threads.
        let split = spec("enhanced_ct_split")
        let sv = try load(split.name)
        XCTAssertEqual(sv.volume.geometry.point(slice: 39, row: 0, column: 0), SIMD3(-100.5, -80.25, 30 + 39 * 1.25))
        assertVoxels(sv, split)
    }

    func testEnhancedMultiFrameSagittalMR() throws {
        let s = spec("enhanced_mr")
        let v = try load(s.name)
        let g = v.volume.geometry
        // Row cosines +y (anterior→posterior), column cosines -z: the normal is -x.
        XCTAssertEqual(g.origin, SIMD3(10, -100, 80))
        XCTAssertEqual(g.columnDirection, SIMD3(0, 1, 0))
        XCTAssertEqual(g.rowDirection, SIMD3(0, 0, -1))
        XCTAssertEqual(g.sliceDirection, SIMD3(-1, 0, 0))
        XCTAssertEqual(g.spacing, Spacing(slice: 1.25, row: 0.75, column: 0.5))
        XCTAssertEqual(v.modality, "MR")
        XCTAssertEqual(v.units, "10^-6 mm2/s")   // RescaleType from the per-frame groups
        assertVoxels(v, s)
    }

    func testSingleThreadGivesTheSameVolume() throws {
        let parallel = try load("enhanced_ct_split")
        Parallelism.threads = 1
        defer { Parallelism.threads = 0 }
        let serial = try load("enhanced_ct_split")
        XCTAssertEqual(serial.volume.voxels, parallel.volume.voxels)
    }

    // MARK: - Errors

    func testMissingPosition() {
        XCTAssertEqual(loadError("missing_ipp")?.code, .missingGeometry)
    }

    func testMixedOrientation() {
        XCTAssertEqual(loadError("mixed_orientation")?.code, .mixedOrientation)
    }

    func testMixedSize() {
        XCTAssertEqual(loadError("mixed_size")?.code, .mixedSize)
    }

    func testDuplicatePosition() {
        XCTAssertEqual(loadError("duplicate")?.code, .duplicatePosition)
    }

    func testGapIsAnErrorUnlessAllowed() throws {
        // Slice 4 is missing: 2.5 mm between sorted slices 3 and 4, median 1.25 mm.
        XCTAssertEqual(loadError("gap")?.code, .gap(index: 3, size: 2.5, median: 1.25))
        let s = spec("gap")
        let v = try load(s.name, allowGaps: true)
        XCTAssertEqual(v.volume.dimensions.slices, 9)
        XCTAssertEqual(v.volume.geometry.spacing.slice, 1.25)
        XCTAssertEqual(v.warnings.count, 1)
        XCTAssertTrue(v.warnings.first?.contains("gap of 2.5 mm") ?? false, "\(v.warnings)")
        let ks = [0, 1, 2, 3, 5, 6, 7, 8, 9]
        XCTAssertEqual(v.sopInstanceUIDs, uids(s, ks))
        assertVoxels(v, s, slices: ks)
    }

    func testOneSliceIsTooFew() {
        XCTAssertEqual(loadError("one_slice")?.code, .tooFewSlices)
        XCTAssertThrowsError(try VolumeLoader.load(files: []))
    }

    func testTwoSeries() {
        let e = loadError("two_series")
        XCTAssertEqual(e?.code, .multipleSeries)
        XCTAssertTrue(e?.message.contains("1.2.826.0.1.3680043.8.498.77.2 (2 files)") ?? false, e?.message ?? "")
    }

    func testUnreadableFile() throws {
        let bogus = Self.root!.appendingPathComponent("bogus.dcm")
        try Data("not DICOM".utf8).write(to: bogus)
        var paths = try files("ct_head_first")
        paths.append(bogus.path)
        do {
            _ = try VolumeLoader.load(files: paths)
            XCTFail("loaded a non-DICOM file")
        } catch {
            XCTAssertEqual(error.code, .unreadable)
            XCTAssertTrue(error.message.contains("bogus.dcm"), error.message)
        }
    }

    func testUnits() {
        XCTAssertEqual(VolumeLoader.units(modality: "CT", rescaleType: ""), "HU")
        XCTAssertEqual(VolumeLoader.units(modality: "MR", rescaleType: "US"), "stored value")
        XCTAssertEqual(VolumeLoader.units(modality: "MR", rescaleType: ""), "stored value")
        XCTAssertEqual(VolumeLoader.units(modality: "MR", rescaleType: "10^-6 mm2/s", units: ""), "10^-6 mm2/s")
        XCTAssertEqual(VolumeLoader.units(modality: "PT", rescaleType: "", units: "BQML"), "BQML")
    }
}

func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
private func length(_ a: SIMD3<Double>) -> Double { (a * a).sum().squareRoot() }
func normalized(_ a: SIMD3<Double>) -> SIMD3<Double> { a / length(a) }
private func maxAbs(_ a: SIMD3<Double>) -> Double { max(abs(a.x), abs(a.y), abs(a.z)) }

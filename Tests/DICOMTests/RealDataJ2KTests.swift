import Foundation
import Imaging
import XCTest
@testable import DICOM

/// The TotalSegmentator example CT as its archive stored it (JPEG 2000 lossless, blank UIDs in
/// the dataset) against the same series as JPEG-LS lossless: both lossless, so the decoded
/// volumes must be equal voxel for voxel. Reads `../shared/realdata` (read-only, never copied).
final class RealDataJ2KTests: XCTestCase {
    static let caseDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/realdata/totalseg-abdomen")

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
    }

    func files(_ folder: String) throws -> [String] {
        let dir = Self.caseDir.appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("no \(dir.path)") }
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map { dir.appendingPathComponent($0).path }
    }

    func testJPEG2000OriginalDecodesToTheJPEGLSPixels() throws {
        let j2kFiles = try files("dicom-original"), jlsFiles = try files("dicom")
        XCTAssertEqual(j2kFiles.count, 20)
        for path in j2kFiles {
            XCTAssertEqual(try FileInfo.read(path: path).transferSyntaxUID, "1.2.840.10008.1.2.4.90", path)
        }
        for path in jlsFiles {
            XCTAssertEqual(try FileInfo.read(path: path).transferSyntaxUID, "1.2.840.10008.1.2.4.80", path)
        }
        let j2k = try VolumeLoader.load(files: j2kFiles)
        let jls = try VolumeLoader.load(files: jlsFiles)
        // Slices are matched by ImagePositionPatient: both loaders sort along the normal.
        XCTAssertEqual(j2k.volume.dimensions, Dimensions(slices: 20, rows: 512, columns: 512))
        XCTAssertEqual(j2k.volume.geometry, jls.volume.geometry)
        XCTAssertEqual(j2k.volume.voxels.count, jls.volume.voxels.count)
        var differing = 0
        for i in 0..<min(j2k.volume.voxels.count, jls.volume.voxels.count) where j2k.volume.voxels[i] != jls.volume.voxels[i] {
            differing += 1
        }
        XCTAssertEqual(differing, 0, "voxels differing between the JPEG 2000 and JPEG-LS series")
        // Real CT, not a blank image: air outside, soft tissue and contrast inside (HU).
        XCTAssertLessThan(j2k.volume.voxels.min()!, -900)
        XCTAssertGreaterThan(j2k.volume.voxels.max()!, 200)
    }
}

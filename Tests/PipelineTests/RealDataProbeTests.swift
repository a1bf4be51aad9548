import DICOM
import Foundation
import Pipeline
import XCTest

/// The preflight on the real cases of `../shared/realdata` beside the repository (CI has
/// them; skipped with a message otherwise): what the pixels show, whatever the headers say,
/// and that the probe stays cheap.
final class RealDataProbeTests: XCTestCase {
    /// `<repo>/../shared/realdata`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/realdata")

    private func series(_ path: String) throws -> ScannedSeries {
        let url = Self.root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("no real data at \(url.path): the real-data checks need ../shared/realdata beside the repository")
        }
        try DICOMToolkit.initialize()
        return try XCTUnwrap(SeriesScan.scan([url.path]).series.first)
    }

    /// The probe, its summary attached to any failure.
    private func probe(_ path: String, _ check: (ContentFindings) -> Void) throws {
        let c = ContentProbe.probe(try series(path))
        XCTAssertNil(c.notProbed, c.summary)
        XCTAssertEqual(c.slices, ContentProbe.maximumSlices)
        XCTAssertLessThan(c.seconds, 2, "the probe must stay cheap: \(c.summary)")
        check(c)
    }

    func testContrastChestCT() throws {
        try probe("lidc-0001/dicom") { c in
            XCTAssertTrue(c.regions.contains(.chest), c.summary)
            XCTAssertNotEqual(c.phase, ContrastPhase.none, "LIDC-IDRI-0001 had IV contrast: \(c.summary)")
        }
    }

    func testPlainChestCT() throws {
        try probe("lidc-0002/dicom") { c in
            XCTAssertEqual(c.regions, [.chest], c.summary)
            XCTAssertEqual(c.phase, ContrastPhase.none, c.summary)
        }
    }

    func testContrastUpperAbdomen() throws {
        try probe("totalseg-abdomen/dicom") { c in
            XCTAssertEqual(c.regions, [.abdomen], c.summary)
            XCTAssertEqual(c.phase, .portalVenous, c.summary)
        }
    }

    func testPlainAbdomenPelvis() throws {
        try probe("totalseg-ct3mm/dicom") { c in
            XCTAssertTrue(c.regions.contains(.abdomen), c.summary)
            XCTAssertEqual(c.phase, ContrastPhase.none, c.summary)
        }
    }

    func testMRIsRoutedByNaming() throws {
        let adc = try series("isles22-0001/adc")
        XCTAssertEqual(adc.role, .adc)
        XCTAssertNotNil(adc.content.notProbed, "MR is not probed")
        XCTAssertEqual(DiffusionNaming.kind(of: try series("isles22-0001/dwi").first), .dwi)
    }
}

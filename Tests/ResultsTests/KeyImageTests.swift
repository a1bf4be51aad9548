import Analysis
import Imaging
import XCTest
@testable import Results

/// Key image rendering on hand-made slices: largest section, window, outline, caption.
final class KeyImageTests: XCTestCase {
    /// A 3-slice 32×32 grid with a square finding: 2×2 on slice 0, 4×4 on slice 1, 3×3 on 2.
    func finding() -> (Volume<Float>, RegionMask) {
        let d = Dimensions(slices: 3, rows: 32, columns: 32)
        var v = Volume<Float>(dimensions: d, repeating: 0)
        for i in 0..<d.count { v.voxels[i] = Float(i % 400) }
        var m = Mask(dimensions: d, repeating: 0)
        for (s, n) in [(0, 2), (1, 4), (2, 3)] {
            for r in 20..<(20 + n) { for c in 22..<(22 + n) { m[s, r, c] = 1 } }
        }
        return (v, RegionMask(full: m)!)
    }

    func testLargestSectionAndOutline() {
        let (v, mask) = finding()
        XCTAssertEqual(KeyImageRenderer.largestSection(mask), 1)
        let image = KeyImageRenderer.render(volume: v, slice: 1, mask: mask, window: (0, 400), caption: [])
        XCTAssertEqual(image.pixels.count, 32 * 32)
        // The ring around the 4×4 square (rows 19…24, columns 21…26 minus the square) is 255.
        var ring = 0
        for r in 0..<32 {
            for c in 0..<32 {
                let inSquare = (20..<24).contains(r) && (22..<26).contains(c)
                let inRing = (19...24).contains(r) && (21...26).contains(c) && !inSquare
                let p = image.pixels[r * 32 + c]
                if inRing { XCTAssertEqual(p, 255, "ring pixel \(r),\(c)"); ring += 1 }
                if !inRing { XCTAssertLessThan(p, 255, "pixel \(r),\(c) outside the ring") }
            }
        }
        XCTAssertEqual(ring, 6 * 6 - 16)
        // Windowing: value 200 of 0…400 maps to 127.
        let i = 5 * 32 + 5, value = v.voxels[32 * 32 + i]
        XCTAssertEqual(Int(image.pixels[i]), Int((value / 400 * 254).rounded()))
    }

    func testCaptionIsBurnedInTopLeft() {
        let (v, mask) = finding()
        let image = KeyImageRenderer.render(volume: v, slice: 1, mask: mask, window: (0, 400), caption: ["N1"])
        var bright = 0
        for r in 0..<12 {
            for c in 0..<16 where image.pixels[r * 32 + c] == 255 { bright += 1 }
        }
        XCTAssertGreaterThan(bright, 10, "the caption's strokes")
        // The text box is black around the strokes.
        XCTAssertEqual(image.pixels[1 * 32 + 1], 0)
    }

    func testWindows() {
        XCTAssertEqual(KeyImageRenderer.window(analyzer: .lung, units: "HU", slice: [0]).0, -1350)
        XCTAssertEqual(KeyImageRenderer.window(analyzer: .liver, units: "HU", slice: [0]).1, 260)
        let map = (0..<1000).map { Float($0) }
        let w = KeyImageRenderer.window(analyzer: .infarct, units: "10-6 mm2/s", slice: map[...])
        XCTAssertEqual(w.0, 10, accuracy: 1)
        XCTAssertEqual(w.1, 990, accuracy: 1)
    }

    func testCaptionAndOrientation() {
        let (_, mask) = finding()
        let f = Finding(number: 2, kind: .nodule, category: "solid", mask: mask, centroidMM: .zero,
                        measurements: [Measurement(.longAxis, 12.3, "mm"), Measurement(.shortAxis, 8.1, "mm"),
                                       Measurement(.meanDiameter, 10.2, "mm"), Measurement(.equivalentDiameter, 11.34, "mm"),
                                       Measurement(.volume, 0.987, "mL")],
                        assessments: [Assessment(.lungRADS, "4A")], confidence: 0.9, reason: "")
        XCTAssertEqual(KeyImageRenderer.caption(for: f, analyzer: .lung, version: "1.0.0"),
                       ["NODULE 2 SOLID  LUNG-RADS 4A", "LA 12.3 SA 8.1 MEAN 10.2 MM  V 0.99 ML", "AUTOSEG LUNG 1.0.0"])
        let sphere = Finding(number: 1, kind: .lesion, category: "hypodense", mask: mask, centroidMM: .zero,
                             measurements: [Measurement(.equivalentDiameter, 7.04, "mm")], confidence: 0.9, reason: "")
        XCTAssertEqual(KeyImageRenderer.caption(for: sphere, analyzer: .liver, version: "1.0.0")[1], "EQ DIAM 7.0 MM")
        XCTAssertEqual(KeyImageRenderer.patientOrientation(Geometry()), "L\\P")
        let sagittal = Geometry(columnDirection: [0, 1, 0], rowDirection: [0, 0, -1], sliceDirection: [1, 0, 0])
        XCTAssertEqual(KeyImageRenderer.patientOrientation(sagittal), "P\\F")
        let oblique = Geometry(columnDirection: [0.8, 0.6, 0], rowDirection: [-0.6, 0.8, 0])
        XCTAssertEqual(KeyImageRenderer.patientOrientation(oblique), "LP\\PR")
    }

    func testEveryGlyphHasSevenFiveBitRows() {
        for (c, rows) in BitmapFont.glyphs {
            XCTAssertEqual(rows.count, 7, "\(c)")
            XCTAssertTrue(rows.allSatisfy { $0 < 32 }, "\(c)")
        }
        XCTAssertEqual(BitmapFont.glyph("a"), BitmapFont.glyph("A"))
        XCTAssertEqual(BitmapFont.glyph("é"), BitmapFont.glyph("?"))
    }
}

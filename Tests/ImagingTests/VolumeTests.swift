import XCTest
@testable import Imaging

final class VolumeTests: XCTestCase {
    func testIndexLayoutIsSliceMajor() {
        let d = Dimensions(slices: 2, rows: 3, columns: 4)
        XCTAssertEqual(d.index(0, 0, 1), 1)
        XCTAssertEqual(d.index(0, 1, 0), 4)
        XCTAssertEqual(d.index(1, 0, 0), 12)
        XCTAssertEqual(d.count, 24)
        var v = Volume<Float>(dimensions: d, repeating: 0)
        v[1, 2, 3] = 5
        XCTAssertEqual(v.voxels[23], 5)
    }

    func testPatientIndexRoundTripOblique() {
        // An oblique, anisotropic, feet-first-like grid; expected points worked out by hand.
        let s = 1 / 2.0.squareRoot()
        let g = Geometry(origin: [10, -20, 30], spacing: Spacing(slice: 2.5, row: 0.5, column: 0.75),
                         columnDirection: [s, s, 0], rowDirection: [-s, s, 0], sliceDirection: [0, 0, -1])
        let p = g.point(slice: 2, row: 4, column: 8)
        // column: 8·0.75 = 6 along (s,s,0); row: 4·0.5 = 2 along (−s,s,0); slice: 5 mm down.
        XCTAssertEqual(p.x, 10 + 6 * s - 2 * s, accuracy: 1e-12)
        XCTAssertEqual(p.y, -20 + 6 * s + 2 * s, accuracy: 1e-12)
        XCTAssertEqual(p.z, 25, accuracy: 1e-12)
        let i = g.index(of: p)
        XCTAssertEqual(i.slice, 2, accuracy: 1e-9)
        XCTAssertEqual(i.row, 4, accuracy: 1e-9)
        XCTAssertEqual(i.column, 8, accuracy: 1e-9)
    }

    func testParallelChunksCoverEverythingOnce() {
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            var hits = [Int](repeating: 0, count: 1000)
            hits.withUnsafeMutableBufferPointer { buf in
                let b = UnsafeSendableBuffer(buf.baseAddress!)
                Parallelism.forEachChunk(1000, minimumChunk: 7) { r in for i in r { b[i] += 1 } }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: 1000), "threads \(threads)")
        }
        Parallelism.threads = 0
    }
}

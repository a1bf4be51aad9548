import Synchronization
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

    /// Inside `Parallelism.inline` a chunked loop runs as one chunk, in order, on the caller's
    /// thread (even with several threads), and the flag ends with the call.
    func testInlineRunsChunksOnTheCaller() {
        Parallelism.threads = 2
        defer { Parallelism.threads = 0 }
        let caller = pthread_self()
        let calls = Mutex([(Range<Int>, Bool)]())
        Parallelism.inline {
            Parallelism.forEachChunk(1000, minimumChunk: 7) { r in calls.withLock { $0.append((r, pthread_equal(pthread_self(), caller) != 0)) } }
        }
        calls.withLock { c in
            XCTAssertEqual(c.count, 1)
            XCTAssertEqual(c.first?.0, 0..<1000)
            XCTAssertEqual(c.first?.1, true)
        }
        let after = Mutex(0)
        Parallelism.forEachChunk(1000, minimumChunk: 7) { _ in after.withLock { $0 += 1 } }
        XCTAssertGreaterThan(after.withLock { $0 }, 1, "outside inline the loop is split again")
    }
}

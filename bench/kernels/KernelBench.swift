// The AutoSeg side of the kernel benchmark (see README.md in this folder).
//
// Builds the same deterministic 160×512×512 CT-like Float32 volume as simpleitk_bench.py (same
// formula evaluated in Double and rounded once to Float, same integer-hash noise, so the voxels
// are bit-identical; both sides print the same `VOLUME` checksum line), then times each kernel
// with `Parallelism.threads = N`: one warm-up run, then the median of RUNS runs (default 3).
//
// Usage: kernel-bench [threads] [kernel ...]     Prints `KERNEL <name> <seconds>` per kernel.

import Dispatch
import Foundation
import Imaging

let slices = 160, rows = 512, columns = 512
let spacing = Spacing(slice: 1.25, row: 0.7, column: 0.7)

/// Nodules (x, y, z, radius) and vessels (x at z = 0, dx/dz, y, radius), mm. Same as the Python side.
let nodules: [(Double, Double, Double, Double)] = [
    (105.0, 160.0, 60.0, 6.0), (255.0, 150.0, 90.0, 9.0), (120.0, 210.0, 120.0, 4.0),
    (250.0, 205.0, 140.0, 7.5), (95.0, 130.0, 100.0, 3.0), (270.0, 175.0, 50.0, 5.0),
    (140.0, 175.0, 80.0, 10.0), (230.0, 125.0, 110.0, 3.5),
]
let tubes: [(Double, Double, Double, Double)] = [
    (100.0, 0.10, 170.0, 3.0), (130.0, -0.08, 145.0, 2.0), (115.0, 0.05, 200.0, 1.5),
    (255.0, -0.10, 170.0, 3.0), (230.0, 0.07, 150.0, 2.0), (265.0, 0.04, 195.0, 1.5),
]

/// Chris Wellons' lowbias32 integer hash (wrapping arithmetic), as in the Python side.
@inline(__always)
func lowbias32(_ v: UInt32) -> UInt32 {
    var x = v
    x ^= x >> 16
    x &*= 0x7FEB_352D
    x ^= x >> 15
    x &*= 0x846C_A68B
    x ^= x >> 16
    return x
}

/// Hounsfield value of voxel (s, r, c): body ellipse 40, lungs −850, vessels 200, nodules 60,
/// spine 700, plus uniform noise in ±20 from the hash of the linear index. The order of the
/// floating-point operations matches simpleitk_bench.make_volume exactly.
@inline(__always)
func voxel(_ s: Int, _ r: Int, _ c: Int) -> Float {
    let z = Double(s) * spacing.slice, y = Double(r) * spacing.row, x = Double(c) * spacing.column
    let x0 = 255.5 * spacing.column, y0 = 255.5 * spacing.row
    var v = -1000.0
    let bx = (x - x0) / 170.0, by = (y - y0) / 120.0
    if bx * bx + by * by <= 1.0 { v = 40.0 }
    for side in 0..<2 {
        let cx = side == 0 ? x0 - 75.0 : x0 + 75.0
        let lx = (x - cx) / 55.0, ly = (y - (y0 - 5.0)) / 80.0, lz = (z - 100.0) / 110.0
        if lx * lx + ly * ly + lz * lz <= 1.0 { v = -850.0 }
    }
    for (tx, slope, ty, tr) in tubes {
        let dx = x - (tx + slope * z), dy = y - ty
        if dx * dx + dy * dy <= tr * tr { v = 200.0 }
    }
    for (nx, ny, nz, nr) in nodules {
        let dx = x - nx, dy = y - ny, dz = z - nz
        if dx * dx + dy * dy + dz * dz <= nr * nr { v = 60.0 }
    }
    let sx = x - x0, sy = y - (y0 + 85.0)
    if sx * sx + sy * sy <= 20.0 * 20.0 { v = 700.0 }
    let h = lowbias32(UInt32(truncatingIfNeeded: (s * rows + r) * columns + c))
    let noise = (Double(h & 0xFFFF) / 65535.0 - 0.5) * 40.0
    return Float(v + noise)
}

func makeVolume() -> Volume<Float> {
    let d = Dimensions(slices: slices, rows: rows, columns: columns)
    var voxels = [Float](repeating: 0, count: d.count)
    voxels.withUnsafeMutableBufferPointer { buffer in
        let out = UnsafeSendableBuffer(buffer.baseAddress!)
        Parallelism.forEachChunk(slices) { range in
            for s in range { for r in 0..<rows { for c in 0..<columns { out[d.index(s, r, c)] = voxel(s, r, c) } } }
        }
    }
    return Volume(dimensions: d, geometry: Geometry(spacing: spacing), voxels: voxels)
}

/// Writes a line to standard output at once (unbuffered, so `tee` shows progress).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Keeps results observable so no kernel call can be optimised away.
nonisolated(unsafe) var sink: Double = 0

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func timed(_ runs: Int, _ body: () -> Void) -> Double {
    body()  // warm-up
    let times = (0..<runs).map { _ in seconds(body) }.sorted()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

@main
struct KernelBench {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        let threads = args.first.flatMap { Int($0) } ?? 2
        let only = Set(args.dropFirst())
        let runs = ProcessInfo.processInfo.environment["RUNS"].flatMap { Int($0) } ?? 3
        // SimpleITK's closing uses a ball of radius 3 voxels per axis, i.e. an ellipsoid of
        // 2.1 × 2.1 × 3.75 mm here; ours takes a physical ball, and the default 3.75 mm is the
        // smallest ball containing SimpleITK's (5 voxels in-plane, 3 across slices).
        let closingRadius = ProcessInfo.processInfo.environment["CLOSING_RADIUS_MM"].flatMap { Double($0) } ?? 3.75

        Parallelism.threads = threads
        let volume = makeVolume()
        let mask = volume.map { $0 > -400 ? UInt8(1) : 0 }
        let bits = volume.voxels.reduce(UInt64(0)) { $0 &+ UInt64($1.bitPattern) }
        say("VOLUME mask=\(mask.voxels.reduce(0) { $0 + Int($1) }) bits=\(bits)")

        let kernels: [(String, () -> Void)] = [
            ("gaussian", { sink += Double(Gaussian.smooth(volume, sigma: 1).voxels[12345]) }),
            ("components", { sink += Double(ConnectedComponents.label(mask, connectivity: .vertices26).count) }),
            ("closing", { sink += Double(Morphology.close(mask, radius: closingRadius).voxels[12345]) }),
            ("distance", { sink += Double(DistanceTransform.euclidean(mask).voxels[12345]) }),
            ("objectness", { sink += Double(Objectness.frangi(volume, sigmas: [1]).voxels[12345]) }),
        ]
        // Not compared with SimpleITK; timed only when named (`kernel-bench 2 regions resample`).
        var extras: [(String, () -> Void)] = []
        if only.contains("regions") {
            let (labels, count) = ConnectedComponents.label(mask, connectivity: .vertices26)
            extras.append(("regions", {
                sink += Regions.properties(labels: labels, count: count, intensity: volume).first?.maxDiameter3D ?? 0
            }))
        }
        extras.append(("resample", {
            let iso = Spacing(slice: 1, row: 1, column: 1)
            sink += Double(Resample.trilinear(volume, spacing: iso).voxels[12345])
        }))
        let extraNames = Set(extras.map(\.0))
        for (name, body) in kernels + extras where only.isEmpty ? !extraNames.contains(name) : only.contains(name) {
            let t = timed(runs, body)
            say("KERNEL \(name) \(String(format: "%.3f", t))")
        }
        if sink.isNaN { print("sink \(sink)") }
    }
}

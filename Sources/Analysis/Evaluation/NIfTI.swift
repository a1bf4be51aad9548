import Foundation
import Imaging

/// NIfTI-1 single-file (`.nii`) label volumes: what `truth.nii` and `autoseg run`'s
/// `labels.nii` are. Written as little-endian UINT16 with the voxel → patient transform in
/// the sform (NIfTI is RAS, DICOM LPS: x and y are negated); read back from UINT8/INT16/
/// UINT16/INT32/FLOAT32 files with an sform (or, without one, the pixdim spacing).
public enum NIfTI {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    static let headerSize = 348
    static let dataOffset = 352

    /// The bytes of a `.nii` file holding `v`.
    public static func encode(_ v: Volume<UInt16>, description: String = "AutoSeg labels") -> Data {
        var h = [UInt8](repeating: 0, count: dataOffset)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { raw in for (i, b) in raw.enumerated() { h[offset + i] = b } }
        }
        let d = v.dimensions, g = v.geometry, sp = g.spacing
        put(Int32(headerSize).littleEndian, at: 0)
        let dims: [Int16] = [3, Int16(d.columns), Int16(d.rows), Int16(d.slices), 1, 1, 1, 1]
        for (i, x) in dims.enumerated() { put(x.littleEndian, at: 40 + 2 * i) }
        put(Int16(512).littleEndian, at: 70)  // DT_UINT16
        put(Int16(16).littleEndian, at: 72)
        let pixdim: [Float] = [1, Float(sp.column), Float(sp.row), Float(sp.slice), 0, 0, 0, 0]
        for (i, x) in pixdim.enumerated() { put(x.bitPattern.littleEndian, at: 76 + 4 * i) }
        put(Float(dataOffset).bitPattern.littleEndian, at: 108)
        put(Float(1).bitPattern.littleEndian, at: 112)  // scl_slope
        h[123] = 2  // xyzt_units: mm
        for (i, b) in description.utf8.prefix(79).enumerated() { h[148 + i] = b }
        put(Int16(1).littleEndian, at: 254)  // sform_code: scanner
        // LPS → RAS: negate the x and y rows.
        let sign: [Double] = [-1, -1, 1]
        for axis in 0..<3 {
            let row: [Double] = [sign[axis] * g.columnDirection[axis] * sp.column, sign[axis] * g.rowDirection[axis] * sp.row,
                                 sign[axis] * g.sliceDirection[axis] * sp.slice, sign[axis] * g.origin[axis]]
            for (i, x) in row.enumerated() { put(Float(x).bitPattern.littleEndian, at: 280 + 16 * axis + 4 * i) }
        }
        for (i, b) in "n+1".utf8.enumerated() { h[344 + i] = b }
        var data = Data(h)
        v.voxels.withUnsafeBytes { data.append(contentsOf: $0) }  // little-endian hosts only (x86-64, arm64)
        return data
    }

    public static func write(_ v: Volume<UInt16>, to url: URL, description: String = "AutoSeg labels") throws {
        try encode(v, description: description).write(to: url, options: .atomic)
    }

    public static func read(_ url: URL) throws -> Volume<UInt16> {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw Error(description: "\(url.path): \(error.localizedDescription)") }
        return try decode(data, name: url.path)
    }

    public static func decode(_ data: Data, name: String = "NIfTI") throws -> Volume<UInt16> {
        let bytes = [UInt8](data)
        func fail(_ why: String) -> Error { Error(description: "\(name): \(why)") }
        guard bytes.count >= headerSize else { throw fail("shorter than a NIfTI-1 header") }
        func get<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            var x: T = 0
            withUnsafeMutableBytes(of: &x) { raw in for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[offset + i] } }
            return T(littleEndian: x)
        }
        func float(_ offset: Int) -> Double { Double(Float(bitPattern: get(UInt32.self, offset))) }
        guard get(Int32.self, 0) == Int32(headerSize) else { throw fail("not a little-endian NIfTI-1 file") }
        guard bytes[344] == 0x6E, bytes[345] == 0x2B || bytes[345] == 0x69, bytes[346] == 0x31 else {
            throw fail("bad NIfTI-1 magic")
        }
        let nd = Int(get(Int16.self, 40))
        guard (3...7).contains(nd) || nd == 2 else { throw fail("\(nd) dimensions; need 3") }
        let columns = Int(get(Int16.self, 42)), rows = Int(get(Int16.self, 44))
        let slices = nd >= 3 ? Int(get(Int16.self, 46)) : 1
        for extra in 4..<(max(4, nd + 1)) where extra <= 7 && Int(get(Int16.self, 40 + 2 * extra)) > 1 {
            throw fail("more than one volume")
        }
        guard columns > 0, rows > 0, slices > 0 else { throw fail("empty grid") }
        let dims = Dimensions(slices: slices, rows: rows, columns: columns)
        let datatype = get(Int16.self, 70)
        let offset = Int(float(108))
        let width: Int
        switch datatype {
        case 2: width = 1
        case 4, 512: width = 2
        case 8, 16: width = 4
        default: throw fail("datatype \(datatype) is not a label type (uint8, int16, uint16, int32, float32)")
        }
        guard offset >= headerSize, bytes.count >= offset + dims.count * width else { throw fail("truncated voxel data") }
        var voxels = [UInt16](repeating: 0, count: dims.count)
        for i in 0..<dims.count {
            let o = offset + i * width
            let v: Double
            switch datatype {
            case 2: v = Double(bytes[o])
            case 4: v = Double(get(Int16.self, o))
            case 512: v = Double(get(UInt16.self, o))
            case 8: v = Double(get(Int32.self, o))
            default: v = Double(Float(bitPattern: get(UInt32.self, o)))
            }
            guard v >= 0, v <= 65535, v == v.rounded() else { throw fail("voxel \(i) holds \(v), not a label") }
            voxels[i] = UInt16(v)
        }
        var spacing = Spacing(slice: float(88), row: float(84), column: float(80))
        var geometry = Geometry(spacing: spacing)
        if get(Int16.self, 254) > 0 {
            let sign: [Double] = [-1, -1, 1]
            var cols = SIMD3<Double>(), rowsV = SIMD3<Double>(), sl = SIMD3<Double>(), origin = SIMD3<Double>()
            for axis in 0..<3 {
                let base = 280 + 16 * axis
                cols[axis] = sign[axis] * float(base)
                rowsV[axis] = sign[axis] * float(base + 4)
                sl[axis] = sign[axis] * float(base + 8)
                origin[axis] = sign[axis] * float(base + 12)
            }
            func norm(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
            spacing = Spacing(slice: norm(sl), row: norm(rowsV), column: norm(cols))
            guard spacing.slice > 0, spacing.row > 0, spacing.column > 0 else { throw fail("degenerate sform") }
            geometry = Geometry(origin: origin, spacing: spacing, columnDirection: cols / spacing.column,
                                rowDirection: rowsV / spacing.row, sliceDirection: sl / spacing.slice)
        }
        return Volume(dimensions: dims, geometry: geometry, voxels: voxels)
    }
}

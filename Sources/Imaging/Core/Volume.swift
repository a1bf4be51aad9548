/// Voxel counts along the three axes, named as in DICOM: slice (k), row (j), column (i).
/// Linear index of (slice, row, column) is `(slice * rows + row) * columns + column`.
public struct Dimensions: Hashable, Sendable, CustomStringConvertible {
    public var slices: Int
    public var rows: Int
    public var columns: Int

    public init(slices: Int, rows: Int, columns: Int) {
        precondition(slices >= 0 && rows >= 0 && columns >= 0, "negative dimension")
        self.slices = slices
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { slices * rows * columns }
    public var sliceSize: Int { rows * columns }

    @inline(__always)
    public func index(_ slice: Int, _ row: Int, _ column: Int) -> Int {
        (slice * rows + row) * columns + column
    }

    @inline(__always)
    public func contains(_ slice: Int, _ row: Int, _ column: Int) -> Bool {
        slice >= 0 && slice < slices && row >= 0 && row < rows && column >= 0 && column < columns
    }

    public var description: String { "\(slices)×\(rows)×\(columns)" }
}

/// Physical spacing in millimetres between voxel centres along each axis.
public struct Spacing: Hashable, Sendable {
    public var slice: Double
    public var row: Double
    public var column: Double

    public init(slice: Double, row: Double, column: Double) {
        self.slice = slice
        self.row = row
        self.column = column
    }

    public static let isotropic1mm = Spacing(slice: 1, row: 1, column: 1)
    public var voxelVolume: Double { slice * row * column }
}

/// Where the voxel grid sits in the patient coordinate system (DICOM LPS, mm):
/// `point(s, r, c) = origin + c·column·columnDirection + r·row·rowDirection + s·slice·sliceDirection`.
/// `columnDirection` is the direction of increasing column index (ImageOrientationPatient
/// 0…2), `rowDirection` of increasing row index (IOP 3…5), `sliceDirection` of increasing
/// slice index (the slice normal, oriented by the sorted positions).
public struct Geometry: Hashable, Sendable {
    public var origin: SIMD3<Double>
    public var spacing: Spacing
    public var columnDirection: SIMD3<Double>
    public var rowDirection: SIMD3<Double>
    public var sliceDirection: SIMD3<Double>

    public init(origin: SIMD3<Double> = .zero, spacing: Spacing = .isotropic1mm,
                columnDirection: SIMD3<Double> = [1, 0, 0], rowDirection: SIMD3<Double> = [0, 1, 0],
                sliceDirection: SIMD3<Double> = [0, 0, 1]) {
        self.origin = origin
        self.spacing = spacing
        self.columnDirection = columnDirection
        self.rowDirection = rowDirection
        self.sliceDirection = sliceDirection
    }

    /// Patient coordinates (mm) of a (possibly fractional) index.
    public func point(slice: Double, row: Double, column: Double) -> SIMD3<Double> {
        origin + (column * spacing.column) * columnDirection + (row * spacing.row) * rowDirection
            + (slice * spacing.slice) * sliceDirection
    }

    /// Continuous (slice, row, column) index of a patient point: the exact inverse of
    /// `point` for any non-degenerate direction matrix (not only orthonormal ones).
    public func index(of p: SIMD3<Double>) -> (slice: Double, row: Double, column: Double) {
        let a = columnDirection * spacing.column
        let b = rowDirection * spacing.row
        let c = sliceDirection * spacing.slice
        let d = p - origin
        // Solve [a b c] x = d by Cramer's rule.
        func det(_ u: SIMD3<Double>, _ v: SIMD3<Double>, _ w: SIMD3<Double>) -> Double {
            u.x * (v.y * w.z - v.z * w.y) - v.x * (u.y * w.z - u.z * w.y) + w.x * (u.y * v.z - u.z * v.y)
        }
        let D = det(a, b, c)
        precondition(D != 0, "degenerate geometry")
        return (slice: det(a, b, d) / D, row: det(a, d, c) / D, column: det(d, b, c) / D)
    }
}

/// A 3D image: voxels in slice-major order plus its geometry. Pure value type; kernels
/// take and return volumes and never know about DICOM.
public struct Volume<Voxel: Sendable>: Sendable {
    public var dimensions: Dimensions
    public var geometry: Geometry
    public var voxels: [Voxel]

    public init(dimensions: Dimensions, geometry: Geometry = Geometry(), voxels: [Voxel]) {
        precondition(voxels.count == dimensions.count, "voxel count \(voxels.count) ≠ \(dimensions.count)")
        self.dimensions = dimensions
        self.geometry = geometry
        self.voxels = voxels
    }

    public init(dimensions: Dimensions, geometry: Geometry = Geometry(), repeating value: Voxel) {
        self.init(dimensions: dimensions, geometry: geometry,
                  voxels: [Voxel](repeating: value, count: dimensions.count))
    }

    public var spacing: Spacing { geometry.spacing }

    @inline(__always)
    public subscript(slice: Int, row: Int, column: Int) -> Voxel {
        get { voxels[dimensions.index(slice, row, column)] }
        set { voxels[dimensions.index(slice, row, column)] = newValue }
    }

    /// Same grid, other voxels.
    public func map<T: Sendable>(_ transform: (Voxel) throws -> T) rethrows -> Volume<T> {
        Volume<T>(dimensions: dimensions, geometry: geometry, voxels: try voxels.map(transform))
    }
}

/// A binary mask: 0 outside, 1 inside (UInt8 for memory and speed).
public typealias Mask = Volume<UInt8>

/// An inclusive box of voxel indices, axes named (slice, row, column).
///
/// A region with no voxels has the empty box `lower = (0, 0, 0)`, `upper = (-1, -1, -1)`.
public struct IndexBox: Hashable, Sendable, CustomStringConvertible {
    /// One corner of the box.
    public struct Corner: Hashable, Sendable {
        public var slice: Int
        public var row: Int
        public var column: Int

        public init(slice: Int, row: Int, column: Int) {
            self.slice = slice
            self.row = row
            self.column = column
        }
    }

    /// Smallest (slice, row, column) of the region, inclusive.
    public var lower: Corner
    /// Largest (slice, row, column) of the region, inclusive.
    public var upper: Corner

    public init(lower: Corner, upper: Corner) {
        self.lower = lower
        self.upper = upper
    }

    /// The box of a region without voxels.
    public static let empty = IndexBox(lower: Corner(slice: 0, row: 0, column: 0),
                                       upper: Corner(slice: -1, row: -1, column: -1))

    public var isEmpty: Bool { upper.slice < lower.slice || upper.row < lower.row || upper.column < lower.column }

    /// Voxel counts along each axis (zero for the empty box).
    public var dimensions: Dimensions {
        isEmpty ? Dimensions(slices: 0, rows: 0, columns: 0)
            : Dimensions(slices: upper.slice - lower.slice + 1, rows: upper.row - lower.row + 1,
                         columns: upper.column - lower.column + 1)
    }

    public var description: String {
        "[\(lower.slice)…\(upper.slice), \(lower.row)…\(upper.row), \(lower.column)…\(upper.column)]"
    }
}

/// Shape and intensity measurements of one labelled region, in physical units.
///
/// Conventions (scikit-image `regionprops` style, with physical spacing carried through):
/// - positions are voxel centres; distances are between voxel centres, measured through the
///   volume's `Geometry` (so oblique and anisotropic grids are handled exactly);
/// - "axial" means the acquisition plane: the (row, column) plane of one slice;
/// - statistics are population statistics (divide by the voxel count);
/// - a region without voxels has all values 0 and `IndexBox.empty`.
public struct RegionProperties: Sendable, Equatable {
    /// The label value this region has in the label volume (1 for a mask).
    public var label: Int32
    /// Number of voxels in the region.
    public var voxelCount: Int
    /// `voxelCount × slice·row·column spacing`, in mm³.
    public var volumeMM3: Double
    /// `volumeMM3 / 1000`, in millilitres.
    public var volumeML: Double
    /// Mean of the voxel centres, in patient coordinates (mm).
    public var centroid: SIMD3<Double>
    /// The smallest index box holding the region.
    public var boundingBox: IndexBox
    /// Full axis lengths (mm) of the ellipsoid with the same second moments as the voxel centres:
    /// `4·sqrt(λ)` for the eigenvalues λ of their (population) covariance in patient mm, sorted
    /// descending. A single voxel has `(0, 0, 0)`; a line of voxels has one non-zero length.
    public var principalAxesLengths: SIMD3<Double>
    /// Largest distance (mm) between the centres of two voxels of the region (exact; see
    /// `FeretDiameter`). It is attained on surface voxels.
    public var maxDiameter3D: Double
    // Long and short axis: `AxialDiameters` (caliper edge to edge on the slice of greatest
    // in-plane extent, as radiologists measure), the one definition every analyzer reports.
    /// Intensity statistics over the region's voxels (0 when no intensity volume is given).
    public var mean: Double
    /// Population standard deviation of the intensity.
    public var standardDeviation: Double
    public var minimum: Double
    public var maximum: Double

    /// An all-zero record for `label` (a region without voxels).
    public static func empty(label: Int32) -> RegionProperties {
        RegionProperties(label: label, voxelCount: 0, volumeMM3: 0, volumeML: 0, centroid: .zero,
                         boundingBox: .empty, principalAxesLengths: .zero, maxDiameter3D: 0,
                         mean: 0, standardDeviation: 0,
                         minimum: 0, maximum: 0)
    }
}

import Imaging

/// The source's image planes as a SEG (Plane Orientation, Pixel Measures) and an SR image
/// library describe them: size, orientation, pixel spacing, thickness.
public struct ImagePlane: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// ImageOrientationPatient 0…2: direction of increasing column index.
    public var rowCosines: SIMD3<Double>
    /// ImageOrientationPatient 3…5: direction of increasing row index.
    public var columnCosines: SIMD3<Double>
    /// PixelSpacing: between rows (mm).
    public var rowSpacing: Double
    /// PixelSpacing: between columns (mm).
    public var columnSpacing: Double
    /// SliceThickness (mm); the SR leaves it out when not positive.
    public var sliceThickness: Double
    /// SpacingBetweenSlices (mm, SEG only).
    public var spacingBetweenSlices: Double

    public init(rows: Int, columns: Int, rowCosines: SIMD3<Double>, columnCosines: SIMD3<Double>, rowSpacing: Double,
                columnSpacing: Double, sliceThickness: Double, spacingBetweenSlices: Double) {
        self.rows = rows
        self.columns = columns
        self.rowCosines = rowCosines
        self.columnCosines = columnCosines
        self.rowSpacing = rowSpacing
        self.columnSpacing = columnSpacing
        self.sliceThickness = sliceThickness
        self.spacingBetweenSlices = spacingBetweenSlices
    }

    /// The planes of a volume's grid, with the thickness the source states.
    public init(geometry g: Geometry, dimensions d: Dimensions, sliceThickness: Double) {
        self.init(rows: d.rows, columns: d.columns, rowCosines: g.columnDirection, columnCosines: g.rowDirection,
                  rowSpacing: g.spacing.row, columnSpacing: g.spacing.column, sliceThickness: sliceThickness,
                  spacingBetweenSlices: g.spacing.slice)
    }

    /// The grid size fits DICOM's US Rows/Columns.
    func check(_ what: String) throws(DICOMError) {
        guard rows > 0, columns > 0, rows <= Int(UInt16.max), columns <= Int(UInt16.max) else {
            throw DICOMError(.invalidInput, "\(what): \(rows)×\(columns) planes cannot be encoded")
        }
    }

    var orientation: (Double, Double, Double, Double, Double, Double) {
        (rowCosines.x, rowCosines.y, rowCosines.z, columnCosines.x, columnCosines.y, columnCosines.z)
    }
}

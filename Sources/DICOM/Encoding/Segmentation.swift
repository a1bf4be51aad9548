import Imaging

/// A BINARY DICOM Segmentation on the source grid (DESIGN §7), as `write(to:study:)` encodes
/// it through DCMTK's dcmseg: the source's rows, columns, orientation and pixel spacing; one
/// frame per segment and source slice that holds any of its voxels (empty frames omitted), each
/// at its source slice's stated position with a derivation reference to that slice (and frame,
/// for multi-frame sources); every source instance once in the ReferencedSeriesSequence.
public struct Segmentation: Sendable {
    /// One segment. Segments are numbered 1, 2, … in the order of `segments`.
    public struct Segment: Sendable {
        /// Written as its first 64 characters (LO).
        public var label: String
        public var description: String
        public var category: Code
        public var type: Code
        public var anatomicRegion: Code?
        /// Laterality of the anatomic region.
        public var anatomicRegionModifier: Code?
        public var algorithmName: String
        public var algorithmVersion: String
        public var algorithmFamily: Code
        public var trackingID: String
        public var trackingUID: String
        /// Recommended display colour (sRGB).
        public var color: SIMD3<UInt8>
        /// The box of the source grid that holds the segment's voxels.
        public var box: IndexBox
        /// The box's voxels, 0 or not, slice-major like any `Volume`.
        public var voxels: [UInt8]

        public init(label: String, description: String, category: Code, type: Code, anatomicRegion: Code?,
                    anatomicRegionModifier: Code?, algorithmName: String, algorithmVersion: String,
                    algorithmFamily: Code, trackingID: String, trackingUID: String, color: SIMD3<UInt8>,
                    box: IndexBox, voxels: [UInt8]) {
            self.label = label
            self.description = description
            self.category = category
            self.type = type
            self.anatomicRegion = anatomicRegion
            self.anatomicRegionModifier = anatomicRegionModifier
            self.algorithmName = algorithmName
            self.algorithmVersion = algorithmVersion
            self.algorithmFamily = algorithmFamily
            self.trackingID = trackingID
            self.trackingUID = trackingUID
            self.color = color
            self.box = box
            self.voxels = voxels
        }
    }

    public var identity: ResultIdentity
    /// Content Label (CS).
    public var contentLabel: String
    public var contentDescription: String
    public var frameOfReferenceUID: String
    public var dimensionOrganizationUID: String
    public var sourceSeriesUID: String
    public var plane: ImagePlane
    /// The source slices in volume order (a segment's box indexes them).
    public var sources: [SliceSource]
    public var segments: [Segment]
    /// SegmentsOverlap: whether any voxel is in two segments.
    public var segmentsOverlap: Bool

    public init(identity: ResultIdentity, contentLabel: String, contentDescription: String, frameOfReferenceUID: String,
                dimensionOrganizationUID: String, sourceSeriesUID: String, plane: ImagePlane, sources: [SliceSource],
                segments: [Segment], segmentsOverlap: Bool) {
        self.identity = identity
        self.contentLabel = contentLabel
        self.contentDescription = contentDescription
        self.frameOfReferenceUID = frameOfReferenceUID
        self.dimensionOrganizationUID = dimensionOrganizationUID
        self.sourceSeriesUID = sourceSeriesUID
        self.plane = plane
        self.sources = sources
        self.segments = segments
        self.segmentsOverlap = segmentsOverlap
    }
}

import Imaging

/// Where one slice of a loaded volume came from: what a SEG needs to reference it
/// (ReferencedSOPClassUID, ReferencedSOPInstanceUID, ReferencedFrameNumber) and place it.
public struct SliceSource: Sendable, Hashable {
    public var path: String
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// 1-based frame number within the instance (1 for single-frame images).
    public var frameNumber: Int
    /// True when the instance has more than one frame (reference it with `frameNumber`).
    public var isMultiFrame: Bool
    /// ImagePositionPatient of the slice as the source states it (mm), not as the volume's
    /// regular grid predicts it: a SEG frame placed here sits exactly on its source image even
    /// when the spacing is slightly irregular.
    public var position: SIMD3<Double>
}

/// A series loaded as one volume, slices in order along the slice normal.
public struct LoadedVolume: Sendable {
    /// Rescaled voxel values (HU for CT) and geometry: origin is the ImagePositionPatient of
    /// slice 0, `sliceDirection` points from slice 0 towards the last slice.
    public var volume: Volume<Float>
    public var seriesInstanceUID: String
    public var modality: String
    /// Source of each slice, indexed like the volume's slice axis.
    public var sources: [SliceSource]
    /// "HU" for CT, else the RescaleType (unless "US"), else Units (PET), else "stored value".
    public var units: String
    /// What was accepted but is worth knowing (gaps loaded with `allowGaps`, irregular
    /// spacing, in-plane shifts between slices, gantry tilt).
    public var warnings: [String]
    /// The cleaned patient/study attributes of the series (from the first file given to the
    /// loader) and the facts results need; read with the headers, so results never re-open
    /// a source file.
    public var study: StudyAttributes

    /// SOP Instance UID of each slice, in slice order.
    public var sopInstanceUIDs: [String] { sources.map(\.sopInstanceUID) }
}

import Imaging

/// A candidate segmented at full resolution and accepted as a nodule.
struct SegmentedNodule: Sendable {
    var box: IndexBox
    /// The nodule in `box` (box-local grid).
    var mask: Mask
    var properties: RegionProperties
    /// Parenchyma HU around it, HU of its outer plateau, the threshold between them.
    var background: Double, plateau: Double, threshold: Double
    /// Inscribed radius of the thresholded object (mm), radius of the thickest tube attached to
    /// it (mm, 0 if none), and the opening radius that cut the tubes off.
    var innerRadius: Double, tubeRadius: Double, openingRadius: Double
    var elongation: Double
    var sphericity: Double
    /// Whether the outer plateau is solid (≥ −350 HU) rather than ground glass.
    var solidPlateau: Bool
    /// Equivalent diameter (mm) of the largest solid (> −300 HU) component inside, 0 if none.
    var solidDiameter: Double
    var candidate: NoduleCandidate
    /// The radial profile (median HU per shell) up to a few shells past the edge.
    var profile: [Double]
    /// Width (mm) of the ground-glass band in the profile, radius of the edge (mm).
    var bandWidth: Double, edgeRadius: Double
}

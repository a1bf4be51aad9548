import Foundation
import Imaging

/// The false-positive rules for real anatomy (issue 12), each named in the debug listing when it
/// rejects a candidate, and the features printed for every accepted one:
/// - **vessel haze taken for ground glass**: ground glass proper must lie beyond a vessel's
///   partial-volume halo, which across thick slices reaches half the slice thickness
///   (`haloReach(sliceMM:)`): small vessels crossing or branching on 2.5 mm slices;
/// - **haze below ground glass around a solid part**: a "part-solid" object whose ground glass
///   is fainter than ground glass proper (`groundGlassFloor`) is vessels in their own
///   partial-volume and perfusion haze (perihilar, where vessels are large and packed);
/// - **part of the wall**: most of its surface against tissue outside the closed lung mask
///   (`maxWallContact`): the apex's tip in its last slices.
///
/// Vessel continuity (`VesselContinuity`: the vessels crossing a shell 2–4 mm outside the
/// object, with their calibres) is printed as a diagnostic, not a rule: on the real cases the
/// branch-point false positives were ground-glass haze a little larger than the vessels around
/// it (crossings 0.7–1.4 mm against an inscribed radius of 2.5–2.9 mm), as a true nodule's
/// spiculae and feeding vessels are (2.0–2.5 mm against 9.1 mm): no Murray-like split to test.
extension NoduleSegmenter {
    /// How far (mm) a vessel's partial-volume halo reaches beyond its solid part: in-plane about
    /// 1 mm (the scanner's blur and the 0.6 mm smoothing), across slices half the slice
    /// thickness (a vessel in part of a slice brightens the whole voxel) plus the smoothing.
    /// Ground glass proper must lie beyond it; with a fixed 1 mm, the haze of small vessels
    /// crossing or branching on 2.5 mm slices passed as ground glass (lidc-0001).
    static let inPlaneHaloReach = 1.0, smoothingSigma = 0.6
    static func haloReach(sliceMM: Double) -> Double { max(inPlaneHaloReach, 0.5 * sliceMM + smoothingSigma) }
    /// Largest share of a nodule's surface against tissue outside the (closed) lung mask. A
    /// nodule lies in the lung: even a broad-based juxtapleural one, a hemisphere on the pleura,
    /// has a third of its surface there (a juxtamediastinal nodule cut by the mask less). A spot
    /// mostly bounded by the wall is the wall's own partial volume where the lung ends in a tip
    /// (the apex in its last slices, a costophrenic recess), not a lesion.
    static let maxWallContact = 0.5
    /// Equivalent diameter (mm) of a subsolid nodule's solid part from which it is part-solid
    /// (`NoduleReport.category`): about two in-plane voxels, below which the solid part is noise.
    static let solidComponentMinimum = 1.5

    /// The debug listing's feature line for an accepted candidate.
    static func printFeatures(_ nodule: Mask, _ b: NoduleBox, cand: NoduleCandidate, hulls: LungHulls, innerRadius: Double,
                              tube: Double, elongation: Double, wall: Double, plateau: Double, solidPlateau: Bool) {
        let x = VesselContinuity.crossings(nodule, b)
        print("      crossings (radius mm/voxels):", x.map { String(format: "%.1f/%d", $0.radius, $0.voxels) }.joined(separator: " "),
              "| inscribed radius \(fmt(innerRadius)) tube \(fmt(tube)) axis ratio \(fmt(elongation))",
              "hull depth \(fmt(hulls.depth(cand.position))) wall contact " + String(format: "%.2f", wall),
              "plateau \(fmt(plateau)) solid part \(fmt(solidPlateau ? 0 : solidDiameter(nodule, b))) mm")
    }
}

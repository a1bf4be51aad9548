import Foundation
import Imaging

/// The tube rules of `NoduleSegmenter` for an object on the mediastinum (issue 12). A ball cut by
/// the mediastinal boundary touches the lung mask's cut face along its whole base; the opening
/// that separates vessels leaves there a rim of partial volume and mask-grid mismatch (the lung
/// mask is on a 1.4 mm grid) that runs *along* the boundary and reads as a tube as thick as the
/// cap is high. A vessel leaves an object *into* the lung. So, for an object against the
/// mediastinum, a structure counts as a tube only where its inscribed ball stays clear of the
/// lung boundary by a voxel (`freeThickness`): the contact rim does not, a vessel running into
/// the lung does. The nodule is then compared with those tubes by the radius of the ball it was
/// cut from (`MediastinalCap.radius`, the visible part mirrored across the cut face), not its
/// cap's inscribed radius (half that at half embedded): a vessel root at the hilum, its
/// branches opened off, is a stub as thick as the vessel it continues into, and stays rejected.
extension NoduleSegmenter {
    /// The mediastinal contact test's depth (mm) inside the lungs' hull: the costal and
    /// paravertebral wall lie on or near the hull, the mediastinum and hila well inside it.
    static let mediastinalHullDepth = 5.0

    /// Thickest inscribed radius (mm, from `edt`) over the voxels of `m` in `region` whose
    /// inscribed ball stays a voxel clear of the lung boundary (`toBoundary`: each voxel's
    /// distance to the nearest non-lung voxel).
    static func freeThickness(_ m: Mask, edt: [Float], toBoundary: [Float], voxel: Double,
                              in region: (Int) -> Bool) -> Double {
        var thickest: Float = 0
        let margin = Float(voxel)
        for i in 0..<m.voxels.count where m.voxels[i] != 0 && edt[i] > thickest && toBoundary[i] > edt[i] + margin && region(i) {
            thickest = edt[i]
        }
        return Double(thickest)
    }
}

/// A segmented nodule (after vessel separation) against the mediastinum judged as the ball it
/// was cut from: its cap fit (`MediastinalCap` on the separated nodule, not on the thresholded
/// object with its vessels) and the thickest tube cut off from it that runs into the lung.
struct MediastinalCut: Sendable, CustomStringConvertible {
    var cap: MediastinalCap
    /// Thickest inscribed radius (mm) of what the opening cut off, clear of the lung boundary.
    var freeTube: Double
    /// The separated nodule's axis ratio.
    var elongation: Double
    /// Most the nodule's axis ratio may exceed its clipped ball's (both on the same voxels, so
    /// the grid's own distortion cancels): a ball segmented to within a voxel at its margin
    /// keeps its clipped ball's proportions to about a tenth; a vessel's stub with a cap-like
    /// end is longer than the ball fitted to that end (on lidc-0001/0002 the stubs a sixth or
    /// more cut read 1.98–2.12 against 1.26–1.51 for their clipped balls).
    static let elongationTolerance = 0.25

    /// Largest share of the fitted ball in the lung for the rebuild: the cut must take at least
    /// about a sixth of the ball. Less embedded, the visible part is nearly the whole ball (axis
    /// ratio ≤ 1.2, inscribed radius ≥ 0.8 of the ball's): the ordinary round and tube tests
    /// judge it as they judge a free-standing nodule, and a hilar vessel's bulge with a small
    /// contact is not excused (on the real cases such bulges fit balls 90 % in the lung).
    static let maximumVisibleShare = 0.85
    /// Least radius (mm) of the rebuilt ball: a 6 mm nodule, from which a solid nodule is
    /// followed up (Fleischner 2017; Lung-RADS v2022 category 3). Smaller caps on the mediastinum
    /// are as round as the cut ends of the hilar vessels and go unreported anyway.
    static let minimumRadius = 3.0

    /// A ball cut by the boundary (a sixth or more embedded, 6 mm or more), clearly thicker than
    /// any vessel leaving it into the lung (the tube rule of `NoduleSegmenter` on the rebuilt
    /// ball's radius): a hilar vessel's stub is as thick as the vessel it continues into.
    var isNodule: Bool {
        cap.isNodule && cap.visibleShare <= Self.maximumVisibleShare && cap.radius >= Self.minimumRadius
            && elongation <= cap.clippedElongation + Self.elongationTolerance
            && (freeTube == 0 || (cap.radius >= NoduleSegmenter.tubeRatio * freeTube
                && cap.radius >= freeTube + NoduleSegmenter.minimumMargin))
    }

    var description: String {
        "separated \(cap), axis ratio \(String(format: "%.2f", elongation)) vs clipped ball's "
            + "\(String(format: "%.2f", cap.clippedElongation)), free tube \(NoduleSegmenter.fmt(freeTube)) mm"
    }

    /// nil unless `nodule` is against the mediastinum and a sphere fits its lung-side surface.
    /// `tubes`: the voxels where the segmenter measures cut-off tubes; `edt`: their thickness.
    /// `toBoundary`: the box's distance to the lung boundary (`NoduleSegmenter.freeThickness`).
    init?(nodule: Mask, object: Mask, _ b: NoduleBox, _ hulls: LungHulls, lungs: Volume<UInt8>, edt: [Float],
          toBoundary: () -> [Float], tubes: (Int) -> Bool) {
        guard NoduleSegmenter.mediastinalContact(nodule, b, hulls), let cap = MediastinalCap(nodule, b, lungs: lungs, hulls: hulls)
        else { return nil }
        self.cap = cap
        elongation = NoduleSegmenter.elongation(nodule)
        freeTube = NoduleSegmenter.freeThickness(object, edt: edt, toBoundary: toBoundary(),
                                                 voxel: max(b.spacing.row, b.spacing.column)) { nodule.voxels[$0] == 0 && tubes($0) }
        if NoduleSegmenter.debug { print("      \(self)") }
    }

}

extension NoduleSegmenter {
    /// The quick vessel test's exception for an object against the mediastinum (the caller
    /// checks the contact): what leaves its radial edge *into the lung* (clear of the boundary)
    /// is thinner than it by the test's own ratio; what leaves along the boundary is the contact rim.
    static func leavesOnlyAlongMediastinum(_ object: Mask, _ b: NoduleBox, edt: [Float], toBoundary: [Float],
                                           innerRadius: Double, ratio: Double, shell: (Int) -> Bool) -> Bool {
        let free = freeThickness(object, edt: edt, toBoundary: toBoundary,
                                 voxel: max(b.spacing.row, b.spacing.column), in: shell)
        if debug { print("      leaving into the lung (clear of the mediastinal boundary): \(fmt(free)) mm") }
        return innerRadius >= ratio * free
    }
}

/// A value computed at most once, on first use (per candidate, for fits and distance maps that
/// several rules of the segmenter may ask for, or none).
struct Memo<Value> {
    private var done: Value?
    mutating func value(_ make: () -> Value) -> Value {
        if let done { return done }
        let v = make()
        done = v
        return v
    }
}

/// From per-image measurements to regions and a contrast phase, on anatomy proportions and HU
/// physics (no value fitted to a case):
/// - **chest**: aerated lung (enclosed air of parenchymal density) fills ≥ 10 % of the body's
///   cross-section (20–50 % at mid-chest; a bowel gas bubble is far less) in at least two
///   probed images and a third of those with a body;
/// - **abdomen**: a liver (an eroded soft-tissue region in the patient's right half, ≥ 6 % of
///   the body; a liver is 15–30 % of the abdomen's cross-section, a muscle after 5 mm erosion a
///   few %) in a third of the images without aerated lung (< 5 %: below the diaphragm); or a
///   liver in any image of a series mostly (≥ half) of trunk below the lungs (≥ 300 cm² of
///   body, an adult trunk; a head is 150–250 cm²): in an abdomen–pelvis CT the liver fills only
///   the upper third, while a chest CT that reaches the liver dome has few images without lung;
/// - **head**: a closed bone ring enclosing ≥ 50 % of the body with brain density (0–80 HU)
///   inside, in two images and a third of those with a body;
/// - **phase** (a trunk CT): an enhanced round vessel (aorta, IVC, portal vein, > 130 HU) in
///   at least two images and a third of the trunk's: contrast; arterial when that blood is
///   ≥ 150 HU brighter than the liver (the parenchyma enhances through the portal vein, later)
///   or ≥ 250 HU without a liver in view; else portal-venous. No such vessel: non-contrast,
///   unless the liver itself is enhanced (≥ 90 HU; unenhanced liver is 50–70 HU).
enum ContentDecision {
    static let minimumBodyMM2 = 2000.0
    static let trunkMM2 = 30000.0
    static let lungSliceFraction = 0.10
    static let belowLungsFraction = 0.05
    static let liverSliceFraction = 0.06
    static let liverHU = 30.0 ... 200.0
    static let skullSliceFraction = 0.5
    static let brainHU = 0.0 ... 80.0
    static let arterialGapHU = 150.0
    static let arterialWithoutLiverHU = 250.0
    static let enhancedLiverHU = 90.0

    static func decide(_ all: [SliceMeasures]) -> ContentFindings {
        var out = ContentFindings()
        out.slices = all.count
        out.images = all.map(\.text)
        let body = all.filter { $0.bodyArea >= minimumBodyMM2 }
        let n = body.count
        func enough(_ k: Int, _ share: Double) -> Bool { k >= 2 && Double(k) >= share * Double(n) }
        func add(_ name: String, _ value: Double, _ unit: String = "") {
            out.measurements.append(ContentMeasurement(name: name, value: value, unit: unit))
        }
        add("images with a body", Double(n))
        guard n > 0 else {
            out.evidence.append("no body in the probed images")
            return out
        }

        let lung = body.filter { $0.lungFraction >= lungSliceFraction }
        let lungShare = lung.isEmpty ? 0 : median(lung.map { Float($0.lungFraction) })
        add("lung images", Double(lung.count))
        add("lung share of body", 100 * lungShare, "%")
        add("lung median", lung.isEmpty ? 0 : median(lung.map { Float($0.lungMedianHU) }), "HU")
        if enough(lung.count, 1.0 / 3) { out.regions.append(.chest) }
        out.evidence.append("aerated lung (≥ 10 % of body) in \(lung.count)/\(n) images"
                            + (lung.isEmpty ? "" : String(format: ", median %.0f %% of body", 100 * lungShare)))

        let liver = body.filter { $0.liverFraction >= liverSliceFraction && liverHU.contains($0.liverMedianHU) }
        let below = liver.filter { $0.lungFraction < belowLungsFraction }
        let liverMedian = liver.isEmpty ? nil : median(liver.map { Float($0.liverMedianHU) })
        add("liver images", Double(liver.count))
        add("liver images below the lungs", Double(below.count))
        if let liverMedian { add("liver median", liverMedian, "HU") }
        let lowerTrunk = body.filter { $0.bodyArea >= trunkMM2 && $0.lungFraction < belowLungsFraction
                                       && $0.skullFraction < skullSliceFraction }
        add("trunk images below the lungs", Double(lowerTrunk.count))
        if enough(below.count, 1.0 / 3) || (!liver.isEmpty && 2 * lowerTrunk.count >= n) { out.regions.append(.abdomen) }
        out.evidence.append("liver in \(liver.count)/\(n) images (\(below.count) below the lungs)"
                            + (liverMedian.map { String(format: ", %.0f HU", $0) } ?? "")
                            + ", trunk below the lungs in \(lowerTrunk.count)/\(n)")

        let head = body.filter { $0.skullFraction >= skullSliceFraction && brainHU.contains($0.skullInnerMedianHU) }
        add("skull images", Double(head.count))
        if enough(head.count, 1.0 / 3) { out.regions.append(.head) }
        if !head.isEmpty { out.evidence.append("bone ring around brain density in \(head.count)/\(n) images") }

        // Phase, for a trunk CT only.
        let trunk = body.filter { $0.lungFraction >= lungSliceFraction || $0.liverFraction >= liverSliceFraction
                                  || $0.vesselHU != nil }
        guard out.regions.contains(.chest) || out.regions.contains(.abdomen) else { return out }
        let vessels = trunk.compactMap(\.vesselHU)
        add("enhanced vessel images", Double(vessels.count))
        if vessels.count >= 2 && 3 * vessels.count >= trunk.count {
            let blood = median(vessels.map { Float($0) })
            add("enhanced vessel", blood, "HU")
            if let liverMedian {
                out.phase = blood - liverMedian >= arterialGapHU ? .arterial : .portalVenous
                out.evidence.append(String(format: "enhanced vessel %.0f HU in %d/%d trunk images, liver %.0f HU",
                                           blood, vessels.count, trunk.count, liverMedian))
            } else {
                out.phase = blood >= arterialWithoutLiverHU ? .arterial : .portalVenous
                out.evidence.append(String(format: "enhanced vessel %.0f HU in %d/%d trunk images, no liver in view",
                                           blood, vessels.count, trunk.count))
            }
        } else if let liverMedian, liverMedian >= enhancedLiverHU {
            out.phase = .portalVenous
            out.evidence.append(String(format: "no enhanced vessel, liver enhanced at %.0f HU", liverMedian))
        } else {
            out.phase = ContrastPhase.none
            out.evidence.append("no enhanced vessel in \(vessels.count)/\(trunk.count) trunk images"
                                + (liverMedian.map { String(format: ", liver %.0f HU", $0) } ?? ""))
        }
        return out
    }
}

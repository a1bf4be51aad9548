import Foundation
import Imaging

/// The infarct phantom's truth under the ISLES convention: the whole DWI lesion.
///
/// The phantom's own label 1 is the ADC < 620 region (the RAPID core, which the ADC map alone
/// and CT perfusion are judged on). Its lesion is more than that: the 640–700 rim around it is
/// restricted tissue too, and where the rim lies in grey matter (normal ADC ≈ 800) its DWI is
/// plainly bright (exp(b · 140 × 10⁻⁶) × the T2 gain ≈ 1.2–1.3). Experts outlining an acute
/// infarct on DWI (ISLES'22, the usual manual core of trials) draw the whole hyperintense
/// lesion, rim included; the same rim in white matter (normal ADC ≈ 700) barely changes the
/// DWI and is not drawn. So the DWI truth is the core plus the tissue connected to it whose
/// noise-free DWI is raised by at least `visibleRatio` over the same voxel without the lesion.
enum InfarctDWITruth {
    /// Least rise of the noise-free b1000 signal over the lesion-free one for a voxel to be
    /// part of the visible DWI lesion: 10 %, two to three times the phantom trace's noise SD
    /// (3–5 % of white matter), the contrast at which a region of a few dozen voxels is plainly
    /// seen (Rose: contrast-to-noise × √area ≥ 5), and below the 1.2–1.3 of the grey-matter rim.
    static let visibleRatio: Float = 1.1

    /// Labels with label 1 grown from the core (`labels` == 1) over the 26-connected voxels
    /// where `lesionDWI` ≥ `visibleRatio` × `normalDWI`; label 2 (hypoperfused) elsewhere kept.
    static func labels(_ labels: Volume<UInt16>, lesionDWI: [Float], normalDWI: [Float]) -> Volume<UInt16> {
        var visible = Mask(dimensions: labels.dimensions, geometry: labels.geometry, repeating: 0)
        for i in 0..<labels.voxels.count
        where labels.voxels[i] == 1 || (normalDWI[i] > 0 && lesionDWI[i] >= visibleRatio * normalDWI[i]) {
            visible.voxels[i] = 1
        }
        let (components, _) = ConnectedComponents.label(visible, connectivity: .vertices26)
        var cored = Set<Int32>()
        for i in 0..<labels.voxels.count where labels.voxels[i] == 1 { cored.insert(components.voxels[i]) }
        var out = labels
        for i in 0..<out.voxels.count where visible.voxels[i] != 0 && cored.contains(components.voxels[i]) { out.voxels[i] = 1 }
        return out
    }
}

import Foundation
import Imaging

extension InfarctDiffusion {
    /// Seeded hysteresis: the DWI-hyperintense region around restricted seeds. A reader calls a
    /// DWI-bright focus an infarct when the ADC map shows restriction in it, then outlines the
    /// whole DWI lesion: its rim (partial volume with normal tissue and CSF) is bright but its
    /// ADC is no longer clearly low, and in a small cortical lesion that rim is most of it.
    /// Bright tissue with too few seeds is T2 shine-through, a normal bright structure or noise.
    enum Growth {
        /// Least seeds in a component: fewer is one or two noisy voxels (a 0.1 mL lesion at 2 mm
        /// has 12 voxels, a third of them restricted at least).
        static let minimumSeeds = 3
        /// Least share of a component's voxels that are seeds: a wide bright region (coil
        /// shading, T2 shine-through, an EPI artefact) touched by a few restricted voxels is not
        /// an infarct; the rim of a real one (one voxel around a small core) is at most about
        /// nine times the core.
        static let seedShare = 0.1


        /// The 6-connected components of `within` holding at least `minimumSeeds` voxels of
        /// `seeds` and `seedShare` of their own. A component that holds part of the RAPID region
        /// (`rapidRegion`: ADC < 620 after the noise-robust smoothing, components ≥ 0.1 mL, so
        /// not a few noise dips in a lesion at ADC 650) keeps its `rapidCore` voxels only (ADC
        /// < 620 confirmed by the DWI, or plainly bright at a lowered ADC): once the restricted tissue itself reaches ADC < 620, the
        /// 620 iso-contour lies in tissue, not in partial volume, and is the established core
        /// boundary (RAPID, DEFUSE 3); the DWI-bright shell outside it (ADC 620–750) is the
        /// core's edge zone, not core. Only lesions that never reach it (small cortical and
        /// lacunar infarcts, whose ADC partial volume with CSF stays above 620) take their
        /// extent from the DWI.
        static func grow(seeds: Mask, within bright: Mask, rapidCore: Mask, rapidRegion: Mask) -> Mask {
            let (labels, count) = ConnectedComponents.label(bright, connectivity: .faces6)
            var total = [Int](repeating: 0, count: count + 1), seeded = total, cored = total
            for i in 0..<labels.voxels.count where labels.voxels[i] > 0 {
                let k = Int(labels.voxels[i])
                total[k] += 1
                if seeds.voxels[i] != 0 { seeded[k] += 1 }
                if rapidCore.voxels[i] != 0 && rapidRegion.voxels[i] != 0 { cored[k] += 1 }
            }
            var out = Mask(dimensions: bright.dimensions, geometry: bright.geometry, repeating: 0)
            for i in 0..<labels.voxels.count where labels.voxels[i] > 0 {
                let k = Int(labels.voxels[i])
                guard seeded[k] >= minimumSeeds && Double(seeded[k]) >= seedShare * Double(total[k]) else { continue }
                if cored[k] == 0 || rapidCore.voxels[i] != 0 { out.voxels[i] = 1 }
            }
            return out
        }
    }
}

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
        /// Least voxels in a connected piece of the ADC < 620 region for its component to count
        /// as a dense core: a ball of radius 3 voxels, (4/3)π · 3³ ≈ 113. Two reasons, both
        /// about size. The 620 iso-contour is a tissue boundary only where the core is wider than
        /// the zone the point spread and partial volume blur (≈ 1.5 voxels each side of an
        /// edge): narrower, its < 620 part is the blurred middle of a lesion whose DWI extent is
        /// the boundary (a 0.9 mL deep lesion at ADC 460 on 2 mm voxels). And detectability grows
        /// with the square root of a region's voxel count: N voxels whose ADC lies δ below 620
        /// stand out of noise of SD σ by δ√N/σ, so pieces of a few voxels (noise dips of a
        /// lesion whose ADC stays above 620: 1–3 voxels in a 34 mL lesion at 660 on the real
        /// map) carry no evidence of a core, while 113 voxels resolve δ ≈ σ/3.5 at 3 SD.
        static let coherentVoxels = 113

        /// The coherent part of the RAPID region: voxels both in `rapidCore` (ADC < 620
        /// confirmed by the DWI, or plainly bright at a lowered ADC) and in `rapidRegion`
        /// (ADC < 620 after the noise-robust smoothing), in 6-connected pieces of at least
        /// `coherentVoxels`.
        static func denseCore(_ rapidCore: Mask, rapidRegion: Mask) -> Mask {
            var m = rapidCore
            for i in 0..<m.voxels.count where rapidRegion.voxels[i] == 0 { m.voxels[i] = 0 }
            let (labels, count) = ConnectedComponents.label(m, connectivity: .faces6)
            let sizes = ConnectedComponents.sizes(labels, count: count)
            for i in 0..<m.voxels.count where m.voxels[i] != 0 && sizes[Int(labels.voxels[i])] < coherentVoxels { m.voxels[i] = 0 }
            return m
        }

        /// The 6-connected components of `within` holding at least `minimumSeeds` voxels of
        /// `seeds` and `seedShare` of their own. A component that holds a piece of `denseCore`
        /// keeps its `rapidCore` voxels only: once the restricted tissue itself reaches
        /// ADC < 620 over a coherent region, the 620 iso-contour lies in tissue, not in partial
        /// volume, and is the established core boundary (RAPID, DEFUSE 3); the DWI-bright shell
        /// outside it (ADC 620–750) is the core's edge zone. Lesions that never reach it over a
        /// coherent region (small cortical and lacunar infarcts, whose ADC partial volume with
        /// CSF stays above 620; faint ones whose noise dips below it) take their DWI extent.
        static func grow(seeds: Mask, within bright: Mask, rapidCore: Mask, denseCore: Mask) -> Mask {
            let (labels, count) = ConnectedComponents.label(bright, connectivity: .faces6)
            var total = [Int](repeating: 0, count: count + 1), seeded = total, cored = total
            for i in 0..<labels.voxels.count where labels.voxels[i] > 0 {
                let k = Int(labels.voxels[i])
                total[k] += 1
                if seeds.voxels[i] != 0 { seeded[k] += 1 }
                if denseCore.voxels[i] != 0 { cored[k] += 1 }
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

import Foundation
import Imaging

extension InfarctDiffusion {
    /// Bilateral symmetry of DWI hyperintensity. An arterial infarct is one-sided at any one
    /// place; susceptibility pile-up beside the paired mastoid and petrous air cells, the
    /// sphenoid and frontal sinuses (temporal poles, orbitofrontal cortex) and symmetric
    /// non-ischaemic processes are bright on both sides alike. A candidate voxel is symmetric when
    /// within `toleranceMM` of its mirror image across the midline there is another candidate, or
    /// the rDWI smoothed over a voxel (`smoothedRatio`: the brightest of a window of single noisy
    /// voxels reaches any threshold near the noise, an extended bright region does not need
    /// single voxels) is itself hyperintense (≥ `bright`); a candidate component at least half of whose voxels are
    /// symmetric is dropped whole (its rim need not mirror exactly). Only near the brain's surface
    /// (`surfaceMM`), where the air–bone interfaces are: deep bilateral lesions (both thalami
    /// from one artery of Percheron, both basal ganglia) are kept.
    enum Mirror {
        /// Within this distance (mm) of the midline a voxel's mirror lies in its own lesion: not tested.
        static let nearMidlineMM = 6.0
        /// In-plane tolerance (mm) around the mirror point: the head's yaw and an off-centre
        /// midline (a few degrees and millimetres) and the two sides' own asymmetry.
        static let toleranceMM = 4.0
        /// Depth (mm from the brain's outside) within which the test applies: EPI susceptibility
        /// pile-up and distortion reach about a centimetre into the brain from the skull base and
        /// the sinuses.
        static let surfaceMM: Float = 15
        /// Share of a component's voxels that, symmetric, make it symmetric.
        static let componentShare = 0.5
        /// The in-plane axis is taken as left–right when it is within 45° of patient x.
        static let minimumAlignment = 0.7

        /// The voxels of `candidates` whose mirror is as bright, their count, and why the test
        /// was skipped (no in-plane axis near left–right).
        static func symmetric(_ candidates: Mask, ratio: Volume<Float>, head: Mask, bright: Float)
            -> (symmetric: Mask, count: Int, skipped: String?)
        {
            let r = smoothedRatio(ratio, head: head)
            let d = candidates.dimensions, g = candidates.geometry
            var out = Mask(dimensions: d, geometry: g, repeating: 0)
            let alongColumns = abs(g.columnDirection.x) >= abs(g.rowDirection.x)
            let alignment = max(abs(g.columnDirection.x), abs(g.rowDirection.x))
            guard alignment >= minimumAlignment else {
                return (out, 0, "no in-plane axis within 45° of left–right: the bilateral-symmetry test was not done")
            }
            let step = alongColumns ? g.spacing.column : g.spacing.row
            let reach = (along: max(1, Int((toleranceMM / step).rounded())),
                         across: max(1, Int((toleranceMM / (alongColumns ? g.spacing.row : g.spacing.column)).rounded())))
            var count = 0
            let depth = DistanceTransform.euclidean(head)
            for s in 0..<d.slices {
                // The midline of this slice: the head's centroid along the left–right axis.
                var sum = 0.0, k = 0
                for row in 0..<d.rows {
                    for c in 0..<d.columns where head.voxels[d.index(s, row, c)] != 0 {
                        sum += Double(alongColumns ? c : row)
                        k += 1
                    }
                }
                guard k > 0 else { continue }
                let mid = sum / Double(k)
                for row in 0..<d.rows {
                    for c in 0..<d.columns where candidates.voxels[d.index(s, row, c)] != 0
                        && depth.voxels[d.index(s, row, c)] <= surfaceMM {
                        let i = d.index(s, row, c)
                        let along = Double(alongColumns ? c : row)
                        guard abs(along - mid) * step >= nearMidlineMM / 2 else { continue }
                        let m = Int((2 * mid - along).rounded())
                        var best: Float = 0, twin = false
                        for a in (m - reach.along)...(m + reach.along) {
                            for b in -reach.across...reach.across {
                                let (rr, cc) = alongColumns ? (row + b, a) : (a, c + b)
                                guard d.contains(s, rr, cc) else { continue }
                                best = max(best, r.voxels[d.index(s, rr, cc)])
                                // Another candidate, across the midline (not the voxel's own lesion).
                                if candidates.voxels[d.index(s, rr, cc)] != 0 && (Double(a) - mid) * (along - mid) < 0 { twin = true }
                            }
                        }
                        if best >= bright || twin {
                            out.voxels[i] = 1
                            count += 1
                        }
                    }
                }
            }
            // Whole components: dropped when mostly symmetric, kept whole otherwise.
            let (labels, n) = ConnectedComponents.label(candidates)
            var total = [Int](repeating: 0, count: n + 1), mirrored = total
            for i in 0..<labels.voxels.count where labels.voxels[i] > 0 {
                total[Int(labels.voxels[i])] += 1
                if out.voxels[i] != 0 { mirrored[Int(labels.voxels[i])] += 1 }
            }
            count = 0
            for i in 0..<labels.voxels.count {
                let k = Int(labels.voxels[i])
                let drop = k > 0 && Double(mirrored[k]) >= componentShare * Double(total[k])
                out.voxels[i] = drop ? 1 : 0
                if drop { count += 1 }
            }
            return (out, count, nil)
        }

        /// rDWI smoothed in-plane over about a voxel (σ = the larger in-plane spacing) within the head.
        static func smoothedRatio(_ r: Volume<Float>, head: Mask) -> Volume<Float> {
            let sigma = max(r.spacing.row, r.spacing.column)
            return InfarctBrain.smooth(r, within: head, sigmaInPlane: sigma, sigmaSlice: 0)
        }
    }
}

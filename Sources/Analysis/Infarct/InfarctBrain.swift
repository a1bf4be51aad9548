import Foundation
import Imaging

/// Brain-level steps shared by the infarct analyzer's MR and CT perfusion paths: the head
/// mask, the brain-edge band where partial volume with the outside fakes low values, the
/// midline, and smoothing that does not mix in the outside.
enum InfarctBrain {
    /// The largest 6-connected component of `m`, its 3D holes (ventricles, the core) filled.
    static func headMask(_ m: Mask) -> Mask {
        HoleFilling.fill3D(ConnectedComponents.largest(m, connectivity: .faces6))
    }

    /// `head` without its edge band: voxels within `inPlaneMM` (in-plane) of the outside, and
    /// voxels whose slice neighbour above or below is outside (partial volume through thick
    /// slices). The volume's own border does not count as outside.
    static func interior(_ head: Mask, inPlaneMM: Double) -> Mask {
        var flat = head
        flat.geometry.spacing.slice = 1e6  // no erosion across slices: done by hand below
        var m = Morphology.erode(flat, radius: inPlaneMM)
        m.geometry = head.geometry
        let d = head.dimensions, plane = d.sliceSize
        let src = head.voxels
        m.voxels.withUnsafeMutableBufferPointer { mb in
            let out = UnsafeSendableBuffer(mb.baseAddress!)
            Parallelism.forEachChunk(d.slices) { chunk in
                for s in chunk {
                    for j in 0..<plane where out[s * plane + j] != 0 {
                        if (s > 0 && src[(s - 1) * plane + j] == 0) || (s < d.slices - 1 && src[(s + 1) * plane + j] == 0) {
                            out[s * plane + j] = 0
                        }
                    }
                }
            }
        }
        return m
    }

    /// Patient x (mm; + = patient left) of voxel (s, r, c).
    @inline(__always)
    static func patientX(_ g: Geometry, _ s: Int, _ r: Int, _ c: Int) -> Double {
        g.origin.x + Double(c) * g.spacing.column * g.columnDirection.x + Double(r) * g.spacing.row * g.rowDirection.x
            + Double(s) * g.spacing.slice * g.sliceDirection.x
    }

    /// The midline plane x = const: the mean patient x of the head mask's voxels.
    static func midlineX(_ head: Mask) -> Double {
        let d = head.dimensions
        var sum = 0.0, n = 0
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                for c in 0..<d.columns where head.voxels[base + c] != 0 {
                    sum += patientX(head.geometry, s, r, c)
                    n += 1
                }
            }
        }
        return n > 0 ? sum / Double(n) : 0
    }

    /// Gaussian smoothing (σ in mm) restricted to `mask`: the normalised convolution
    /// smooth(v·m) / smooth(m), so values outside the mask (background) do not leak in;
    /// 0 outside the mask.
    static func smooth(_ v: Volume<Float>, within mask: Mask, sigmaInPlane: Double, sigmaSlice: Double) -> Volume<Float> {
        var masked = v, weight = v
        for i in 0..<v.voxels.count {
            let inside = mask.voxels[i] != 0
            masked.voxels[i] = inside ? v.voxels[i] : 0
            weight.voxels[i] = inside ? 1 : 0
        }
        let num = Gaussian.smooth(masked, sigmaSlice: sigmaSlice, sigmaRow: sigmaInPlane, sigmaColumn: sigmaInPlane)
        let den = Gaussian.smooth(weight, sigmaSlice: sigmaSlice, sigmaRow: sigmaInPlane, sigmaColumn: sigmaInPlane)
        var out = num
        for i in 0..<out.voxels.count {
            out.voxels[i] = mask.voxels[i] != 0 && den.voxels[i] > 1e-6 ? num.voxels[i] / den.voxels[i] : 0
        }
        return out
    }

    /// The contrast just outside a thresholded region: the `quantile` of `v` over the in-plane
    /// shell `inner`–`outer` mm outside `region` (within `mask`), minus `threshold`; nil when
    /// the shell has fewer than 10 voxels.
    static func outsideContrast(_ v: Volume<Float>, region: Mask, mask: Mask, threshold: Float,
                                inner: Double, outer: Double, quantile: Double) -> Float? {
        var flat = region
        flat.geometry.spacing.slice = 1e6
        let a = Morphology.dilate(flat, radius: inner), b = Morphology.dilate(flat, radius: outer)
        var values: [Float] = []
        for i in 0..<v.voxels.count where b.voxels[i] != 0 && a.voxels[i] == 0 && mask.voxels[i] != 0 {
            values.append(v.voxels[i])
        }
        guard values.count >= 10 else { return nil }
        values.sort()
        return values[min(values.count - 1, Int(Double(values.count) * quantile))] - threshold
    }

    /// Components of `m` of at least `minML` millilitres, their 3D holes filled.
    static func cleaned(_ m: Mask, minML: Double) -> Mask {
        let voxelML = m.geometry.spacing.voxelVolume / 1000
        return HoleFilling.fill3D(ConnectedComponents.keep(m, minVoxels: max(1, Int((minML / voxelML).rounded(.up)))))
    }

    /// Voxel count and patient-x split of a mask: (total, left of the midline = patient left).
    static func sides(_ m: Mask, midline: Double) -> (total: Int, left: Int) {
        let d = m.dimensions
        var total = 0, left = 0
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                for c in 0..<d.columns where m.voxels[base + c] != 0 {
                    total += 1
                    if patientX(m.geometry, s, r, c) > midline { left += 1 }
                }
            }
        }
        return (total, left)
    }

    /// Laterality and site words of a region split (total, left) by the midline.
    static func laterality(_ split: (total: Int, left: Int)) -> (Laterality, String) {
        let f = Double(split.left) / Double(max(1, split.total))
        if f >= 0.8 { return (.left, "left hemisphere") }
        if f <= 0.2 { return (.right, "right hemisphere") }
        return (.bilateral, "both hemispheres")
    }
}

import Analysis
import Foundation
import Imaging

/// A synthetic portal-venous abdominal CT (HU) with focal liver lesions and their truth.
///
/// Grid (all chosen by the seed, deterministic): in-plane spacing 0.6–0.9 mm at a 512 matrix,
/// scaled by 512/`size` so the field of view does not depend on `size`; slice spacing one of
/// 1, 1.25, 1.5, 2, 2.5, 3, 4, 5 mm at 512, scaled by 512/`size` for smaller matrices and
/// clamped to 5 mm; 200–250 mm of z covering the liver. Axial, LPS, slice 0 most inferior,
/// centred on the body: the liver is at negative x (image left), anterior is −y.
///
/// Contents: body fat and muscle wall, spine, ribs, lung bases, heart, diaphragm, aorta, IVC,
/// kidneys, spleen (liver-like HU), stomach with an air-fluid level, colon and small bowel;
/// the liver (100–120 HU, smoothly joined lobes with a lobulated surface) with branching
/// portal and hepatic veins (145–185 HU); 2–10 lesions (see `LiverLesionPlanner`); correlated
/// noise of 10–25 HU SD. Truth: lesion i has label i; `caseVolumesML["liver"]` is the liver
/// volume with its lesions (vessels inside the liver included, the IVC not).
public enum LiverPhantom {
    /// Builds the phantom for `seed` with a `size`×`size` matrix.
    public static func make(seed: UInt64, size: Int = 512) -> Phantom {
        let plan = plan(seed: seed, size: size)
        var canvas = PhantomCanvas(dimensions: plan.dimensions, geometry: plan.geometry, background: -1000)
        paintSection(plan.anatomy.section, into: &canvas)
        for s in plan.anatomy.before { s.paint(&canvas) }
        for l in plan.lesions { for s in l.strokes { s.paint(&canvas) } }
        for s in plan.anatomy.after { s.paint(&canvas) }
        canvas.addCorrelatedNoise(sd: plan.noiseSD, correlationMM: plan.noiseCorrelationMM,
                                  seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 101)
        let (labels, truth, liverML) = finishTruth(canvas.labels, plan.lesions)
        let zStep = plan.geometry.spacing.slice
        let info = SeriesInfo(modality: "CT", bodyPart: "ABDOMEN", seriesDescription: "ABD PV \(format(zStep))",
                              sliceThicknessMM: zStep, imageType: ["ORIGINAL", "PRIMARY", "AXIAL"],
                              contrastAgent: "IODINE", units: "HU")
        return Phantom(kind: .liver, seed: seed, series: [PhantomSeries(role: .image, info: info, volume: canvas.intensity)],
                       labels: labels, lesions: truth, caseVolumesML: ["liver": liverML],
                       name: "Liver phantom \(seed)")
    }

    /// Everything `make` draws, before drawing it: grid, anatomy, lesions, noise.
    struct Plan: Sendable {
        var geometry: Geometry
        var dimensions: Dimensions
        var anatomy: LiverAnatomy
        var lesions: [PlannedLesion]
        var noiseSD: Double
        var noiseCorrelationMM: Double
    }

    /// The grid rule (see the type's documentation) and the planned contents for `seed`.
    static func plan(seed: UInt64, size: Int) -> Plan {
        precondition(size >= 32, "matrix too small")
        let root = SplitMix64(state: seed)
        var g = root.derived(100)
        let spacing = g.uniform(0.6...0.9) * 512 / Double(size)
        let steps = [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]
        let zStep = min(5, steps[Int(g.next() % UInt64(steps.count))] * 512 / Double(size))
        let slices = Int((g.uniform(200...250) / zStep).rounded(.down)) + 1
        let half = Double(size - 1) / 2 * spacing
        let zBottom = -300.0, zTop = zBottom + Double(slices - 1) * zStep
        let geometry = Geometry(origin: [-half, -half, zBottom], spacing: Spacing(slice: zStep, row: spacing, column: spacing))
        let anatomy = LiverAnatomy.plan(root, zBottom: zBottom, zTop: zTop, fov: Double(size) * spacing, sliceStep: zStep,
                                        sampling: max(2, min(spacing, zStep)))
        return Plan(geometry: geometry, dimensions: Dimensions(slices: slices, rows: size, columns: size), anatomy: anatomy,
                    lesions: LiverLesionPlanner.plan(root, anatomy: anatomy), noiseSD: g.uniform(10...25),
                    noiseCorrelationMM: g.uniform(0.6...0.9))
    }

    /// Paints z-invariant strokes once on a one-slice template and copies it into every slice.
    static func paintSection(_ strokes: [Stroke], into canvas: inout PhantomCanvas) {
        let d = canvas.dimensions
        var g = canvas.geometry
        g.origin.z = 0
        var template = PhantomCanvas(dimensions: Dimensions(slices: 1, rows: d.rows, columns: d.columns), geometry: g,
                                     background: -1000)
        for s in strokes { s.paint(&template) }
        let slice = template.intensity.voxels
        canvas.intensity.voxels.withUnsafeMutableBufferPointer { v in
            for s in 0..<d.slices {
                for i in 0..<d.sliceSize { v[s * d.sliceSize + i] = slice[i] }
            }
        }
    }

    /// Keeps lesion labels only (renumbered 1…N without lesions that ended up with no voxel),
    /// measures them and the liver.
    static func finishTruth(_ painted: Volume<UInt16>, _ planned: [PlannedLesion])
        -> (Volume<UInt16>, [TruthLesion], Double) {
        let n = planned.count, voxels = painted.voxels
        // Per-slab counts (summed in order, so the result does not depend on the threads).
        let slabs = 16, total = voxels.count
        var partial = [[Int]](repeating: [Int](repeating: 0, count: n + 2), count: slabs)
        partial.withUnsafeMutableBufferPointer { pb in
            let out = UnsafeSendableBuffer(pb.baseAddress!)
            Parallelism.forEachChunk(slabs) { range in
                for slab in range {
                    var c = [Int](repeating: 0, count: n + 2)
                    for i in (slab * total / slabs)..<((slab + 1) * total / slabs) {
                        let v = voxels[i]
                        if v == LiverPhantomLabel.liver { c[n + 1] += 1 } else if v >= 1 && Int(v) <= n { c[Int(v)] += 1 }
                    }
                    out[slab] = c
                }
            }
        }
        var counts = [Int](repeating: 0, count: n + 2)
        for p in partial { for k in 0..<(n + 2) { counts[k] += p[k] } }
        let liver = counts[n + 1]
        var renumber = [UInt16](repeating: 0, count: Int(UInt16.max) + 1)
        var truth: [TruthLesion] = []
        let voxelMM3 = painted.geometry.spacing.voxelVolume
        for (i, p) in planned.enumerated() where counts[i + 1] > 0 {
            let label = truth.count + 1
            renumber[i + 1] = UInt16(label)
            let mm3 = Double(counts[i + 1]) * voxelMM3
            truth.append(TruthLesion(label: label, type: p.type, centerMM: [p.center.x, p.center.y, p.center.z],
                                     diametersMM: [2 * p.radii.x, 2 * p.radii.y, 2 * p.radii.z].sorted(by: >),
                                     diameterMM: cbrt(6 * mm3 / .pi), volumeML: mm3 / 1000, target: true, site: p.site))
        }
        let map = renumber
        var out = [UInt16](repeating: 0, count: total)
        out.withUnsafeMutableBufferPointer { ob in
            let o = UnsafeSendableBuffer(ob.baseAddress!)
            Parallelism.forEachChunk(total, minimumChunk: 1 << 16) { range in
                for i in range { o[i] = map[Int(voxels[i])] }
            }
        }
        let labels = Volume(dimensions: painted.dimensions, geometry: painted.geometry, voxels: out)
        counts[n + 1] = 0
        let liverML = Double(liver + counts.dropFirst().reduce(0, +)) * voxelMM3 / 1000
        return (labels, truth, liverML)
    }

    /// "1.0", "1.25", "2.5", "4.8": at least one decimal, no trailing zeros beyond it.
    static func format(_ mm: Double) -> String {
        var s = String(format: "%.2f", mm)
        while s.hasSuffix("0") && !s.hasSuffix(".0") { s.removeLast() }
        return s
    }
}

import DICOM
import Foundation
import Imaging

/// The preflight of DESIGN §8: what a CT series holds, judged from a handful of its images
/// when headers are missing or generic. Decodes `maximumSlices` images spread evenly along
/// the series (`VolumeLoader.loadSample`: every header read, images sorted by position),
/// averages them to ~1.5 mm pixels, measures
/// each image (`SliceMeasures`) and decides (`ContentDecision`). Cheap by construction: a few
/// decoded images and linear passes over ≤ 256 × 256 pixels.
public enum ContentProbe {
    /// Images decoded per series (an odd number: the middle one is the series' centre).
    public static let maximumSlices = 9
    /// Pixel size the images are averaged to before measuring (mm): fine enough for a 12 mm
    /// vessel, coarse enough to halve CT noise.
    static let pixelMM = 1.5

    /// Probes `s`. MR and other non-CT series are not probed (no Hounsfield scale); neither
    /// is a series of one file or one whose images cannot be decoded (the reason is kept).
    public static func probe(_ s: ScannedSeries) -> ContentFindings {
        let t0 = now()
        var out = untimed(s)
        out.seconds = now() - t0
        return out
    }

    /// Probes `s` from its volume already loaded (the executor's), picking the same images
    /// `VolumeLoader.loadSample` would decode, so nothing is read twice. Multi-frame series
    /// (whose sample decodes whole files) are probed from their files.
    public static func probe(_ s: ScannedSeries, loaded: LoadedVolume) -> ContentFindings {
        guard s.first.modality == "CT", s.files.count > maximumSlices, loaded.sources.count == s.files.count,
              !loaded.sources.contains(where: \.isMultiFrame)
        else { return probe(s) }
        let t0 = now()
        // loadSample's picks: sorted by depth along the normal of ImageOrientationPatient
        // (row cosines × column cosines), evenly spaced from first to last.
        let g = loaded.volume.geometry
        let u = g.columnDirection, v = g.rowDirection
        let normal = SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
        let byDepth = loaded.sources.indices.sorted { (loaded.sources[$0].position * normal).sum() < (loaded.sources[$1].position * normal).sum() }
        let n = min(maximumSlices, byDepth.count)
        let picks = Set((0..<n).map { byDepth[$0 * (byDepth.count - 1) / max(1, n - 1)] }).sorted()
        let d = loaded.volume.dimensions, size = d.sliceSize
        var voxels: [Float] = []
        voxels.reserveCapacity(picks.count * size)
        for k in picks { voxels += loaded.volume.voxels[(k * size)..<((k + 1) * size)] }
        let positions = picks.map { loaded.sources[$0].position }
        var sample = g
        sample.origin = positions[0]
        let volume = Volume(dimensions: Dimensions(slices: picks.count, rows: d.rows, columns: d.columns),
                            geometry: sample, voxels: voxels)
        var out = ContentDecision.decide(measure(volume, positions: positions))
        out.seconds = now() - t0
        return out
    }

    private static func untimed(_ s: ScannedSeries) -> ContentFindings {
        var out = ContentFindings()
        guard s.first.modality == "CT" else {
            out.notProbed = "\(s.first.modality ?? "no modality"): pixels are not in HU"
            return out
        }
        guard s.files.count >= 2 else {
            out.notProbed = "\(s.files.count) file"
            return out
        }
        let loaded: LoadedVolume
        do throws(VolumeError) {
            loaded = try VolumeLoader.loadSample(files: s.files, count: maximumSlices)
        } catch {
            out.notProbed = "cannot decode: \(error)"
            return out
        }
        return ContentDecision.decide(measure(loaded.volume, positions: loaded.sources.map(\.position)))
    }

    /// Per-image measurements of `v` (HU), slice order kept. `positions`: each slice's
    /// ImagePositionPatient (a sample of a series is irregularly spaced: the grid's spacing
    /// does not place its slices).
    static func measure(_ v: Volume<Float>, positions: [SIMD3<Double>]) -> [SliceMeasures] {
        let sp = v.spacing
        let f = max(1, Int((pixelMM / min(sp.row, sp.column)).rounded(.down)))
        let c = BlockMean.downsample(v, factor: SIMD3(1, f, f), remainder: .partialBlocks)
        let g = c.geometry, d = c.dimensions, plane = d.rows * d.columns
        let shift = g.origin - v.geometry.origin  // from a slice's first pixel to its first block's centre
        return ParallelMap.map(Array(0..<d.slices)) { s in
            let corner = positions[s] + shift
            let p = Plane(rows: d.rows, columns: d.columns, values: Array(c.voxels[s * plane ..< (s + 1) * plane]),
                          pixelArea: g.spacing.row * g.spacing.column, pixelSize: (g.spacing.row + g.spacing.column) / 2,
                          x0: corner.x, dxRow: g.spacing.row * g.rowDirection.x,
                          dxColumn: g.spacing.column * g.columnDirection.x)
            return SliceMeasures.measure(p, z: (corner * g.sliceDirection).sum())
        }
    }
}

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

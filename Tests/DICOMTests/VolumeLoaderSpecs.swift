import Foundation
import Imaging

/// The cases `scripts/make_test_series.py` writes for `VolumeLoaderTests`, with the generator's
/// conventions mirrored so that expected geometry and voxels are computed here.
extension VolumeLoaderTests {
    /// One case of the generator (keys as in its DEFAULTS, snake_case in JSON).
    struct Spec: Encodable {
        var name: String
        var rows = 24
        var columns = 20
        var slices = 10
        var pixelSpacing: [Double] = [0.75, 0.5]
        var spacing = 1.25
        var shear: [Double] = [0, 0, 0]
        var origin: [Double] = [-100.5, -80.25, 30.0]
        var iop: [Double] = [1, 0, 0, 0, 1, 0]
        var modality = "CT"
        var bitsAllocated = 16
        var bitsStored = 12
        var signed = true
        var slope = 1.0
        var intercept = -1024.0
        var rescaleType: String?
        var perFrameRescale = false
        var pattern = "hash"
        var dirtyHighBits = false
        var transferSyntax = "explicit"
        var j2kFragments = 1
        var j2kBot = true
        var j2kDamage: String?
        var enhanced = false
        var seriesUID = "1.2.826.0.1.3680043.8.498.77.1"
        var dropIpp: [Int] = []
        var iopOverride: [String: [Double]] = [:]
        var rowsOverride: [String: Int] = [:]
        var duplicateOf: [String: Int] = [:]
        var skip: [Int] = []
        var seriesOverride: [String: String] = [:]

        init(_ name: String, _ edit: (inout Spec) -> Void = { _ in }) {
            self.name = name
            edit(&self)
        }

        var normal: SIMD3<Double> {
            let r = SIMD3(iop[0], iop[1], iop[2]), c = SIMD3(iop[3], iop[4], iop[5])
            return normalized(cross(normalized(r), normalized(c)))
        }

        /// The generator's stored value of slice k (before rescale).
        func storedValue(_ k: Int, _ row: Int, _ column: Int) -> Int {
            if pattern == "smooth" { return k * 3 + row + column }
            let h = (k * 73856093) ^ (row * 19349663) ^ (column * 83492791)
            let v = h % (1 << bitsStored)
            return signed ? v - (1 << (bitsStored - 1)) : v
        }

        /// Expected voxel: stored · slope + intercept, in double, as float.
        func voxel(_ k: Int, _ row: Int, _ column: Int) -> Float {
            let intercept = self.intercept + (perFrameRescale ? Double(10 * (k % 3)) : 0)
            return Float(Double(storedValue(k, row, column)) * slope + intercept)
        }
    }

    static let ctSyntaxes = ["implicit", "explicit", "big", "deflate", "jpeg-lossless", "jpeg-lossless-sv1", "jpegls", "rle"]

    static var specs: [Spec] {
        var s: [Spec] = [
            Spec("ct_head_first"),
            Spec("ct_feet_first") { $0.iop = [-1, 0, 0, 0, 1, 0]; $0.origin = [100.5, -80.25, 30] },
            Spec("oblique") {
                // Rotated 30° about z, then 20° about the rotated row axis (6-decimal cosines).
                let a = 30.0 * .pi / 180, b = 20.0 * .pi / 180
                let r = [cos(a), sin(a), 0.0]
                let c = [-sin(a) * cos(b), cos(a) * cos(b), sin(b)]
                $0.iop = (r + c).map { ($0 * 1e6).rounded() / 1e6 }
                $0.origin = [-12.345678, 45.5, -7.25]
                $0.spacing = 0.8
            },
            Spec("anisotropic") { $0.rows = 30; $0.columns = 18; $0.slices = 9; $0.pixelSpacing = [0.6, 0.9]; $0.spacing = 2.5 },
            Spec("ct_u16") { $0.signed = false; $0.bitsStored = 16; $0.transferSyntax = "jpeg-lossless" },
            Spec("ct_u16_big") { $0.signed = false; $0.bitsStored = 16; $0.transferSyntax = "big" },
            Spec("ct_s16_jpegls") { $0.bitsStored = 16; $0.transferSyntax = "jpegls"; $0.slope = 0.5; $0.intercept = -10.25 },
            Spec("ct_dirty") { $0.dirtyHighBits = true },
            Spec("mr_u12") {
                $0.modality = "MR"; $0.signed = false; $0.slope = 1.5; $0.intercept = 0.25
                $0.rescaleType = "10^-6 mm2/s"; $0.dirtyHighBits = true
            },
            Spec("mr_u12_rle") { $0.modality = "MR"; $0.signed = false; $0.slope = 1.5; $0.intercept = 0.25; $0.transferSyntax = "rle" },
            Spec("enhanced_ct") { $0.enhanced = true; $0.perFrameRescale = true },
            Spec("enhanced_ct_split") { $0.enhanced = true; $0.slices = 40; $0.rows = 12; $0.columns = 10 },
            Spec("enhanced_ct_rle") { $0.enhanced = true; $0.perFrameRescale = true; $0.transferSyntax = "rle" },
            Spec("enhanced_ct_jpegls") { $0.enhanced = true; $0.transferSyntax = "jpegls" },
            Spec("enhanced_mr") {
                $0.enhanced = true; $0.modality = "MR"; $0.signed = false; $0.slope = 0.5; $0.intercept = 0
                $0.perFrameRescale = true; $0.rescaleType = "10^-6 mm2/s"; $0.iop = [0, 1, 0, 0, 0, -1]   // sagittal
                $0.origin = [10, -100, 80]
            },
            Spec("tilt") { $0.shear = [0, 0.5, 0] },
            Spec("jpegls_near") { $0.signed = false; $0.transferSyntax = "jpegls-near" },
            Spec("jpeg_baseline") {
                $0.modality = "MR"; $0.bitsAllocated = 8; $0.bitsStored = 8; $0.signed = false
                $0.slope = 1; $0.intercept = 0; $0.pattern = "smooth"; $0.transferSyntax = "jpeg-baseline"
            },
            // Errors.
            Spec("missing_ipp") { $0.dropIpp = [4] },
            Spec("mixed_orientation") { $0.iopOverride = ["3": [1, 0, 0, 0, 0.8, 0.6]] },
            Spec("mixed_size") { $0.rowsOverride = ["5": 26] },
            Spec("duplicate") { $0.duplicateOf = ["6": 5] },
            Spec("gap") { $0.skip = [4] },
            Spec("one_slice") { $0.slices = 1 },
            Spec("two_series") { $0.seriesOverride = ["2": "1.2.826.0.1.3680043.8.498.77.2", "7": "1.2.826.0.1.3680043.8.498.77.2"] },
        ]
        for ts in ctSyntaxes { s.append(Spec("ts_\(ts)") { $0.transferSyntax = ts }) }
        for ts in ["implicit", "explicit", "big", "rle", "jpegls"] {
            s.append(Spec("s8_\(ts)") {
                $0.modality = "MR"; $0.bitsAllocated = 8; $0.bitsStored = 8; $0.slope = 1; $0.intercept = 0
                $0.transferSyntax = ts
            })
            s.append(Spec("u8_\(ts)") {
                $0.modality = "MR"; $0.bitsAllocated = 8; $0.bitsStored = 8; $0.signed = false; $0.slope = 2; $0.intercept = -3
                $0.transferSyntax = ts
            })
        }
        return s + j2kSpecs
    }
}

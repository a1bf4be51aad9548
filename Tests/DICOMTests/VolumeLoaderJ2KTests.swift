import Foundation
import Imaging
import XCTest
@testable import DICOM

/// JPEG 2000 (1.2.840.10008.1.2.4.90/.91) and HTJ2K (.201/.202/.203), decoded through OpenJPEG
/// in the bridge. The files are encoded by real encoders (OpenJPEG's `opj_compress`, OpenJPH's
/// `ojph_compress`, through `scripts/j2k_encode.py`) from the same stored values as the
/// uncompressed cases, so lossless decoding must give exactly the generator's voxels.
extension VolumeLoaderTests {
    static let j2kSyntaxes = ["j2k", "j2k-any", "htj2k", "htj2k-rpcl"]
    static let j2kUIDs = [
        "j2k": "1.2.840.10008.1.2.4.90", "j2k-any": "1.2.840.10008.1.2.4.91", "j2k-lossy": "1.2.840.10008.1.2.4.91",
        "htj2k": "1.2.840.10008.1.2.4.201", "htj2k-rpcl": "1.2.840.10008.1.2.4.202",
        "htj2k-lossy": "1.2.840.10008.1.2.4.203",
    ]
    static let j2kDamages = ["truncate", "garbage", "rows", "components", "not-a-codestream"]

    static var j2kSpecs: [Spec] {
        var s: [Spec] = []
        for ts in j2kSyntaxes {
            s.append(Spec("j2k_ct_\(ts)") { $0.transferSyntax = ts })
            s.append(Spec("j2k_u16_\(ts)") { $0.signed = false; $0.bitsStored = 16; $0.transferSyntax = ts })
            s.append(Spec("j2k_s16_\(ts)") { $0.bitsStored = 16; $0.slope = 0.5; $0.intercept = -10.25; $0.transferSyntax = ts })
            s.append(Spec("j2k_s8_\(ts)") {
                $0.modality = "MR"; $0.bitsAllocated = 8; $0.bitsStored = 8; $0.slope = 1; $0.intercept = 0
                $0.transferSyntax = ts
            })
            s.append(Spec("j2k_u8_\(ts)") {
                $0.modality = "MR"; $0.bitsAllocated = 8; $0.bitsStored = 8; $0.signed = false; $0.slope = 2
                $0.intercept = -3; $0.transferSyntax = ts
            })
        }
        // Frames and fragments (PS3.5 A.4): with and without a Basic Offset Table.
        s.append(Spec("j2k_fragments") { $0.transferSyntax = "j2k"; $0.j2kFragments = 3 })
        s.append(Spec("j2k_enhanced_bot") { $0.enhanced = true; $0.transferSyntax = "j2k"; $0.j2kFragments = 2 })
        s.append(Spec("j2k_enhanced_nobot") { $0.enhanced = true; $0.transferSyntax = "j2k"; $0.j2kBot = false })
        s.append(Spec("htj2k_enhanced_nobot_fragments") {
            $0.enhanced = true; $0.transferSyntax = "htj2k"; $0.j2kBot = false; $0.j2kFragments = 3
            $0.perFrameRescale = true
        })
        // Lossy, on a smooth image (what lossy coding is for).
        for ts in ["j2k-lossy", "htj2k-lossy"] {
            s.append(Spec("j2k_lossy_\(ts)") { $0.pattern = "smooth"; $0.transferSyntax = ts })
        }
        for damage in j2kDamages {
            s.append(Spec("j2k_damage_\(damage)") { $0.transferSyntax = "j2k"; $0.j2kDamage = damage })
            s.append(Spec("htj2k_damage_\(damage)") { $0.transferSyntax = "htj2k"; $0.j2kDamage = damage })
        }
        return s
    }

    func assertJ2KSyntax(_ name: String, _ ts: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for path in try files(name) {
            XCTAssertEqual(try FileInfo.read(path: path).transferSyntaxUID, Self.j2kUIDs[ts], "\(name): \(path)",
                           file: file, line: line)
        }
    }

    func testJPEG2000AndHTJ2KLosslessGiveTheStoredValues() throws {
        for ts in Self.j2kSyntaxes {
            for kind in ["ct", "u16", "s16", "s8", "u8"] {
                let name = "j2k_\(kind)_\(ts)"
                try assertJ2KSyntax(name, ts)
                let v = try load(name)
                assertVoxels(v, spec(name))
                XCTAssertEqual(v.sopInstanceUIDs, uids(spec(name)), name)
            }
        }
        // Same voxels as the same series uncompressed.
        XCTAssertEqual(try load("j2k_ct_htj2k").volume.voxels, try load("ts_explicit").volume.voxels)
    }

    func testJPEG2000FramesAndFragments() throws {
        for name in ["j2k_fragments", "j2k_enhanced_bot", "j2k_enhanced_nobot", "htj2k_enhanced_nobot_fragments"] {
            let v = try load(name)
            assertVoxels(v, spec(name))
        }
    }

    /// Lossy coding (irreversible 9/7 wavelet) decodes close to the source. The encoders' rate
    /// control does not guarantee an error (`opj_compress -q 50` asks for 50 dB PSNR and gave
    /// 46.5 dB here; OpenJPH's step is its own default), so the bound is not the encoder's
    /// target but 1 % of the stored range (41 of 4096 units RMS): far above what a working
    /// decoder shows and far below what a wrong sign, scale, DC shift or frame order gives
    /// (errors of the order of the range).
    func testLossyJPEG2000AndHTJ2KWithinTheirBounds() throws {
        for ts in ["j2k-lossy", "htj2k-lossy"] {
            let bound = 0.01 * 4096
            let s = spec("j2k_lossy_\(ts)")
            try assertJ2KSyntax(s.name, ts)
            let v = try load(s.name)
            var squares = 0.0
            for k in 0..<s.slices { for r in 0..<s.rows { for c in 0..<s.columns {
                let e = Double(v.volume[k, r, c] - s.voxel(k, r, c))
                squares += e * e
            } } }
            let rms = (squares / Double(s.slices * s.rows * s.columns)).squareRoot()
            XCTAssertLessThanOrEqual(rms, bound, "\(ts): RMS error \(rms)")
        }
    }

    /// A broken codestream is a clear error naming what is wrong, never a crash.
    func testDamagedCodestreamsAreErrors() throws {
        let expected = [
            "truncate": "corrupt or truncated codestream", "garbage": "codestream",
            "rows": "the dataset says 20×24", "components": "3 components",
            "not-a-codestream": "does not start with a codestream",
        ]
        for prefix in ["j2k", "htj2k"] {
            for damage in Self.j2kDamages {
                let name = "\(prefix)_damage_\(damage)"
                guard let e = loadError(name) else { continue }
                XCTAssertTrue(e.description.contains(expected[damage]!), "\(name): \(e)")
                XCTAssertTrue(e.description.contains("JPEG 2000"), "\(name): \(e)")
            }
        }
    }

    /// Random corruption of real codestreams (bytes overwritten inside the codestream, the
    /// DICOM structure intact): each load ends in a volume or a `VolumeError`, never a crash.
    /// A fixed-seed SplitMix64 makes the same 200 files on every run.
    func testRandomlyCorruptedCodestreamsNeverCrash() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("j2k-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var errors = 0, loaded = 0
        for name in ["j2k_ct_j2k", "j2k_ct_htj2k"] {
            let paths = try files(name)
            let original = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
            let soc = original.firstRange(of: Data([0xFF, 0x4F, 0xFF, 0x51]))!.lowerBound
            for trial in 0..<100 {
                var bytes = original
                for _ in 0..<(1 + Int(next() % 8)) {
                    let at = soc + Int(next() % UInt64(bytes.count - soc))
                    bytes[at] = UInt8(truncatingIfNeeded: next())
                }
                let damaged = dir.appendingPathComponent("\(name)-\(trial).dcm")
                try bytes.write(to: damaged)
                do {
                    _ = try VolumeLoader.load(files: [damaged.path] + paths.dropFirst())
                    loaded += 1
                } catch {
                    errors += 1
                }
            }
        }
        print("corrupted codestreams: \(errors) errors, \(loaded) loaded")
        XCTAssertEqual(errors + loaded, 200)
        XCTAssertGreaterThan(errors, 0, "corruption never detected")
    }
}

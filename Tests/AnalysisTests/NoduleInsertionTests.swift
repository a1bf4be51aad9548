import Imaging
import Phantoms
import XCTest

/// The nodule inserter (hybrid evaluation) and its site map: what is drawn matches the spec
/// within partial-volume error, the anatomy's noise is kept, and sites follow their rules.
final class NoduleInsertionTests: XCTestCase {
    /// A chest-CT-like grid (0.7 mm pixels, 1.25 mm slices) of parenchyma at −850 HU.
    private func parenchyma(noise: Double = 0, seed: UInt64 = 7) -> Volume<Float> {
        let d = Dimensions(slices: 40, rows: 64, columns: 64)
        let g = Geometry(origin: .zero, spacing: Spacing(slice: 1.25, row: 0.7, column: 0.7))
        var rng = SplitMix64(state: seed)
        return Volume(dimensions: d, geometry: g, voxels: (0..<d.count).map { _ in Float(-850 + noise * rng.gaussian()) })
    }

    private var centre: SIMD3<Double> { SIMD3(22.1, 21.9, 24.8) }

    /// The blurred ball is 1 deep inside, just under ½ at its surface (½ − σ/(R√(2π)): a convex
    /// surface loses more to the blur than it gains), 0 far outside, and conserves the ball's volume.
    func testBlurredBallProfile() {
        XCTAssertEqual(NoduleInserter.blurredBall(0, radius: 5, sigma: 0.5), 1, accuracy: 1e-6)
        XCTAssertEqual(NoduleInserter.blurredBall(5, radius: 5, sigma: 0.5), 0.5 - 0.5 / (5 * (2 * Double.pi).squareRoot()),
                       accuracy: 0.002)
        XCTAssertEqual(NoduleInserter.blurredBall(8, radius: 5, sigma: 0.5), 0, accuracy: 1e-6)
        var integral = 0.0
        let dr = 0.01
        for k in 0..<1000 {
            let r = (Double(k) + 0.5) * dr
            integral += 4 * Double.pi * r * r * NoduleInserter.blurredBall(r, radius: 3, sigma: 0.8) * dr
        }
        XCTAssertEqual(integral, 4.0 / 3 * Double.pi * 27, accuracy: 0.01 * 4.0 / 3 * Double.pi * 27)
    }

    /// A solid 10 mm nodule on a flat background: the added attenuation integrates to the
    /// sphere's volume × contrast (blur and partial volume move it, they do not create it), the
    /// truth mask's volume is the sphere's within the voxel-centre sampling error, and the centre
    /// reaches the nodule's density.
    func testSolidNoduleMatchesSpec() throws {
        let before = parenchyma()
        var v = before
        let spec = InsertedNoduleSpec(center: centre, diameterMM: 10, kind: .solid, densityHU: 30)
        let ins = NoduleInserter.insert(spec, into: &v)
        let voxelML = v.spacing.voxelVolume / 1000
        let added = zip(v.voxels, before.voxels).reduce(0.0) { $0 + Double($1.0 - $1.1) } * voxelML / 880
        XCTAssertEqual(added, ins.sphereML, accuracy: 0.02 * ins.sphereML)
        XCTAssertEqual(ins.visibleML, ins.sphereML, accuracy: 0.05 * ins.sphereML)
        XCTAssertEqual(ins.embeddedFraction, 0, accuracy: 0.05)
        let x = v.geometry.index(of: centre)
        XCTAssertEqual(v[Int(x.slice.rounded()), Int(x.row.rounded()), Int(x.column.rounded())], 30, accuracy: 5)
    }

    /// Inserted on noisy parenchyma, the nodule keeps the scanner's noise: the inner part has the
    /// nodule's density on average and the background's standard deviation (not painted flat).
    func testNoiseIsKept() {
        var v = parenchyma(noise: 25)
        let spec = InsertedNoduleSpec(center: centre, diameterMM: 14, kind: .solid, densityHU: 40)
        _ = NoduleInserter.insert(spec, into: &v)
        var inner: [Double] = []
        let d = v.dimensions, g = v.geometry
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let q = g.point(slice: Double(s), row: Double(r), column: Double(c)) - centre
                    if (q * q).sum() < 16 { inner.append(Double(v[s, r, c])) }
                }
            }
        }
        let mean = inner.reduce(0, +) / Double(inner.count)
        let sd = (inner.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(inner.count)).squareRoot()
        XCTAssertEqual(mean, 40, accuracy: 5)
        // The 1 mm background smoothing leaves most of the noise's variance; a flat paint would leave none.
        XCTAssertGreaterThan(sd, 15)
        XCTAssertLessThan(sd, 30)
    }

    /// Ground glass does not cover what is denser (a vessel stays visible); a part-solid
    /// nodule's centre is solid and its body ground glass; the truth stops where `visible` says.
    func testSubsolidBlending() {
        var v = parenchyma()
        let g = v.geometry
        let x = g.index(of: centre)
        let s0 = Int(x.slice.rounded()), r0 = Int(x.row.rounded())
        for c in 0..<v.dimensions.columns { v[s0, r0, c] = 40 }  // a vessel through the centre
        let gg = InsertedNoduleSpec(center: centre, diameterMM: 12, kind: .groundGlass, densityHU: -600)
        _ = NoduleInserter.insert(gg, into: &v)
        XCTAssertEqual(v[s0, r0, Int(x.column.rounded())], 40, accuracy: 1)
        XCTAssertEqual(v[s0, r0 + 6, Int(x.column.rounded())], -600, accuracy: 10)

        var w = parenchyma()
        let ps = InsertedNoduleSpec(center: centre, diameterMM: 16, kind: .partSolid, densityHU: -600,
                                    coreDiameterMM: 8, coreHU: 20)
        let half = NoduleInserter.insert(ps, into: &w) { $0.x < self.centre.x }
        let c0 = Int(x.column.rounded())
        XCTAssertEqual(w[s0, r0, c0], 20, accuracy: 10)
        XCTAssertEqual(w[s0, r0, c0 + 9], -600, accuracy: 15)  // 6.3 mm from the centre: the body
        XCTAssertEqual(half.embeddedFraction, 0.5, accuracy: 0.05)
    }

    /// The Fleischner density ranges bound the random specs, seeded.
    func testRandomSpecs() {
        var a = SplitMix64(state: 3), b = SplitMix64(state: 3)
        for kind in InsertedNoduleSpec.Kind.allCases {
            let s = InsertedNoduleSpec.random(kind: kind, diameterMM: 12, center: .zero, rng: &a)
            XCTAssertEqual(s, InsertedNoduleSpec.random(kind: kind, diameterMM: 12, center: .zero, rng: &b))
            switch kind {
            case .solid: XCTAssertTrue(InsertedNoduleSpec.solidHU.contains(Double(s.densityHU)))
            case .groundGlass: XCTAssertTrue(InsertedNoduleSpec.groundGlassHU.contains(Double(s.densityHU)))
            case .partSolid:
                XCTAssertTrue(InsertedNoduleSpec.groundGlassHU.contains(Double(s.densityHU)))
                XCTAssertTrue(InsertedNoduleSpec.solidHU.contains(Double(s.coreHU)))
                XCTAssertTrue((4.8...7.2).contains(s.coreDiameterMM))
            }
        }
    }

    /// On the lung phantom's chest, every site rule yields places, and a picked juxtamediastinal
    /// site has the share of its volume outside the lung field that the site names.
    func testSitesOnPhantomChest() throws {
        let p = LungPhantom.make(seed: 3, size: 256)
        let map = try XCTUnwrap(InsertionSiteMap(p.series[0].volume))
        var rng = SplitMix64(state: 11)
        for site in InsertionSite.allCases {
            let places = map.places(site, radius: 4)
            XCTAssertGreaterThan(places.count, 0, "\(site.rawValue)")
        }
        for (site, share) in [(InsertionSite.mediastinalHalf, 0.5), (.mediastinalThird, 1.0 / 3), (.juxtapleural,
                              InsertionSiteMap.capFraction(height: 1, radius: 4))] {
            let c = try XCTUnwrap(map.pick(site, radius: 4, rng: &rng), "\(site.rawValue)")
            XCTAssertEqual(map.embeddedFraction(center: c, radius: 4), share, accuracy: 0.06, "\(site.rawValue)")
            XCTAssertTrue(map.inLungField(c) || share >= 0.5, "\(site.rawValue)")
        }
        let c = try XCTUnwrap(map.pick(.parenchyma, radius: 4, rng: &rng))
        // Clear of the pleura by the clearance, to within the 2 mm grid's sampling.
        XCTAssertEqual(map.embeddedFraction(center: c, radius: 4 + InsertionSiteMap.clearanceMM - 1), 0)
    }
}

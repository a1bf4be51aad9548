import Imaging

/// The portal vein where the liver mask took it in (hole filling and closing put the hilum's
/// vessels inside the liver): a reference liver (TotalSegmentator, expert LiTS/MSD masks)
/// leaves the portal vein out, as a reader measuring liver volume does.
///
/// Anatomy, not this scan's numbers: in the portal-venous phase the portal vein is brighter
/// than the parenchyma (it carries the contrast the parenchyma takes up later); it is a thick
/// tube (the trunk 10–13 mm wide, its lobar branches 7–10 mm); and it is continuous with the
/// splenic and superior mesenteric veins *outside* the liver. So: voxels above the
/// parenchyma band (`LiverField.band`: no parenchyma is that bright), opened with a ball
/// that only tubes at least `minimumWidthMM` wide survive, in components with fat near them
/// (the hilum: the portal vein enters the liver wrapped in the hepatoduodenal ligament's
/// fat, which the mask's hole filling took in with it; hepatic veins and intrahepatic
/// branches, which a reference liver keeps, run in parenchyma; a hyperdense lesion is added
/// back by `LiverFindings.organ` anyway), grown back over their partial-volume rim.
/// On a real portal-venous CT (`RealDataLiverTests`) this takes 2.9 of the 5.5 mL of portal
/// vein out of the mask; the rest are its thinner branches and partial volume.
///
/// `nonLiver` adds what no liver tissue is: fat inside the mask (hilum, fissures).
enum LiverPortalVein {
    /// Narrowest tube taken out (mm): the lobar portal branches are 7–10 mm wide, segmental
    /// branches (which a reference liver keeps inside) narrower; 6 mm keeps the first and
    /// drops the second. The opening ball's radius is half of it.
    static let minimumWidthMM = 6.0
    /// A rim voxel half vessel, half parenchyma sits half way between them: the rim is grown
    /// over voxels above half the band.
    static let rimFraction: Float = 0.5
    /// The hilum's fat (the hepatoduodenal ligament's, around the portal vein where it enters)
    /// is below water; no liver tissue is (cysts are water, tumours above it).
    static let waterHU: Float = 0
    /// How near (mm) that fat must come to a tube: the portal vein's wall and a partial-volume
    /// voxel on each side.
    static let hilumReachMM = 4.0

    /// The portal vein inside `f.liver` on the detection grid (empty when there is none).
    static func inLiver(_ f: LiverField) -> Mask {
        let s = f.smooth, liver = f.liver
        let top = Float(f.median + LiverField.band(sigma: f.sigma))
        var bright = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<s.voxels.count where s.voxels[i] > top && liver.voxels[i] != 0 {
            bright.voxels[i] = 1
        }
        let tubes = Morphology.open(bright, radius: minimumWidthMM / 2)
        let (labels, count) = ConnectedComponents.label(tubes, connectivity: .faces6)
        guard count > 0 else { return Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0) }
        // A tube at the hilum: fat (below water: nothing of the liver is) within `hilumReachMM`.
        var fat = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<s.voxels.count where liver.voxels[i] != 0 && s.voxels[i] < waterHU { fat.voxels[i] = 1 }
        let fatReach = Morphology.dilate(fat, radius: hilumReachMM)
        var atHilum = [Bool](repeating: false, count: count + 1)
        for i in 0..<labels.voxels.count where labels.voxels[i] != 0 && fatReach.voxels[i] != 0 { atHilum[Int(labels.voxels[i])] = true }
        var vein = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<labels.voxels.count where labels.voxels[i] != 0 && liver.voxels[i] != 0 && atHilum[Int(labels.voxels[i])] {
            vein.voxels[i] = 1
        }
        // The partial-volume rim: one grid voxel out, over voxels above half the band.
        let rim = Float(f.median) + rimFraction * (top - Float(f.median))
        let grown = Morphology.dilate(vein, radius: maxSpacing(s.geometry))
        for i in 0..<vein.voxels.count where grown.voxels[i] != 0 && s.voxels[i] > rim { vein.voxels[i] = 1 }
        for i in 0..<vein.voxels.count { vein.voxels[i] &= liver.voxels[i] }
        return vein
    }

    /// What of `f.liver` on the detection grid is not liver tissue: the portal vein
    /// (`inLiver`) and fat (below water and below the parenchyma band: a fatty liver's
    /// parenchyma may come near water, never under its own band).
    static func nonLiver(_ f: LiverField) -> Mask {
        var m = inLiver(f)
        let fat = min(waterHU, Float(f.median - LiverField.band(sigma: f.sigma)))
        for i in 0..<m.voxels.count where f.liver.voxels[i] != 0 && f.smooth.voxels[i] < fat { m.voxels[i] = 1 }
        return m
    }

    /// The largest voxel spacing (mm): a dilation by it reaches every face neighbour.
    static func maxSpacing(_ g: Geometry) -> Double {
        max(g.spacing.slice, max(g.spacing.row, g.spacing.column))
    }
}

import Foundation
import Imaging

/// The MR path of `InfarctCore`: ADC map → brain mask (ADC > 100, largest component, holes
/// filled) → edge band (2 mm in-plane and one slice at the brain's outer surface, where partial
/// volume with the 0 outside gives values below 620) → the RAPID-style region ADC < 620
/// ×10⁻⁶ mm²/s by `InfarctThreshold` away from the edge band, components ≥ 0.1 mL. With a DWI
/// trace the core is restricted diffusion (`InfarctDiffusion`: low ADC and DWI hyperintense)
/// and the ADC < 620 volume is reported beside it; without one, the core is that region, at
/// lower confidence.
enum InfarctMR {
    /// Brain (and CSF) voxels: ADC above this; background is 0, grey matter ≈ 800.
    static let brainThreshold: Float = 100
    /// In-plane width of the excluded edge band (at least 1.5 voxels).
    static let edgeMM = 2.0
    /// Thresholding parameters: σ in mm, clamp half-width in 10⁻⁶ mm²/s.
    static let parameters = InfarctThreshold.Parameters(sigma1: 1.0, sigma2: 3.0, sigmaSlice: 1.5, clipRange: 15...60,
                                                        minimumML: 0.1)

    /// Confidence factor of a core read from the ADC map alone: low ADC without DWI
    /// confirmation is also deep grey matter, edges and artefacts (RAPID's ADC < 620 alone
    /// reached Dice 0.43 against manual cores).
    static let aloneFactor = 0.75

    /// `bValue`: the DWI's b-value when known (1000 assumed otherwise).
    static func run(_ adc: Volume<Float>, dwi: Volume<Float>?, bValue: Double? = nil, info: SeriesInfo, notes: [String])
        throws(AnalysisError)
        -> AnalysisResult
    {
        var clock = StageClock()
        let sp = adc.spacing, voxelML = sp.voxelVolume / 1000
        let head = clock.stage("brain mask") {
            InfarctBrain.headMask(adc.map { $0 > brainThreshold ? 1 : 0 })
        }
        let headML = Double(head.voxels.reduce(0) { $0 + Int($1) }) * voxelML
        guard headML >= 100 else {
            throw .failed("no brain found (largest region above \(Int(brainThreshold)) is \(InfarctCore.fmt(headML)) mL)")
        }
        let edge = max(edgeMM, 1.5 * max(sp.row, sp.column))
        let interior = clock.stage("edge band") { InfarctBrain.interior(head, inPlaneMM: edge) }
        var p = parameters
        p.sigma1 = max(p.sigma1, 0.5 * max(sp.row, sp.column))
        let threshold = Float(InfarctCore.adcThreshold)
        let seg = clock.stage("core") {
            InfarctThreshold.segment(adc, head: head, allowed: interior, threshold: threshold, below: true, p)
        }
        let rapid = seg.region
        let rapidML = Double(rapid.voxels.reduce(0) { $0 + Int($1) }) * voxelML
        let diffusion = dwi.map { dwi in
            clock.stage("restricted diffusion") {
                InfarctDiffusion.core(adc: adc, light: seg.light, rapid: seg.smoothed, dwi: dwi,
                                      bValue: bValue ?? 1000,
                                      head: head, interior: InfarctBrain.interior(head, inPlaneMM: InfarctDiffusion.edgeVoxels * max(sp.row, sp.column)),
                                      seedInterior: interior, sigmaLight: p.sigma1)
            }
        }
        let core = diffusion?.core ?? rapid
        let midline = clock.stage("midline") { InfarctBrain.midlineX(head) }
        var findings: [Finding] = []
        var coreML = 0.0
        clock.stage("measure") {
            guard let props = Regions.properties(mask: core, intensity: adc), let region = RegionMask(full: core) else { return }
            coreML = props.volumeML
            // Evidence is read on the lightly smoothed map, not the clamped one (whose values all lie
            // within the clamp of the threshold). Every core has a partial-volume shell near the
            // threshold, a large share of a small core's voxels, so the margin is taken at the
            // core's deep part (20th percentile) rather than its mean.
            var values: [Float] = []
            values.reserveCapacity(props.voxelCount)
            for i in 0..<core.voxels.count where core.voxels[i] != 0 { values.append(seg.light.voxels[i]) }
            values.sort()
            let borderline = values.count - (values.firstIndex { $0 > threshold - 40 } ?? values.count)
            let border = Double(borderline) / Double(max(1, values.count))
            let deep = Double(values[min(values.count - 1, values.count / 5)])
            let (lat, site) = InfarctBrain.laterality(InfarctBrain.sides(core, midline: midline))
            let margin = (InfarctCore.adcThreshold - deep) / InfarctCore.adcThreshold
            var confidence = 0.55 + 1.2 * margin - 0.4 * border
            if props.volumeML < 1 { confidence *= 0.8 }
            var reason = "ADC below \(Int(threshold)) ×10⁻⁶ mm²/s in \(InfarctCore.fmt(props.volumeML)) mL "
                + "(mean \(Int(props.mean.rounded())), deepest fifth below \(Int(deep.rounded())), "
                + "\(Int((border * 100).rounded())) % of voxels within 40 of the threshold); brain-edge band excluded"
            if let diffusion {
                var sum = 0.0
                for i in 0..<core.voxels.count where core.voxels[i] != 0 { sum += Double(diffusion.ratio.voxels[i]) }
                let meanRatio = sum / Double(max(1, props.voxelCount))
                // DWI-confirmed: the ADC drop of the deep part below the patient's normal parenchyma
                // (not below 620: a DWI-confirmed core may lie above it) and the brightness beyond
                // the confirmation ratio are evidence of their own.
                let drop = max(0, (diffusion.normalADC - deep) / diffusion.normalADC)
                confidence = 0.5 + 0.6 * drop + 0.3 * min(1, max(0, meanRatio - 1.2))
                if props.volumeML < 1 { confidence *= 0.85 }
                reason = "restricted diffusion in \(InfarctCore.fmt(props.volumeML, 2)) mL: mean ADC \(Int(props.mean.rounded())) "
                    + "×10⁻⁶ mm²/s, DWI \(InfarctCore.fmt(meanRatio, 2))× the normal-appearing brain"
            } else {
                confidence *= aloneFactor
                reason += "; ADC map alone (no DWI trace)"
            }
            findings.append(Finding(number: 1, kind: .core, category: "core", mask: region, centroidMM: props.centroid,
                                    laterality: lat, site: site,
                                    measurements: [Measurement(.volume, props.volumeML, "mL"),
                                                   Measurement(.meanADC, props.mean, "um2/s"),
                                                   Measurement(.sdADC, props.standardDeviation, "um2/s")],
                                    confidence: min(0.99, max(0.05, confidence)), reason: reason))
        }
        var allNotes = notes
        let rapidWords = "ADC < \(Int(threshold)) ×10⁻⁶ mm²/s (noise-robust smoothing, boundary clamp ±\(Int(seg.clip.rounded()))); "
            + "\(InfarctCore.fmt(edge)) mm in-plane and one slice at the brain edge excluded; components < \(p.minimumML) mL dropped"
        if let diffusion {
            allNotes += diffusion.notes
            allNotes.append("ischemic core volume (ADC low and DWI hyperintense) \(InfarctCore.fmt(coreML, 2)) mL; "
                            + "ADC<620 volume (RAPID-comparable, ADC alone) \(InfarctCore.fmt(rapidML, 2)) mL = \(rapidWords). "
                            + "They differ where ADC < 620 has no DWI hyperintensity (deep grey matter, edges, artefacts: "
                            + "not core) and where DWI-bright tissue reads ADC 620–\(Int((InfarctDiffusion.relativeADC * diffusion.normalADC).rounded())) "
                            + "(small lesions partial-volumed with CSF: core)")
            if diffusion.symmetricVoxels > 0 {
                allNotes.append("\(InfarctCore.fmt(Double(diffusion.symmetricVoxels) * voxelML, 2)) mL of DWI hyperintensity mirrored "
                                + "on the other side (bilateral: susceptibility artefact or non-ischaemic) left out")
            }
            if let skipped = diffusion.mirrorSkipped { allNotes.append(skipped) }
        } else {
            allNotes.append("core = " + rapidWords)
        }
        allNotes.append("midline at x = \(InfarctCore.fmt(midline)) mm (brain mask centroid)")
        if findings.isEmpty {
            allNotes.append(diffusion == nil ? "no region below the ADC threshold: no core" : "no restricted diffusion: no core")
        }
        return AnalysisResult(analyzer: .infarct, version: InfarctCore.version, seriesInstanceUID: info.seriesInstanceUID,
                              geometry: adc.geometry, dimensions: adc.dimensions, organName: "brain",
                              organ: RegionMask(full: head), findings: findings,
                              caseMeasurements: [Measurement(.coreVolume, coreML, "mL"),
                                                 Measurement(.adc620Volume, rapidML, "mL"),
                                                 Measurement(.brainVolume, headML, "mL")],
                              timings: clock.timings, notes: allNotes)
    }
}

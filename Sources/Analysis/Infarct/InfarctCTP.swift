import Foundation
import Imaging

/// The CT perfusion path of `InfarctCore`: rCBF and Tmax maps → head mask → smoothing inside
/// it → hypoperfusion = Tmax > 6 s → affected side and contralateral mean rCBF (M, over the
/// other hemisphere's tissue, CSF and hypoperfusion left out) → core = rCBF < 0.3·M inside the
/// hypoperfusion, away from the edge band.
enum InfarctCTP {
    /// In-plane width of the edge band excluded from the core.
    static let edgeMM = 2.0
    /// Tmax > 6 s thresholding (σ in mm, clamp in s).
    static let tmaxParameters = InfarctThreshold.Parameters(sigma1: 1.0, sigma2: 3.0, sigmaSlice: 0, clipRange: 0.5...2,
                                                            minimumML: 0.5)
    /// rCBF < 30 % thresholding (σ in mm; the clamp range is in units of the contralateral mean).
    static let flowParameters = InfarctThreshold.Parameters(sigma1: 0.8, sigma2: 3.0, sigmaSlice: 0, clipRange: 0.05...0.2,
                                                            minimumML: 0.1)
    /// In-plane σ (mm) of the smoothing that, besides the voxel itself, must clear the CSF floor
    /// for the contralateral mean (so isolated noise spikes in CSF are not tissue).
    static let meanSigmaMM = 1.5
    /// Voxels below this fraction of the contralateral median rCBF are CSF, not tissue.
    static let csfFraction = 0.5

    static func run(rcbf: Volume<Float>, tmax: Volume<Float>, info: SeriesInfo) throws(AnalysisError) -> AnalysisResult {
        var clock = StageClock()
        let sp = rcbf.spacing, voxelML = sp.voxelVolume / 1000, n = rcbf.voxels.count
        let head = clock.stage("brain mask") {
            var m = Mask(dimensions: rcbf.dimensions, geometry: rcbf.geometry, repeating: 0)
            for i in 0..<n where rcbf.voxels[i] > 0 || tmax.voxels[i] > 0 { m.voxels[i] = 1 }
            return InfarctBrain.headMask(m)
        }
        let headML = Double(head.voxels.reduce(0) { $0 + Int($1) }) * voxelML
        guard headML >= 100 else { throw .failed("no brain found (largest non-zero region is \(InfarctCore.fmt(headML)) mL)") }
        let tissue = clock.stage("CSF") { tissueMask(rcbf: rcbf, tmax: tmax, head: head) }
        let edge = max(edgeMM, 1.5 * max(sp.row, sp.column))
        let interior = clock.stage("edge band") { InfarctBrain.interior(head, inPlaneMM: edge) }
        let minSigma = 0.5 * max(sp.row, sp.column)
        var tp = tmaxParameters
        tp.sigma1 = max(tp.sigma1, minSigma)
        let hypoSeg = clock.stage("hypoperfusion") {
            InfarctThreshold.segment(tmax, head: head, allowed: head, threshold: Float(InfarctCore.tmaxThreshold), below: false, tp,
                                     tissue: tissue)
        }
        let hypo = hypoSeg.region
        let midline = clock.stage("midline") { InfarctBrain.midlineX(head) }
        let hypoSplit = InfarctBrain.sides(hypo, midline: midline)
        // The affected side holds most of the hypoperfusion; with none, the left is compared with the right.
        let affectedLeft = hypoSplit.total == 0 || 2 * hypoSplit.left >= hypoSplit.total
        let mean = clock.stage("contralateral mean") {
            let smooth = InfarctBrain.smooth(rcbf, within: head, sigmaInPlane: max(meanSigmaMM, minSigma), sigmaSlice: 0)
            return contralateralMean(rcbf, smooth: smooth, head: head, hypo: hypo, midline: midline, affectedLeft: affectedLeft)
        }
        guard mean > 0 else { throw .failed("no contralateral brain tissue to compare rCBF with") }
        let threshold = Float(InfarctCore.rcbfFraction * mean)
        let coreSeg = clock.stage("core") {
            var allowed = interior
            for i in 0..<n where hypo.voxels[i] == 0 { allowed.voxels[i] = 0 }
            var fp = flowParameters
            fp.sigma1 = max(fp.sigma1, minSigma)
            fp.clipRange = Float(mean) * fp.clipRange.lowerBound...Float(mean) * fp.clipRange.upperBound
            var seg = InfarctThreshold.segment(rcbf, head: head, allowed: allowed, threshold: threshold, below: true, fp,
                                               tissue: tissue)
            for i in 0..<n where hypo.voxels[i] == 0 { seg.region.voxels[i] = 0 }
            return seg
        }
        let core = coreSeg.region
        var findings: [Finding] = []
        var coreML = 0.0, hypoML = 0.0
        clock.stage("measure") {
            if let p = Regions.properties(mask: core, intensity: rcbf), let region = RegionMask(full: core) {
                coreML = p.volumeML
                let ratio = p.mean / mean * 100
                let (lat, site) = InfarctBrain.laterality(InfarctBrain.sides(core, midline: midline))
                var confidence = 0.5 + (30 - ratio) / 30 * 0.45
                if p.volumeML < 1 { confidence *= 0.8 }
                findings.append(Finding(
                    number: 1, kind: .core, category: "core", mask: region, centroidMM: p.centroid, laterality: lat, site: site,
                    measurements: [Measurement(.volume, p.volumeML, "mL"), Measurement(.meanRCBFRatio, ratio, "%")],
                    confidence: min(0.99, max(0.05, confidence)),
                    reason: "rCBF below 30 % of the contralateral mean (\(InfarctCore.fmt(mean))) in \(InfarctCore.fmt(p.volumeML)) mL "
                        + "within Tmax > 6 s; mean \(Int(ratio.rounded())) % of the contralateral mean"))
            }
            if let p = Regions.properties(mask: hypo, intensity: tmax), let region = RegionMask(full: hypo) {
                hypoML = p.volumeML
                let (lat, site) = InfarctBrain.laterality(hypoSplit)
                findings.append(Finding(
                    number: findings.count + 1, kind: .hypoperfusion, category: "Tmax>6s", mask: region, centroidMM: p.centroid,
                    laterality: lat, site: site,
                    measurements: [Measurement(.volume, p.volumeML, "mL"), Measurement(.meanTmax, p.mean, "s")],
                    confidence: min(0.99, max(0.05, 0.5 + (p.mean - InfarctCore.tmaxThreshold) / 8)),
                    reason: "Tmax above 6 s in \(InfarctCore.fmt(p.volumeML)) mL (mean \(InfarctCore.fmt(p.mean)) s)"))
            }
        }
        var measurements = [Measurement(.coreVolume, coreML, "mL"), Measurement(.tmax6Volume, hypoML, "mL"),
                            Measurement(.mismatchVolume, max(0, hypoML - coreML), "mL")]
        var notes = ["core = rCBF < 30 % of the contralateral hemisphere's mean (\(InfarctCore.fmt(mean)) \(info.units)) "
                     + "within Tmax > 6 s; both by noise-robust smoothing (boundary clamps ±\(InfarctCore.fmt(Double(coreSeg.clip))), "
                     + "±\(InfarctCore.fmt(Double(hypoSeg.clip))) s)",
                     "midline at x = \(InfarctCore.fmt(midline)) mm (brain mask centroid); affected side "
                     + (affectedLeft ? "left" : "right")]
        if coreML > 0 {
            measurements.append(Measurement(.mismatchRatio, hypoML / coreML, "1"))
        } else {
            notes.append("no core: mismatch ratio undefined")
        }
        if hypoML == 0 { notes.append("no Tmax > 6 s region") }
        return AnalysisResult(analyzer: .infarct, version: InfarctCore.version, seriesInstanceUID: info.seriesInstanceUID,
                              geometry: rcbf.geometry, dimensions: rcbf.dimensions, organName: "brain",
                              organ: RegionMask(full: head), findings: findings, caseMeasurements: measurements,
                              timings: clock.timings, notes: notes)
    }

    /// The head without its CSF: CSF has neither flow nor delay, so a voxel is CSF when its own
    /// rCBF is below `csfFraction` of the head's median and its own Tmax is below the 6 s
    /// threshold. Ischaemic core (low flow, long delay) therefore stays tissue. Per-voxel values,
    /// not smoothed ones, so that the CSF/cortex step is not blurred; a tissue voxel that noise
    /// puts in CSF only drops out of its neighbours' averages.
    static func tissueMask(rcbf: Volume<Float>, tmax: Volume<Float>, head: Mask) -> Mask {
        var values: [Float] = []
        for i in 0..<rcbf.voxels.count where head.voxels[i] != 0 { values.append(rcbf.voxels[i]) }
        var tissue = head
        guard !values.isEmpty else { return tissue }
        values.sort()
        let floor = Float(csfFraction) * values[values.count / 2]
        let delay = Float(InfarctCore.tmaxThreshold)
        for i in 0..<tissue.voxels.count where head.voxels[i] != 0 && rcbf.voxels[i] < floor && tmax.voxels[i] < delay {
            tissue.voxels[i] = 0
        }
        return tissue
    }

    /// Mean rCBF of the unaffected hemisphere's tissue: head voxels on the other side of the
    /// midline, not hypoperfused, whose own rCBF and smoothed rCBF are both ≥ half that side's
    /// median (CSF out).
    ///
    /// The voxel's own value decides: the smoothed map alone blurs the step between cortex
    /// (high flow) and the CSF around it, so the CSF within about σ of the cortex rose above the
    /// floor and its near-zero flow was averaged in — the mean came out 2–4 % low, the 30 %
    /// threshold with it, and the core small. The smoothed value is still required above the
    /// floor so that isolated noise spikes inside CSF do not count as tissue.
    static func contralateralMean(_ rcbf: Volume<Float>, smooth: Volume<Float>, head: Mask, hypo: Mask,
                                  midline: Double, affectedLeft: Bool) -> Double {
        let d = rcbf.dimensions
        var index: [Int] = []
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let i = d.index(s, r, c)
                    guard head.voxels[i] != 0, hypo.voxels[i] == 0 else { continue }
                    let left = InfarctBrain.patientX(rcbf.geometry, s, r, c) > midline
                    if left != affectedLeft { index.append(i) }
                }
            }
        }
        guard !index.isEmpty else { return 0 }
        var values = index.map { rcbf.voxels[$0] }
        values.sort()
        let floor = Float(csfFraction) * values[values.count / 2]
        var sum = 0.0, count = 0
        for i in index where rcbf.voxels[i] >= floor && smooth.voxels[i] >= floor {
            sum += Double(rcbf.voxels[i])
            count += 1
        }
        return count > 0 ? sum / Double(count) : 0
    }
}

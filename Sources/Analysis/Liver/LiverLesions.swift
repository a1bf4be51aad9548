import Foundation
import Imaging

/// Focal liver lesions in portal-venous abdominal CT (DESIGN §8): the liver mask, its
/// parenchyma statistics, hypodense and hyperdense lesions against them, per lesion volume,
/// diameters, HU and contrast to the liver; liver volume and tumour burden per case.
///
/// Stages: `LiverMaskFinder` (coarse liver and envelope), `LiverField` (detection grid and
/// statistics), `LiverCandidates` (hypo- and hyperdense; again on the field with artefact
/// shading taken out, `LiverBackground`; small faint lesions by a scale-matched blob
/// detector, `LiverScaleBlobs`), `LiverRefine` (full-resolution
/// boundaries), `LiverFindings` (measurements, categories, confidence; the organ mask
/// without the portal vein at the hilum and fat, `LiverPortalVein`, and without the inferior
/// vena cava, `LiverVenaCava` anchored on `LiverAorta`).
public struct LiverLesions: Analyzer {
    public static let kind = AnalyzerKind.liver
    public static let version = "1.8.0"

    /// Words in the series description or image type that say the series is contrast-enhanced.
    static let contrastWords = ["PV", "PORTAL", "VENOUS", "VEN", "C+", "CONTRAST", "ENHANCED", "CE", "KM"]
    /// Largest slice spacing accepted (mm).
    static let maximumSliceSpacingMM = 5.0

    /// An analyzer with the default settings.
    public init() {}

    /// Finds the liver and its focal lesions; refuses non-CT, non-contrast and thick-slice series.
    public func analyze(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult {
        let series = try Self.check(input)
        let v = series.volume
        var clock = StageClock()
        let found = clock.stage("liver mask") {
            Result { () throws(AnalysisError) -> CoarseLiver in try LiverMaskFinder.find(v) }
        }
        let coarse = try found.get()
        let field = clock.stage("liver statistics") { LiverField(source: v, coarse: coarse) }
        let hypo = clock.stage("hypodense candidates") { LiverCandidates.hypodense(field) }
        let hyper = clock.stage("hyperdense candidates") { LiverCandidates.hyperdense(field) }
        let (shaded, local) = clock.stage("shading-corrected candidates") { LiverBackground.candidates(field, beside: hypo + hyper) }
        let blobs = clock.stage("scale-matched candidates") { LiverScaleBlobs.candidates(shaded, beside: hypo + hyper + local) }
        let refined = clock.stage("refinement") { () -> [RefinedLesion] in
            let voxelPasses = (hypo + hyper).compactMap { LiverRefine.refine($0, field) } + local.compactMap { LiverRefine.refine($0, shaded) }
            let blobPass: [RefinedLesion] = blobs.compactMap { LiverRefine.refine($0, shaded) }
            return voxelPasses + blobPass.filter(LiverScaleBlobs.largeEnough)
        }
        let (organ, liverML) = clock.stage("organ mask") { LiverFindings.organ(field, refined, grid: v.dimensions) }
        let findings = clock.stage("measurements") { LiverFindings.findings(refined, field, grid: v.dimensions) }
        let lesionML = findings.reduce(0) { $0 + ($1.measurement(.volume) ?? 0) }
        let notes = [String(format: "liver parenchyma median %.0f HU (smoothed SD %.1f HU, image noise %.1f HU)",
                            field.median, field.sigma, field.noise),
                     String(format: "hypodense threshold %.0f HU, hyperdense threshold %.0f HU",
                            field.median - LiverCandidates.hypoThreshold(field),
                            field.median + LiverCandidates.hyperThreshold(field))]
        return AnalysisResult(analyzer: Self.kind, version: Self.version, seriesInstanceUID: series.info.seriesInstanceUID,
                              geometry: v.geometry, dimensions: v.dimensions, organName: "liver", organ: organ,
                              findings: findings,
                              caseMeasurements: [Measurement(.liverVolume, liverML, "mL"),
                                                 Measurement(.tumourBurden, liverML > 0 ? 100 * lesionML / liverML : 0, "%"),
                                                 Measurement(.lesionCount, Double(findings.count), "1")],
                              timings: clock.timings, notes: notes)
    }

    /// The image series if the analyzer can handle it; otherwise the refusal and its reason.
    static func check(_ input: AnalysisInput) throws(AnalysisError) -> InputSeries {
        guard let s = input.series(.image) else { throw .refused("no image series") }
        let info = s.info
        guard info.modality.uppercased() == "CT" else {
            throw .refused("modality \(info.modality.isEmpty ? "unknown" : info.modality): CT required")
        }
        guard info.units.isEmpty || info.units.uppercased() == "HU" else {
            throw .refused("voxel values in \(info.units): Hounsfield units required")
        }
        guard hasContrast(info) else { throw .refused(noContrastReason(info)) }
        let spacing = s.volume.spacing.slice
        guard spacing <= maximumSliceSpacingMM + 1e-6 else {
            throw .refused(String(format: "slice spacing %.1f mm > %.0f mm", spacing, maximumSliceSpacingMM))
        }
        if let t = info.sliceThicknessMM, t > maximumSliceSpacingMM + 1e-6 {
            throw .refused(String(format: "slice thickness %.1f mm > %.0f mm", t, maximumSliceSpacingMM))
        }
        guard s.volume.dimensions.slices >= 8, s.volume.dimensions.rows >= 32, s.volume.dimensions.columns >= 32 else {
            throw .refused("volume too small for an abdominal CT (\(s.volume.dimensions))")
        }
        return s
    }

    /// Why a series is refused as non-contrast: the measurement, and a header that said
    /// otherwise.
    static func noContrastReason(_ info: SeriesInfo) -> String {
        guard measuredContrast(info) != nil else { return "no contrast: portal-venous phase required" }
        let agent = info.contrastAgent.trimmingCharacters(in: .whitespaces)
        let header = headerSaysContrast(info)
            ? "; the header says contrast" + (agent.isEmpty ? "" : " (ContrastBolusAgent \(agent))") + ", the pixels decide" : ""
        return "no contrast: portal-venous phase required (measured in the pixels: \(info.contrastEvidence)\(header))"
    }

    /// The contrast phase measured in the pixels (the preflight's aorta, portal vein and liver
    /// HU) decides when there is one: arterial or portal-venous is contrast, none is not,
    /// whatever the header says. Without a measurement the header decides: ContrastBolusAgent
    /// present, or a contrast word in the description or image type (a negation there says no).
    static func hasContrast(_ info: SeriesInfo) -> Bool {
        if let measured = measuredContrast(info) { return measured }
        return headerSaysContrast(info)
    }

    /// Whether the measured phase is a contrast phase; nil when the pixels were not measured.
    static func measuredContrast(_ info: SeriesInfo) -> Bool? {
        info.contrastPhase.isEmpty ? nil : ["arterial", "portal-venous"].contains(info.contrastPhase)
    }

    /// ContrastBolusAgent present, or a contrast word in the description or image type (a
    /// negation there says no).
    static func headerSaysContrast(_ info: SeriesInfo) -> Bool {
        let agent = info.contrastAgent.trimmingCharacters(in: .whitespaces).uppercased()
        if !agent.isEmpty && !["NONE", "NO", "N/A"].contains(agent) { return true }
        let text = ([info.seriesDescription] + info.imageType).joined(separator: " ").uppercased()
        let words = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let negations = ["NON", "NONCONTRAST", "WITHOUT", "NATIVE", "NC", "UNENHANCED", "PLAIN"]
        if text.contains("W/O") || text.contains("C-") || words.contains(where: { negations.contains($0) }) { return false }
        return text.contains("C+") || words.contains(where: { contrastWords.contains($0) })
    }
}

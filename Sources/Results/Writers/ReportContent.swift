import Analysis
import DICOM

/// The content of the TID 1500 report (in `DICOM.MeasurementReport` terms):
/// one volumetric group per segment (organ, then findings), one case group, and the
/// document-level evaluations ("no findings" when there are none, the analyzer's notes).
struct ReportContent {
    typealias NumericItem = MeasurementReport.Measurement
    typealias Evaluation = MeasurementReport.Evaluation
    typealias Group = MeasurementReport.Group

    var groups: [Group] = []
    var evaluations: [Evaluation] = []

    init(result: AnalysisResult, plan: SegmentPlan, uids: ResultUIDs) {
        let organCode = FindingCoding.organ(result.organName) ?? FindingCoding.organ(for: result.analyzer)
        if let organ = plan.organ {
            let volumes = result.caseMeasurements.filter { MeasurementCoding.isOrganVolume($0.kind, organ: result.organName) }
            let items = volumes.compactMap(Self.item)
            if !items.isEmpty {
                groups.append(Group(trackingID: organ.trackingID, trackingUID: organ.trackingUID,
                                    finding: organCode, findingSite: nil, laterality: nil, segmentNumber: organ.number,
                                    measurements: items, evaluations: []))
            }
        }
        for segment in plan.segments {
            guard let f = segment.finding else { continue }
            var items = f.measurements.compactMap(Self.item)
            items.append(NumericItem(concept: Codes.confidence, derivation: nil, value: f.confidence,
                                     unit: MeasurementCoding.unit("1")))
            var evaluations = [Evaluation(concept: Codes.category, code: FindingCoding.category(f.category), text: "")]
            for a in f.assessments {
                let coded = FindingCoding.assessment(a)
                evaluations.append(Evaluation(concept: coded.concept, code: coded.value, text: ""))
            }
            if !f.site.isEmpty { evaluations.append(Evaluation(concept: Codes.siteDescription, code: nil, text: f.site)) }
            if !f.reason.isEmpty { evaluations.append(Evaluation(concept: Codes.comment, code: nil, text: f.reason)) }
            groups.append(Group(trackingID: segment.trackingID, trackingUID: segment.trackingUID,
                                finding: segment.type, findingSite: organCode,
                                laterality: FindingCoding.laterality(f.laterality), segmentNumber: segment.number,
                                measurements: items, evaluations: evaluations))
        }
        let caseItems = result.caseMeasurements
            .filter { plan.organ == nil || !MeasurementCoding.isOrganVolume($0.kind, organ: result.organName) }
            .compactMap(Self.item)
        if !caseItems.isEmpty {
            groups.append(Group(trackingID: "Case summary", trackingUID: uids.caseTracking,
                                finding: nil, findingSite: organCode, laterality: nil, segmentNumber: nil,
                                measurements: caseItems, evaluations: []))
        }
        if result.findings.isEmpty {
            evaluations.append(Evaluation(concept: Codes.finding, code: Codes.noAbnormality, text: ""))
            evaluations.append(Evaluation(concept: Codes.comment, code: nil,
                                          text: "AutoSeg \(result.analyzer.rawValue) \(result.version) analyzed this series "
                                              + "and found no \(FindingCoding.title(of: result.analyzer))."))
        }
        for note in result.notes where !note.isEmpty {
            evaluations.append(Evaluation(concept: Codes.comment, code: nil, text: note))
        }
    }

    /// The SR item of a measurement; nil for a value DS cannot hold (NaN, infinity).
    static func item(_ m: Measurement) -> NumericItem? {
        guard m.value.isFinite else { return nil }
        let c = MeasurementCoding.concept(for: m.kind)
        return NumericItem(concept: c.concept, derivation: c.derivation, value: m.value,
                           unit: MeasurementCoding.unit(m.unit), site: c.site, laterality: c.laterality)
    }
}

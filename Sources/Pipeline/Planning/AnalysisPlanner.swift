import Analysis

/// One analysis to run: the analyzer and its input series (primary first: the CT, the ADC
/// map, or the rCBF map followed by the Tmax map), and the routing that chose it.
public struct PlannedAnalysis: Sendable {
    public var analyzer: AnalyzerKind
    public var series: [ScannedSeries]
    /// The rule that chose the analyzer ("rules[2]", "default").
    public var rule: String
    /// Why, in words.
    public var reason: String
    public var primary: ScannedSeries { series[0] }

    public init(analyzer: AnalyzerKind, series: [ScannedSeries], rule: String = "default", reason: String = "") {
        self.analyzer = analyzer
        self.series = series
        self.rule = rule
        self.reason = reason
    }
}

/// A series no analyzer will look at, and why.
public struct Unanalyzed: Sendable {
    public var series: ScannedSeries
    public var reason: String
}

/// Planning of the one analysis path, for the node (one series as it completes) and for
/// `autoseg run` (every series found at once): routing (`Router`: `[[rules]]` or the
/// default), the analyzers the caller allows, and multi-series pairing (`SeriesPairing`).
public struct AnalysisPlanner: Sendable {
    /// What to do with one complete series.
    public enum Step: Sendable {
        /// Run this analysis (its primary may be another series: a Tmax map's job is its rCBF
        /// map's, a DWI trace's its ADC map's); an ADC map without a DWI in its study runs alone.
        case analyze(PlannedAnalysis)
        /// The series is one input of a multi-series analysis whose partner is missing
        /// (`arriving` false) or not complete yet (`arriving` true): the partner's own
        /// completion forms the job.
        case awaitPartner(analyzer: AnalyzerKind, wanted: InputRole, arriving: Bool)
        /// Stored, not analyzed by this analyzer (or by any, when `analyzer` is nil).
        case skip(analyzer: AnalyzerKind?, reason: String)
    }

    public let router: Router
    public let allowed: Set<AnalyzerKind>
    /// The caller named `allowed` (`--analyzers`): a CT image series that routing sends to
    /// none of them goes to the allowed CT analyzers (lung, liver) anyway, and only they may
    /// refuse it.
    public let forced: Bool

    public init(rules: [Rule] = [], allowed: Set<AnalyzerKind> = Set(AnalyzerKind.allCases), forced: Bool = false) {
        router = Router(rules: rules)
        self.allowed = allowed
        self.forced = forced
    }

    /// The steps for series `s` once complete. `study` gives the series of its study known so
    /// far (it may include `s`; asked only when an analyzer needs a partner); `isComplete`
    /// says whether one of them has finished arriving.
    public func steps(for s: ScannedSeries, study: () -> [ScannedSeries],
                      isComplete: (ScannedSeries) -> Bool = { _ in true }) -> (decision: RouteDecision, steps: [Step]) {
        var decision = router.route(s)
        if forced && !decision.analyzers.contains(where: allowed.contains) && s.role == .image && s.first.modality == "CT" {
            let kinds = AnalyzerKind.allCases.filter { allowed.contains($0) && $0 != .infarct }
            if !kinds.isEmpty {
                decision = RouteDecision(analyzers: kinds, rule: "--analyzers",
                                         reason: "forced by --analyzers (routing alone: \(decision.reason))",
                                         content: decision.content)
            }
        }
        var known: [ScannedSeries]?
        func studySeries() -> [ScannedSeries] {
            if known == nil { known = study() }
            return known!
        }
        guard !decision.analyzers.isEmpty else { return (decision, [.skip(analyzer: nil, reason: decision.reason)]) }
        let steps = decision.analyzers.map { kind -> Step in
            guard allowed.contains(kind) else {
                return .skip(analyzer: kind, reason: "would go to \(kind.rawValue), which was not selected (--analyzers)")
            }
            guard let wanted = SeriesPairing.partnerRole(of: s.role, analyzer: kind) else {
                return .analyze(PlannedAnalysis(analyzer: kind, series: [s], rule: decision.rule, reason: decision.reason))
            }
            guard let partner = SeriesPairing.partner(of: s, wanted: wanted, in: studySeries()) else {
                if SeriesPairing.runsAlone(s) {
                    return .analyze(PlannedAnalysis(analyzer: kind, series: [s], rule: decision.rule,
                                                    reason: "\(decision.reason); no \(SeriesPairing.name(of: wanted)) in the study: alone"))
                }
                if let why = SeriesPairing.unpairedReason(s, in: studySeries()) { return .skip(analyzer: kind, reason: why) }
                return .awaitPartner(analyzer: kind, wanted: wanted, arriving: false)
            }
            guard isComplete(partner) else { return .awaitPartner(analyzer: kind, wanted: wanted, arriving: true) }
            return .analyze(PlannedAnalysis(analyzer: kind, series: SeriesPairing.ordered(s, partner),
                                            rule: decision.rule, reason: decision.reason))
        }
        return (decision, steps)
    }

    /// Every series at once, all complete (`autoseg run`): the analyses, each once (a pair
    /// is planned from either of its series), and the series nothing will analyze.
    public func plan(_ all: [ScannedSeries]) -> (planned: [PlannedAnalysis], unanalyzed: [Unanalyzed]) {
        var planned: [PlannedAnalysis] = [], unanalyzed: [Unanalyzed] = []
        var seen = Set<String>()
        let byStudy = Dictionary(grouping: all, by: \.studyInstanceUID)
        for s in all {
            for step in steps(for: s, study: { byStudy[s.studyInstanceUID] ?? [] }).steps {
                switch step {
                case .analyze(let p):
                    if seen.insert("\(p.analyzer.rawValue) \(p.primary.seriesInstanceUID)").inserted { planned.append(p) }
                case .awaitPartner(_, let wanted, _):
                    unanalyzed.append(Unanalyzed(series: s, reason: "\(SeriesPairing.phrase(for: s.role)) needs "
                                                 + "\(SeriesPairing.phrase(for: wanted)) of the same study"))
                case .skip(_, let reason):
                    unanalyzed.append(Unanalyzed(series: s, reason: reason))
                }
            }
        }
        return (planned, unanalyzed)
    }
}

import Analysis

/// Analyses that take more than one series of a study (DESIGN §8): a CT perfusion rCBF map
/// with its Tmax map. The one place that knows which role needs which partner and in which
/// order the analyzer wants them (primary first: the job is keyed by the primary series).
public enum SeriesPairing {
    /// The role a series of `role` must be analyzed with by `analyzer`, if any.
    public static func partnerRole(of role: InputRole, analyzer: AnalyzerKind) -> InputRole? {
        guard analyzer == .infarct else { return nil }
        switch role {
        case .rcbf: return .tmax
        case .tmax: return .rcbf
        case .adc, .image: return nil
        }
    }

    /// The partner of `s` among `study` (the series of its study, `s` may be among them):
    /// the first series of the wanted role.
    static func partner(of s: ScannedSeries, wanted: InputRole, in study: [ScannedSeries]) -> ScannedSeries? {
        study.first {
            $0.seriesInstanceUID != s.seriesInstanceUID && $0.studyInstanceUID == s.studyInstanceUID && $0.role == wanted
        }
    }

    /// `s` and its partner in the analyzer's order: rCBF before Tmax.
    static func ordered(_ s: ScannedSeries, _ partner: ScannedSeries) -> [ScannedSeries] {
        s.role == .tmax ? [partner, s] : [s, partner]
    }

    /// The role with its article, as messages say it ("a Tmax map", "an rCBF map").
    public static func phrase(for role: InputRole) -> String {
        (role == .tmax ? "a " : "an ") + name(of: role)
    }

    /// How a role is named in messages ("Tmax map").
    public static func name(of role: InputRole) -> String {
        switch role {
        case .rcbf: "rCBF map"
        case .tmax: "Tmax map"
        case .adc: "ADC map"
        case .image: "image series"
        }
    }
}

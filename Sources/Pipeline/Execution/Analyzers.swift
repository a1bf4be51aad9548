import Analysis

extension AnalyzerKind {
    /// The one analyzer factory of the node and of `autoseg run`.
    public func makeAnalyzer() -> any Analyzer {
        switch self {
        case .lung: LungNodules()
        case .liver: LiverLesions()
        case .infarct: InfarctCore()
        }
    }
}

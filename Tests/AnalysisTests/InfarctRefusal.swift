@testable import Analysis

/// Why the infarct analyzer refuses `input` (nil when it analyses it; "not a refusal: …" when it
/// fails instead), for the infarct tests.
func infarctRefusal(_ input: AnalysisInput) -> String? {
    do {
        _ = try InfarctCore().analyze(input)
        return nil
    } catch {
        if case .refused(let why) = error { return why }
        return "not a refusal: \(error)"
    }
}

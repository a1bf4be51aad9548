import Synchronization

/// The preflight of one series, computed once on first use and shared by the copies of its
/// `ScannedSeries` (routing, `rules test`, and the analyzer's contrast phase ask the same
/// probe).
final class ContentCache: Sendable {
    private let value = Mutex<ContentFindings?>(nil)

    init() {}

    var isSet: Bool { value.withLock { $0 != nil } }

    func get(_ compute: () -> ContentFindings) -> ContentFindings {
        if let v = value.withLock({ $0 }) { return v }
        let v = compute()
        value.withLock { $0 = v }
        return v
    }
}

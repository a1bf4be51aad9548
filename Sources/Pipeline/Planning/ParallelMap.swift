import Foundation

/// `map` over all cores, results in input order.
enum ParallelMap {
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ f: @Sendable (T) -> R) -> [R] {
        let box = ResultsBox<R>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in box.set(i, f(items[i])) }
        return box.values
    }

    private final class ResultsBox<R>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [R?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: R) { lock.lock(); slots[i] = r; lock.unlock() }
        var values: [R] { slots.map { $0! } }
    }
}

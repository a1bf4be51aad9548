import Dispatch
import Foundation
import Synchronization

/// How many threads kernels use (default: all active cores). Benchmarks set it to compare
/// 1 vs N threads; kernels split volumes into slabs with `forEachChunk`.
public enum Parallelism {
    private static let setting = Mutex(0)

    /// Threads kernels may use; setting 0 restores "one per active core".
    public static var threads: Int {
        get {
            let t = setting.withLock { $0 }
            return t > 0 ? t : ProcessInfo.processInfo.activeProcessorCount
        }
        set { setting.withLock { $0 = max(0, newValue) } }
    }

    /// Runs `body` over contiguous chunks covering `0..<count` on up to `threads` threads
    /// (about four chunks per thread for balance, none smaller than `minimumChunk`).
    /// With one thread, or inside `inline`, runs in order on the caller.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let t = threads
        let chunks = max(1, min(t * 4, count / max(1, minimumChunk)))
        if t == 1 || chunks == 1 || pthread_getspecific(inlineKey) != nil {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        let n = (count + size - 1) / size
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(t, n)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= n { break }
                body((i * size)..<min(count, (i + 1) * size))
            }
        }
    }
}

extension Parallelism {
    /// Runs `body` with every `forEachChunk` it calls (on this thread) run in order on this
    /// thread: for work that is itself one of several run in parallel (a nodule candidate's
    /// segmentation), where splitting each small kernel again over the busy threads only adds
    /// dispatch and wake-ups. `threads` is unchanged, so kernels that size their slabs by it do the
    /// same arithmetic (and results do not depend on which thread runs a chunk).
    public static func inline<T>(_ body: () throws -> T) rethrows -> T {
        let old = pthread_getspecific(inlineKey)
        pthread_setspecific(inlineKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(inlineKey, old) }
        return try body()
    }

    /// The per-thread flag of `inline`.
    fileprivate static let inlineKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// A raw buffer that parallel chunks write to at disjoint indices.
public struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inline(__always) public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

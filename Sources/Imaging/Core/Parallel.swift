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
    /// With one thread, runs in order on the caller.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let t = threads
        let chunks = max(1, min(t * 4, count / max(1, minimumChunk)))
        if t == 1 || chunks == 1 {
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

/// A raw buffer that parallel chunks write to at disjoint indices.
public struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inline(__always) public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

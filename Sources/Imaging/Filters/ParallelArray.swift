/// Internal: large Float arrays whose pages are first touched by the worker threads that
/// fill them, so the page faults of big outputs are taken in parallel rather than by one
/// zero-filling caller.
enum ParallelArray {
    /// Sets `array` to `count` floats that `body` must initialise entirely (typically from
    /// `Parallelism.forEachChunk` workers writing disjoint parts).
    static func withUninitialized(_ count: Int, _ array: inout [Float],
                                  _ body: (UnsafeSendableBuffer<Float>) -> Void) {
        array = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { body(UnsafeSendableBuffer(buffer.baseAddress!)) }
            initialized = count
        }
    }

    /// `count` zeros, written in parallel.
    static func zeros(count: Int) -> [Float] {
        var array = [Float]()
        withUninitialized(count, &array) { base in
            Parallelism.forEachChunk(count, minimumChunk: 1 << 16) { range in
                (base.base + range.lowerBound).initialize(repeating: 0, count: range.count)
            }
        }
        return array
    }
}

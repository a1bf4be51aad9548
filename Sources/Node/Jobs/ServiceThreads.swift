import Foundation
import ServiceLifecycle

/// The threads of one long-lived node service (scheduler, workers, outbox): they sleep on a
/// doorbell that other services ring when there is new work, and stop together. Threads,
/// not the cooperative pool: analyses are CPU-bound for seconds and C-STOREs block.
final class ServiceThreads: @unchecked Sendable {
    // @unchecked: every mutable field is touched under `condition`.
    private let condition = NSCondition()
    private var stopping = false
    private var rung = false
    private var started = 0
    private var finished = 0
    let name: String

    init(name: String) {
        self.name = name
    }

    /// Starts `count` threads running `body(index)`; each should return once `isStopping`.
    func start(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        condition.withLock { started += count }
        for i in 0..<count {
            let t = Thread { [self] in
                body(i)
                condition.withLock {
                    finished += 1
                    condition.broadcast()
                }
            }
            t.name = count == 1 ? name : "\(name)-\(i)"
            t.stackSize = 8 << 20
            t.start()
        }
    }

    var isStopping: Bool { condition.withLock { stopping } }

    /// Wakes the threads now (new work), instead of at their next poll.
    func ring() {
        condition.withLock {
            rung = true
            condition.broadcast()
        }
    }

    /// Sleeps up to `seconds`, waking early on `ring()` (also one that came while awake) or stop.
    func pause(_ seconds: Double) {
        condition.withLock {
            if !stopping && !rung { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
            rung = false
        }
    }

    /// Runs `body` holding the lock: for state several threads share (e.g. a memory budget),
    /// with `wait()` and `broadcast()` inside.
    func withLock<T>(_ body: () -> T) -> T { condition.withLock(body) }
    func wait() { condition.wait() }
    func broadcast() { condition.broadcast() }

    /// Asks every thread to stop and waits until all have returned (work in progress finishes).
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while finished < started { condition.wait() }
        }
    }

    /// The body of a service's `run()`: `count` threads run `body(index)` until the service
    /// is asked to shut down gracefully; then they are stopped and awaited.
    func runUntilShutdown(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
        start(count, body)
        try? await gracefulShutdown()
        await stopAndWait()
    }

    /// `stop()` off the cooperative pool.
    func stopAndWait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                stop()
                c.resume()
            }
        }
    }
}

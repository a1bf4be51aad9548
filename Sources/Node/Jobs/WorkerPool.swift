import Catalog
import Foundation
import Logging
import ServiceLifecycle

/// The analysis workers as a node service: `workers` threads (0: one per core) take queued
/// jobs from the catalog and run them (`JobRunner`) within a memory budget; a restart puts
/// jobs that were running back in the queue. Graceful shutdown lets analyses in progress
/// finish and record their results.
final class WorkerPool: Service, @unchecked Sendable {
    let catalog: Catalog
    let runner: JobRunner
    let workerCount: Int
    let memoryBudget: Int64
    let stableSeconds: Double
    let ruleCount: Int
    let logger: Logger
    /// Rung by the scheduler when jobs are queued.
    let threads = ServiceThreads(name: "autoseg-worker")
    /// Rung when a job has new results to deliver.
    let outbox: ServiceThreads
    // Under `threads.withLock`.
    private var running = 0
    private var reservedBytes: Int64 = 0

    init(config: NodeConfig, catalog: Catalog, runner: JobRunner, outbox: ServiceThreads, logger: Logger) {
        self.catalog = catalog
        self.runner = runner
        self.outbox = outbox
        self.logger = logger
        let cores = ProcessInfo.processInfo.activeProcessorCount
        workerCount = config.pipeline.workers > 0 ? config.pipeline.workers : max(1, cores)
        let physical = Int64(ProcessInfo.processInfo.physicalMemory)
        memoryBudget = config.pipeline.memoryMB > 0 ? Int64(config.pipeline.memoryMB) * 1_048_576 : physical * 6 / 10
        stableSeconds = config.pipeline.stableSeconds
        ruleCount = config.rules.count
    }

    func run() async throws {
        let requeued = try catalog.requeueRunningJobs()
        logger.info("pipeline started", metadata: [
            "pipeline.workers": "\(workerCount)", "pipeline.memory_budget_mb": "\(memoryBudget / 1_048_576)",
            "pipeline.stable_seconds": "\(stableSeconds)", "pipeline.rules": "\(ruleCount)",
            "pipeline.jobs_requeued": "\(requeued)",
        ])
        await threads.runUntilShutdown(workerCount) { [self] i in loop(i) }
        logger.info("pipeline stopped")
    }

    private func loop(_ index: Int) {
        while !threads.isStopping {
            let job: JobRecord?
            do { job = try catalog.claimNextJob() } catch {
                logger.error("cannot claim a job", metadata: ["error": "\(error)"])
                threads.pause(1)
                continue
            }
            guard let job else {
                threads.pause(0.5)
                continue
            }
            let estimate = estimateBytes(job)
            reserve(estimate)
            try? catalog.jobStarted(job.id)
            let done = runner.run(job, worker: index)
            release(estimate)
            if done {
                outbox.ring()  // the outbox sends the new results now, not at its next poll
                threads.ring()  // another job of this series may wait
            }
        }
    }

    /// Memory an analysis of `job` needs, roughly: its input as float32 voxels (≈ 2× the
    /// 16-bit files, sizes from the catalog) times the working copies the analyzers keep (≈ 6).
    private func estimateBytes(_ job: JobRecord) -> Int64 {
        var bytes: Int64 = 0
        for uid in job.inputSeries {
            for f in (try? catalog.instanceFilesWithSizes(seriesInstanceUID: uid)) ?? [] { bytes += f.size }
        }
        return bytes * 12
    }

    /// Waits until `bytes` fit in the budget next to the analyses running (a job alone
    /// always runs).
    private func reserve(_ bytes: Int64) {
        threads.withLock {
            while running > 0 && reservedBytes + bytes > memoryBudget { threads.wait() }
            running += 1
            reservedBytes += bytes
        }
    }

    private func release(_ bytes: Int64) {
        threads.withLock {
            running -= 1
            reservedBytes -= bytes
            threads.broadcast()
        }
    }
}

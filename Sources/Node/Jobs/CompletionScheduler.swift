import Analysis
import Catalog
import Foundation
import Logging
import Pipeline
import ServiceLifecycle

/// Series completion and routing (DESIGN §7a) as a node service: a series is complete after
/// `stable_seconds` without a new instance; the one analysis planner (`AnalysisPlanner`:
/// rules or default routing, CT perfusion pairing) turns it into queued jobs, or records why
/// it is stored only. Everything it decides is in the catalog first.
final class CompletionScheduler: Service, @unchecked Sendable {
    let catalog: Catalog
    let series: CatalogSeries
    /// Rules (and so the planner) as last (re)loaded.
    let settings: LiveSettings
    let stableSeconds: Double
    let logger: Logger
    /// Rung when jobs are queued.
    let workers: ServiceThreads
    let threads = ServiceThreads(name: "autoseg-scheduler")

    init(catalog: Catalog, series: CatalogSeries, settings: LiveSettings, stableSeconds: Double, workers: ServiceThreads,
         logger: Logger) {
        self.catalog = catalog
        self.series = series
        self.settings = settings
        self.stableSeconds = stableSeconds
        self.workers = workers
        self.logger = logger
    }

    func run() async throws {
        await threads.runUntilShutdown(1) { [self] _ in loop() }
    }

    private func loop() {
        // The completion check is one scan of `series`; 5 Hz keeps the wait after
        // the deadline under 0.2 s without loading the catalog.
        let tick = min(0.2, max(0.05, stableSeconds / 5))
        while !threads.isStopping {
            do {
                // One cutoff for the whole check: the series found quiet and the partners the
                // planner takes as complete must agree, or a partner that went quiet between the
                // two readings is put into a job without being marked routed, and queues the
                // same job again at the next check.
                let cutoff = Date().addingTimeInterval(-stableSeconds)
                let quiet = try catalog.quietSeries(quietSince: cutoff)
                var queued = 0
                var handled = Set<String>()
                for q in quiet where !handled.contains(q.seriesInstanceUID) {
                    queued += try route(q, quiet: quiet, cutoff: cutoff, handled: &handled)
                }
                if queued > 0 { workers.ring() }
            } catch {
                logger.error("completion check failed", metadata: ["error": "\(error)"])
            }
            threads.pause(tick)
        }
    }

    /// Routes one quiet series: queues its jobs (a CT perfusion map's job is keyed by its rCBF
    /// map) or records that it is stored only. Returns the number of jobs queued.
    private func route(_ q: QuietSeries, quiet: [QuietSeries], cutoff quietSince: Date, handled: inout Set<String>) throws -> Int {
        handled.insert(q.seriesInstanceUID)
        var meta: Logger.Metadata = ["series.uid": "\(q.seriesInstanceUID)", "study.uid": "\(q.studyInstanceUID)",
                                     "series.instances": "\(q.instances)", "dicom.calling_ae": "\(q.callingAE)"]
        guard let s = try series.scanned(q.seriesInstanceUID, study: q.studyInstanceUID) else {
            try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [])
            return 0
        }
        let (decision, steps) = settings.planner.steps(
            for: s, study: { (try? series.study(q.studyInstanceUID)) ?? [] },
            isComplete: { p in
                ((try? catalog.lastReceivedSeconds(seriesInstanceUID: p.seriesInstanceUID)) ?? nil)
                    .map { $0 < quietSince.timeIntervalSince1970 } ?? true
            })
        meta["route.rule"] = "\(decision.rule)"
        var jobs: [NewJob] = []
        var partners: [(seriesInstanceUID: String, through: Double)] = []
        for step in steps {
            switch step {
            case .analyze(let plan):
                jobs.append(NewJob(seriesInstanceUID: plan.primary.seriesInstanceUID, studyInstanceUID: q.studyInstanceUID,
                                   analyzer: plan.analyzer.rawValue, inputSeries: plan.series.map(\.seriesInstanceUID),
                                   rule: plan.rule, callingAE: q.callingAE, remoteHost: q.remoteHost,
                                   inputInstances: plan.series.reduce(0) { $0 + $1.files.count }))
                // The partner of a pair, quiet in this same check, is covered by this job.
                // One the quiet list does not hold (past its limit) is marked routed through
                // what it has received, so its own completion does not queue the job again.
                for p in plan.series where p.seriesInstanceUID != q.seriesInstanceUID
                    && !partners.contains(where: { $0.seriesInstanceUID == p.seriesInstanceUID }) {
                    if let other = quiet.first(where: { $0.seriesInstanceUID == p.seriesInstanceUID }) {
                        partners.append((other.seriesInstanceUID, other.lastReceivedAt))
                        handled.insert(other.seriesInstanceUID)
                    } else if let last = try catalog.lastReceivedSeconds(seriesInstanceUID: p.seriesInstanceUID),
                              last < quietSince.timeIntervalSince1970 {
                        partners.append((p.seriesInstanceUID, last))
                        handled.insert(p.seriesInstanceUID)
                    }
                }
            case .awaitPartner(_, let wanted, let arriving):
                var m = meta
                let name = SeriesPairing.name(of: wanted)
                let why = arriving ? "its \(name) is still arriving" : "waiting for the \(name) of this study"
                m["route.reason"] = "\(decision.reason); \(why)"
                // A pair's series (CT perfusion map, MR DWI trace) without its partner yet.
                logger.info(arriving ? "series complete: waits for its partner series"
                                     : "series complete: without its partner series yet", metadata: m)
            case .skip(let analyzer, let reason):
                var m = meta
                m["route.reason"] = "\(reason)"
                if let analyzer { m["job.analyzer"] = "\(analyzer.rawValue)" }
                logger.info("series complete: stored, not analyzed", metadata: m)
            }
        }
        let ids = try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: jobs,
                                    alsoRouted: partners)
        for (id, job) in zip(ids, jobs) {
            var m = meta
            m["route.reason"] = "\(decision.reason)"
            m["job.id"] = "\(id)"
            m["job.analyzer"] = "\(job.analyzer)"
            m["job.series_uid"] = "\(job.seriesInstanceUID)"
            logger.info("series complete: job queued", metadata: m)
        }
        return ids.count
    }
}

import Analysis
import Catalog
import DICOM
import Foundation
import Imaging
import Logging
import Results

/// The node's loop after ingest (DESIGN §1, §7a): series completion, routing, the persistent
/// job queue worked on by `workers` threads within a memory budget, and the outbox that
/// delivers results with per-result exponential back-off. Everything it decides is in the
/// catalog first, so a restart resumes where it stopped: running jobs go back to the queue,
/// pending deliveries are retried, and result UIDs are the same on every run.
///
/// Threads, not the cooperative pool: analyses are CPU-bound for seconds and C-STOREs block.
final class PipelineService: @unchecked Sendable {
    let config: NodeConfig
    let spool: Spool
    let catalog: Catalog
    let logger: Logger
    let router: Router
    let workerCount: Int
    let memoryBudget: Int64
    /// Client credentials for `[[peers]]` with `tls = true` (nil: none configured).
    let deliveryTLS: TLSConfiguration?

    private let lock = NSCondition()
    private var stopping = false
    private var running = 0
    private var reservedBytes: Int64 = 0
    private var threads: [Thread] = []
    private var finished = 0

    init(config: NodeConfig, spool: Spool, catalog: Catalog, deliveryTLS: TLSConfiguration? = nil, logger: Logger) {
        self.config = config
        self.deliveryTLS = deliveryTLS
        self.spool = spool
        self.catalog = catalog
        self.logger = logger
        router = Router(rules: config.rules)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        workerCount = config.pipeline.workers > 0 ? config.pipeline.workers : max(1, cores)
        let physical = Int64(ProcessInfo.processInfo.physicalMemory)
        memoryBudget = config.pipeline.memoryMB > 0 ? Int64(config.pipeline.memoryMB) * 1_048_576 : physical * 6 / 10
    }

    var outboxDirectory: URL { spool.dataDirectory.appendingPathComponent("outbox") }

    func start() throws {
        try FileManager.default.createDirectory(at: outboxDirectory.appendingPathComponent(".work"),
                                                withIntermediateDirectories: true)
        let requeued = try catalog.requeueRunningJobs()
        logger.info("pipeline started", metadata: [
            "pipeline.workers": "\(workerCount)", "pipeline.memory_budget_mb": "\(memoryBudget / 1_048_576)",
            "pipeline.stable_seconds": "\(config.pipeline.stableSeconds)", "pipeline.rules": "\(config.rules.count)",
            "pipeline.jobs_requeued": "\(requeued)",
        ])
        var list = [Thread(block: { [self] in schedulerLoop() }), Thread(block: { [self] in outboxLoop() })]
        for i in 0..<workerCount { list.append(Thread(block: { [self] in workerLoop(i) })) }
        for t in list {
            t.stackSize = 8 << 20
            t.start()
        }
        threads = list
    }

    /// Stops taking new work; analyses and sends in progress finish. Returns when every
    /// thread has ended.
    func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while finished < threads.count { lock.wait() }
        lock.unlock()
        logger.info("pipeline stopped")
    }

    var isStopping: Bool { lock.withLock { stopping } }

    func threadDone() {
        lock.lock()
        finished += 1
        lock.broadcast()
        lock.unlock()
    }

    /// Sleeps up to `seconds`, waking early on stop or new work.
    func pause(_ seconds: Double) {
        lock.lock()
        if !stopping { _ = lock.wait(until: Date().addingTimeInterval(seconds)) }
        lock.unlock()
    }

    /// Wakes every waiting thread (workers and the outbox).
    private func wakeWorkers() {
        lock.lock()
        lock.broadcast()
        lock.unlock()
    }

    // MARK: completion and routing

    private func schedulerLoop() {
        defer { threadDone() }
        let stable = config.pipeline.stableSeconds
        // The completion check is one scan of `series`; 5 Hz keeps the wait after
        // the deadline under 0.2 s without loading the catalog.
        let tick = min(0.2, max(0.05, stable / 5))
        while !isStopping {
            do {
                let quiet = try catalog.quietSeries(quietSince: Date().addingTimeInterval(-stable))
                var queued = 0
                var handled = Set<String>()
                for s in quiet where !handled.contains(s.seriesInstanceUID) {
                    queued += try routeSeries(s, quiet: quiet, handled: &handled)
                }
                if queued > 0 { wakeWorkers() }
            } catch {
                logger.error("completion check failed", metadata: ["error": "\(error)"])
            }
            pause(tick)
        }
    }

    /// The series of `study` as the router and analyzers see them (files from the catalog,
    /// header of the first file).
    func scannedSeries(_ seriesUID: String, study: String) throws -> ScannedSeries? {
        try scannedSeries(seriesUID, study: study,
                          files: catalog.instanceFiles(seriesInstanceUID: seriesUID))
    }

    /// The same, for `files` (data-dir-relative) already read from the catalog.
    func scannedSeries(_ seriesUID: String, study: String, files relative: [String]) throws -> ScannedSeries? {
        let files = relative.map { spool.dataDirectory.appendingPathComponent($0).path }
        guard let first = files.first else { return nil }
        let info = try FileInfo.read(path: first)
        return ScannedSeries(seriesInstanceUID: seriesUID, studyInstanceUID: study, files: files, first: info)
    }

    /// Routes one quiet series: queues its job (or its CT perfusion pair's) or records that
    /// it is stored only. Returns the number of jobs queued.
    private func routeSeries(_ q: QuietSeries, quiet: [QuietSeries], handled: inout Set<String>) throws -> Int {
        handled.insert(q.seriesInstanceUID)
        var meta: Logger.Metadata = ["series_uid": "\(q.seriesInstanceUID)", "study_uid": "\(q.studyInstanceUID)",
                                     "instances": "\(q.instances)", "calling_ae": "\(q.callingAE)"]
        guard let s = try scannedSeries(q.seriesInstanceUID, study: q.studyInstanceUID) else {
            try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [])
            return 0
        }
        let decision = router.route(s)
        meta["rule"] = "\(decision.rule)"
        meta["reason"] = "\(decision.reason)"
        guard let analyzer = decision.analyzer else {
            try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [])
            logger.info("series complete: stored, not analyzed", metadata: meta)
            return 0
        }
        var inputs = [s]
        if analyzer == .infarct && (s.role == .rcbf || s.role == .tmax) {
            // CT perfusion: one job per rCBF + Tmax pair, keyed by the rCBF series.
            let wanted: InputRole = s.role == .rcbf ? .tmax : .rcbf
            var partner: ScannedSeries?
            for uid in try catalog.seriesOfStudy(q.studyInstanceUID) where uid != s.seriesInstanceUID {
                if let other = try scannedSeries(uid, study: q.studyInstanceUID), other.role == wanted {
                    partner = other
                    break
                }
            }
            // The partner must be complete too; if it is still arriving, its own completion
            // forms the job.
            let quietSince = Date().addingTimeInterval(-config.pipeline.stableSeconds)
            if let p = partner, let last = try catalog.lastReceived(seriesInstanceUID: p.seriesInstanceUID), last >= quietSince {
                try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [])
                meta["reason"] = "\(decision.reason); its \(wanted == .tmax ? "Tmax" : "rCBF") map is still arriving"
                logger.info("series complete: CT perfusion map waits for its partner", metadata: meta)
                return 0
            }
            guard let partner else {
                try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [])
                meta["reason"] = "\(decision.reason); waiting for the \(wanted == .tmax ? "Tmax" : "rCBF") map of this study"
                logger.info("series complete: CT perfusion map without its partner yet", metadata: meta)
                return 0
            }
            inputs = s.role == .rcbf ? [s, partner] : [partner, s]
        }
        let job = NewJob(seriesInstanceUID: inputs[0].seriesInstanceUID, studyInstanceUID: q.studyInstanceUID,
                         analyzer: analyzer.rawValue, inputSeries: inputs.map(\.seriesInstanceUID), rule: decision.rule,
                         callingAE: q.callingAE, remoteHost: q.remoteHost, inputInstances: inputs.reduce(0) { $0 + $1.files.count })
        // The partner of a CT perfusion pair, quiet in this same check, is covered by this job.
        let partners = inputs.compactMap { s in
            quiet.first { $0.seriesInstanceUID == s.seriesInstanceUID && $0.seriesInstanceUID != q.seriesInstanceUID }
        }
        for p in partners { handled.insert(p.seriesInstanceUID) }
        let ids = try catalog.route(seriesInstanceUID: q.seriesInstanceUID, through: q.lastReceivedAt, jobs: [job],
                                    alsoRouted: partners.map { ($0.seriesInstanceUID, $0.lastReceivedAt) })
        meta["job_id"] = "\(ids.first ?? 0)"
        meta["analyzer"] = "\(analyzer.rawValue)"
        logger.info("series complete: job queued", metadata: meta)
        return ids.count
    }

    // MARK: workers

    private func workerLoop(_ index: Int) {
        defer { threadDone() }
        while !isStopping {
            let job: JobRecord?
            do { job = try catalog.claimNextJob() } catch {
                logger.error("cannot claim a job", metadata: ["error": "\(error)"])
                pause(1)
                continue
            }
            guard let job else {
                pause(0.5)
                continue
            }
            let estimate = estimateBytes(job)
            reserve(estimate)
            try? catalog.jobStarted(job.id)
            let (outcome, results, findings) = execute(job)
            release(estimate)
            do {
                try catalog.finishJob(job.id, outcome: outcome, results: results,
                                      destinations: outcome.state == .done ? destinations(for: job) : [],
                                      findings: findings)
            } catch {
                logger.error("cannot record the end of a job", metadata: ["job_id": "\(job.id)", "error": "\(error)"])
            }
            var meta: Logger.Metadata = [
                "job_id": "\(job.id)", "series_uid": "\(job.seriesInstanceUID)", "analyzer": "\(job.analyzer)",
                "state": "\(outcome.state.rawValue)", "input_hash": "\(outcome.inputHash ?? "")",
                "findings": "\(outcome.findings ?? 0)", "results": "\(results.count)", "worker": "\(index)",
                "load_s": "\(secondsText(outcome.loadSeconds))", "analyze_s": "\(secondsText(outcome.analyzeSeconds))",
                "encode_s": "\(secondsText(outcome.encodeSeconds))",
            ]
            if let r = outcome.reason { meta["reason"] = "\(r)" }
            if outcome.state == .done {
                wakeWorkers()  // the outbox sends the new results now, not at its next poll
                logger.info("job done", metadata: meta)
            } else {
                logger.warning("job \(outcome.state.rawValue)", metadata: meta)
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
        lock.lock()
        while running > 0 && reservedBytes + bytes > memoryBudget { lock.wait() }
        running += 1
        reservedBytes += bytes
        lock.unlock()
    }

    private func release(_ bytes: Int64) {
        lock.lock()
        running -= 1
        reservedBytes -= bytes
        lock.broadcast()
        lock.unlock()
    }

    /// Where results of `job` go: the peer it came from (by calling AE) and every
    /// `send_all` peer.
    func destinations(for job: JobRecord) -> [Destination] {
        var out: [Destination] = []
        for p in config.peers where p.aeTitle == job.callingAE || p.sendAll {
            let d = Destination(aeTitle: p.aeTitle, host: p.host, port: p.port)
            if !out.contains(d) { out.append(d) }
        }
        if out.isEmpty {
            logger.warning("no destination for results: no [[peers]] entry for the calling AE and none with send_all",
                           metadata: ["job_id": "\(job.id)", "calling_ae": "\(job.callingAE)"])
        }
        return out
    }

    private func stage(_ job: JobRecord, _ name: String, _ hash: String, _ seconds: Double, _ extra: Logger.Metadata = [:]) {
        var meta: Logger.Metadata = ["job_id": "\(job.id)", "series_uid": "\(job.seriesInstanceUID)",
                                     "analyzer": "\(job.analyzer)", "stage": "\(name)", "input_hash": "\(hash)",
                                     "seconds": "\(secondsText(seconds))"]
        meta.merge(extra) { $1 }
        logger.info("job stage", metadata: meta)
    }

    /// Runs one job: load, analyze, encode (results into the outbox, fsync'd). Never throws:
    /// every failure becomes the job's outcome with its reason.
    func execute(_ job: JobRecord) -> (JobOutcome, [ResultRecord], [FindingRow]) {
        if (try? catalog.hasNewerJob(than: job)) == true {
            return (JobOutcome(state: .done, reason: "superseded by a newer job of the same series"), [], [])
        }
        guard let kind = AnalyzerKind(rawValue: job.analyzer) else {
            return (JobOutcome(state: .failed, reason: "unknown analyzer \(job.analyzer)"), [], [])
        }
        // Load.
        let t0 = Date()
        var scanned: [ScannedSeries] = []
        var inputs: [InputSeries] = []
        var primary: LoadedVolume?
        var hash = ""
        do {
            var names: [String] = []
            for uid in job.inputSeries {
                let files = try catalog.instanceFilesWithSizes(seriesInstanceUID: uid)
                guard let s = try scannedSeries(uid, study: job.studyInstanceUID, files: files.map(\.path)) else {
                    return (JobOutcome(state: .failed, reason: "series \(uid) has no stored instance"), [], [])
                }
                scanned.append(s)
                names += files.map { "\(($0.path as NSString).lastPathComponent):\($0.size)" }
            }
            hash = String(UID.derived(names.sorted()).dropFirst(5).prefix(16))
            for s in scanned {
                let loaded: LoadedVolume
                do throws(VolumeError) { loaded = try VolumeLoader.load(files: s.files) } catch {
                    let load = Date().timeIntervalSince(t0)
                    stage(job, "load", hash, load, ["error": "\(error)"])
                    return (JobOutcome(state: .failed, reason: "cannot load series \(s.seriesInstanceUID): \(error)",
                                       inputHash: hash, loadSeconds: load), [], [])
                }
                if primary == nil { primary = loaded }
                inputs.append(InputSeries(role: s.role, info: s.info(units: loaded.units), volume: loaded.volume))
            }
        } catch {
            return (JobOutcome(state: .failed, reason: "cannot read the input: \(error)", inputHash: hash), [], [])
        }
        let load = Date().timeIntervalSince(t0)
        stage(job, "load", hash, load, ["slices": "\(primary?.volume.dimensions.slices ?? 0)"])

        // Analyze.
        let t1 = Date()
        let result: AnalysisResult
        do throws(AnalysisError) {
            result = try Self.analyzer(kind).analyze(AnalysisInput(series: inputs))
        } catch {
            let seconds = Date().timeIntervalSince(t1)
            stage(job, "analyze", hash, seconds, ["error": "\(error)"])
            switch error {
            case .refused(let why):
                return (JobOutcome(state: .refused, reason: why, inputHash: hash, loadSeconds: load, analyzeSeconds: seconds), [], [])
            case .failed(let why):
                return (JobOutcome(state: .failed, reason: why, inputHash: hash, loadSeconds: load, analyzeSeconds: seconds), [], [])
            }
        }
        let analyze = Date().timeIntervalSince(t1)
        stage(job, "analyze", hash, analyze, ["findings": "\(result.findings.count)"])

        // Encode into the outbox: written in a work folder, fsync'd, renamed to
        // outbox/<SOPInstanceUID>.dcm (a re-run replaces the same names), folder fsync'd.
        let t2 = Date()
        let work = outboxDirectory.appendingPathComponent(".work/job-\(job.id)")
        var records: [ResultRecord] = []
        do {
            try? FileManager.default.removeItem(at: work)
            let written = try ResultWriter.write(result: result, source: primary!, outputDirectory: work,
                                                 options: ResultOptions(keyImages: config.pipeline.keyImages))
            for w in written {
                try FileSystem.syncFile(w.path)
                let name = "\(w.sopInstanceUID).dcm"
                try FileSystem.rename(w.path, outboxDirectory.appendingPathComponent(name).path)
                records.append(ResultRecord(sopInstanceUID: w.sopInstanceUID, seriesInstanceUID: w.seriesInstanceUID,
                                            sopClassUID: w.sopClassUID, kind: w.kind.rawValue, filePath: "outbox/\(name)"))
            }
            try FileSystem.syncDirectory(outboxDirectory.path)
            try? FileManager.default.removeItem(at: work)
        } catch {
            let seconds = Date().timeIntervalSince(t2)
            stage(job, "encode", hash, seconds, ["error": "\(error)"])
            return (JobOutcome(state: .failed, reason: "cannot write results: \(error)", inputHash: hash,
                               loadSeconds: load, analyzeSeconds: analyze, encodeSeconds: seconds), [], [])
        }
        let encode = Date().timeIntervalSince(t2)
        stage(job, "encode", hash, encode, ["objects": "\(records.count)"])
        let findings = result.findings.map { f in
            FindingRow(seriesInstanceUID: job.seriesInstanceUID, studyInstanceUID: job.studyInstanceUID,
                       analyzer: kind.rawValue, version: result.version, number: f.number, kind: f.kind.rawValue,
                       category: f.category, site: f.site, laterality: f.laterality?.rawValue, confidence: f.confidence,
                       measurements: Self.measurementsJSON(f.measurements), createdAt: Date().timeIntervalSince1970)
        }
        let reason = result.findings.isEmpty ? "no findings" : nil
        return (JobOutcome(state: .done, reason: reason, inputHash: hash, findings: result.findings.count,
                           loadSeconds: load, analyzeSeconds: analyze, encodeSeconds: encode), records, findings)
    }

    static func analyzer(_ kind: AnalyzerKind) -> any Analyzer {
        switch kind {
        case .lung: LungNodules()
        case .liver: LiverLesions()
        case .infarct: InfarctCore()
        }
    }

    /// `{"volume": {"value": 1.2, "unit": "mL"}, …}`, keys sorted.
    static func measurementsJSON(_ ms: [Analysis.Measurement]) -> String {
        var object: [String: [String: Any]] = [:]
        for m in ms where m.value.isFinite { object[m.name] = ["value": m.value, "unit": m.unit] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Seconds with three decimals for log metadata ("" when absent).
func secondsText(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "" }

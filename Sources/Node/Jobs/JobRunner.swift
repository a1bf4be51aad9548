import Analysis
import Catalog
import DICOM
import Foundation
import Logging
import Pipeline
import Results

/// Runs one job on the one analysis path (`AnalysisExecutor`) and adds what the node owes:
/// results made durable in the outbox (written in a work folder, fsync'd, renamed to
/// `outbox/<SOPInstanceUID>.dcm` so a re-run replaces the same names, folder fsync'd), and
/// the job's end, result objects, deliveries and findings recorded in one transaction.
/// Stages, loader warnings and the end are logged with the job's id.
struct JobRunner: Sendable {
    let catalog: Catalog
    let series: CatalogSeries
    let dataDirectory: DataDirectory
    let executor: AnalysisExecutor
    /// Peers as last (re)loaded.
    let settings: LiveSettings
    let logger: Logger


    /// Runs `job` and records how it ended. Returns true when it is done with results to deliver.
    func run(_ job: JobRecord, worker: Int) -> Bool {
        var meta: Logger.Metadata = ["job.id": "\(job.id)", "series.uid": "\(job.seriesInstanceUID)",
                                     "job.analyzer": "\(job.analyzer)", "job.worker": "\(worker)"]
        let (outcome, results, findings) = execute(job, meta: &meta)
        do {
            try catalog.finishJob(job.id, outcome: outcome, results: results,
                                  destinations: outcome.state == .done ? destinations(for: job) : [],
                                  findings: findings)
        } catch {
            logger.error("cannot record the end of a job", metadata: meta.merging(["error": "\(error)"]) { $1 })
        }
        meta["job.state"] = "\(outcome.state.rawValue)"
        meta["job.findings"] = "\(outcome.findings ?? 0)"
        meta["job.results"] = "\(results.count)"
        meta["job.load_s"] = "\(secondsText(outcome.loadSeconds))"
        meta["job.analyze_s"] = "\(secondsText(outcome.analyzeSeconds))"
        meta["job.encode_s"] = "\(secondsText(outcome.encodeSeconds))"
        if let r = outcome.reason { meta["job.reason"] = "\(r)" }
        if outcome.state == .done {
            logger.info("job done", metadata: meta)
        } else {
            logger.warning("job \(outcome.state.rawValue)", metadata: meta)
        }
        return outcome.state == .done && !results.isEmpty
    }

    /// Where results of `job` go: the peer it came from (by calling AE) and every
    /// `send_all` peer.
    func destinations(for job: JobRecord) -> [Destination] {
        var out: [Destination] = []
        for p in settings.peers where p.aeTitle == job.callingAE || p.sendAll {
            let d = Destination(aeTitle: p.aeTitle, host: p.host, port: p.port)
            if !out.contains(d) { out.append(d) }
        }
        if out.isEmpty {
            logger.warning("no destination for results: no [[peers]] entry for the calling AE and none with send_all",
                           metadata: ["job.id": "\(job.id)", "dicom.calling_ae": "\(job.callingAE)"])
        }
        return out
    }

    /// Load, analyze, encode into the outbox. Never throws: every failure is the job's
    /// outcome with its reason.
    private func execute(_ job: JobRecord, meta: inout Logger.Metadata) -> (JobOutcome, [ResultRecord], [FindingRow]) {
        if (try? catalog.hasNewerJob(than: job)) == true {
            return (JobOutcome(state: .done, reason: "superseded by a newer job of the same series"), [], [])
        }
        guard let kind = AnalyzerKind(rawValue: job.analyzer) else {
            return (JobOutcome(state: .failed, reason: "unknown analyzer \(job.analyzer)"), [], [])
        }
        // The inputs as the catalog holds them; the hash names them (file names and sizes).
        var inputs: [ScannedSeries] = []
        var names: [String] = []
        do {
            for uid in job.inputSeries {
                let files = try catalog.instanceFilesWithSizes(seriesInstanceUID: uid)
                guard let s = try series.scanned(uid, study: job.studyInstanceUID, files: files.map(\.path)) else {
                    return (JobOutcome(state: .failed, reason: "series \(uid) has no stored instance"), [], [])
                }
                inputs.append(s)
                names += files.map { "\(($0.path as NSString).lastPathComponent):\($0.size)" }
            }
        } catch {
            return (JobOutcome(state: .failed, reason: "cannot read the input: \(error)"), [], [])
        }
        let hash = String(UID.derived(names.sorted()).dropFirst(5).prefix(16))
        meta["job.input_hash"] = "\(hash)"

        let plan = PlannedAnalysis(analyzer: kind, series: inputs, rule: job.rule)
        let work = dataDirectory.workDirectory(job: job.id)
        try? FileManager.default.removeItem(at: work)
        let stageMeta = meta
        let outcome = executor.run(plan, resultsInto: work) { event in log(event, meta: stageMeta) }
        var result = JobOutcome(state: .failed, reason: outcome.reason, inputHash: hash,
                                loadSeconds: outcome.loadSeconds, analyzeSeconds: outcome.analyzeSeconds,
                                encodeSeconds: outcome.writeSeconds)
        switch outcome.status {
        case .refused: result.state = .refused
        case .failed: result.state = .failed
        case .analyzed: break
        }
        guard outcome.status == .analyzed, let analysis = outcome.result else {
            try? FileManager.default.removeItem(at: work)
            return (result, [], [])
        }

        // Durability: each file fsync'd and renamed into the outbox, then the folder.
        let t = Date()
        var records: [ResultRecord] = []
        do {
            for w in outcome.written {
                try FileSystem.syncFile(w.path)
                let relative = DataDirectory.resultPath(sopInstanceUID: w.sopInstanceUID)
                try FileSystem.rename(w.path, dataDirectory.url(of: relative).path)
                records.append(ResultRecord(sopInstanceUID: w.sopInstanceUID, seriesInstanceUID: w.seriesInstanceUID,
                                            sopClassUID: w.sopClassUID, kind: w.kind.rawValue, filePath: relative))
            }
            try FileSystem.syncDirectory(dataDirectory.outboxDirectory.path)
            try? FileManager.default.removeItem(at: work)
        } catch {
            result.encodeSeconds = outcome.writeSeconds + Date().timeIntervalSince(t)
            result.reason = "cannot write results: \(error)"
            logger.info("job stage", metadata: stageMeta.merging([
                "job.stage": "encode", "job.seconds": "\(secondsText(result.encodeSeconds))", "error": "\(error)",
            ]) { $1 })
            return (result, [], [])
        }
        result.encodeSeconds = outcome.writeSeconds + Date().timeIntervalSince(t)
        logger.info("job stage", metadata: stageMeta.merging([
            "job.stage": "encode", "job.seconds": "\(secondsText(result.encodeSeconds))", "job.objects": "\(records.count)",
        ]) { $1 })
        result.state = .done
        result.findings = analysis.findings.count
        result.reason = analysis.findings.isEmpty ? "no findings" : nil
        let findings = analysis.findings.map { f in
            FindingRow(seriesInstanceUID: job.seriesInstanceUID, studyInstanceUID: job.studyInstanceUID,
                       analyzer: kind.rawValue, version: analysis.version, number: f.number, kind: f.kind.rawValue,
                       category: f.category, site: f.site, laterality: f.laterality?.rawValue, confidence: f.confidence,
                       measurements: Self.measurementsJSON(f.measurements),
                       assessments: Self.assessmentsJSON(f.assessments), createdAt: Date().timeIntervalSince1970)
        }
        return (result, records, findings)
    }

    /// One log line per stage as it ends; the loader's warnings as warnings.
    private func log(_ event: AnalysisEvent, meta: Logger.Metadata) {
        var m = meta
        switch event {
        case .loaded(let uid, let slices, let warnings, let seconds):
            m["job.stage"] = "load"
            m["job.seconds"] = "\(secondsText(seconds))"
            m["load.series_uid"] = "\(uid)"
            m["load.slices"] = "\(slices)"
            logger.info("job stage", metadata: m)
            for w in warnings {
                logger.warning("series loaded with a warning", metadata: meta.merging([
                    "load.series_uid": "\(uid)", "load.warning": "\(w)",
                ]) { $1 })
            }
        case .analyzed(let findings, let seconds):
            m["job.stage"] = "analyze"
            m["job.seconds"] = "\(secondsText(seconds))"
            m["job.findings"] = "\(findings)"
            logger.info("job stage", metadata: m)
        case .written:
            break  // logged with the outbox move as "encode"
        case .ended(let stage, _, let reason, let seconds):
            m["job.stage"] = "\(stage == .write ? "encode" : stage.rawValue)"
            m["job.seconds"] = "\(secondsText(seconds))"
            m["error"] = "\(reason)"
            logger.info("job stage", metadata: m)
        }
    }

    /// `{"volume": {"value": 1.2, "unit": "mL"}, …}`, keys sorted.
    static func measurementsJSON(_ ms: [Analysis.Measurement]) -> String {
        var object: [String: [String: Any]] = [:]
        for m in ms where m.value.isFinite { object[m.name] = ["value": m.value, "unit": m.unit] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// `{"lung_rads": "4A"}`, keys sorted.
    static func assessmentsJSON(_ assessments: [Assessment]) -> String {
        var object: [String: String] = [:]
        for a in assessments { object[a.kind.rawValue] = a.value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Seconds with three decimals for log metadata ("" when absent).
func secondsText(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "" }

import Catalog
import Foundation

/// The one JSON shape of the node's status, for `GET /status` and `autoseg status --json`
/// (README "Status document"). Both read the catalog the same way; what only a running node
/// knows (`node.uptime_s`, the ingest counters since start, the DICOM port it listens on) is
/// filled by `/status` and `null` from the CLI, which reads the catalog of a node that may not run.
/// Patient-free: UIDs, counts and times only (`autoseg status` without `--json` shows patient IDs
/// to the operator at the console).
public enum StatusReport {
    /// What only the running node knows.
    public struct Live: Sendable {
        public var uptimeSeconds: Double
        public var dicomPort: Int
        public var ingest: [String: Int]

        public init(uptimeSeconds: Double, dicomPort: Int, ingest: [String: Int]) {
            self.uptimeSeconds = uptimeSeconds
            self.dicomPort = dicomPort
            self.ingest = ingest
        }
    }

    public static func document(catalog c: Catalog, config: NodeConfig, dataDirectory: DataDirectory, live: Live?,
                                limit: Int = 20, now: Date = Date()) throws -> [String: Any] {
        let counts = try c.counts()
        let work = try c.workCounts()
        let undelivered = try c.undeliveredResults(limit: limit)
        var deliveries = deliveryCounts(work)
        deliveries["undelivered"] = try c.undeliveredCount()
        let null = NSNull()
        return [
            "version": AutoSegVersion.current,
            "node": [
                "ae_title": config.node.aeTitle, "running": live != nil,
                "uptime_s": live.map { $0.uptimeSeconds as Any } ?? null,
                "dicom_host": config.node.host, "dicom_port": live.map { $0.dicomPort as Any } ?? config.node.port,
                "http": config.http.port == 0 ? null : "\(config.http.host):\(config.http.port)",
                "data_dir": dataDirectory.root.path,
                "data_dir_free_bytes": FileSystem.freeBytes(dataDirectory.root.path).map { $0 as Any } ?? null,
            ] as [String: Any],
            "catalog": ["patients": counts.patients, "studies": counts.studies, "series": counts.series,
                        "instances": counts.instances, "missing": counts.missingInstances, "bytes": counts.bytes],
            "ingest": live.map { $0.ingest as Any } ?? null,
            "jobs": work.jobs,
            "deliveries": deliveries,
            "findings": work.findings,
            "recent_studies": try c.recentStudies(limit: limit).map { s -> [String: Any] in
                ["study_uid": s.studyInstanceUID, "study_date": s.studyDate ?? null,
                 "description": s.studyDescription ?? null, "series": s.seriesCount, "instances": s.instanceCount,
                 "first_received_at": iso(s.firstReceivedAt.timeIntervalSince1970),
                 "last_received_at": iso(s.lastReceivedAt.timeIntervalSince1970)]
            },
            "recent_jobs": jobs(try c.jobs(limit: limit)),
            "pending_deliveries": pendingDeliveries(try c.deliveries(pendingOnly: true, limit: limit), now: now),
            "undelivered_results": undelivered.map { u -> [String: Any] in
                ["result_uid": u.sopInstanceUID, "kind": u.kind, "study_uid": u.studyInstanceUID, "job_id": u.jobID,
                 "calling_ae": u.callingAE, "created_at": iso(u.createdAt.timeIntervalSince1970),
                 "reason": noPeerReason(u.callingAE)]
            },
        ]
    }

    /// Why a result has no delivery.
    public static func noPeerReason(_ callingAE: String) -> String {
        "no [[peers]] entry for the calling AE \"\(callingAE)\" and no peer with send_all: kept in the outbox"
    }

    public static func jobs(_ jobs: [JobRecord]) -> [[String: Any]] {
        jobs.map { j in
            ["id": j.id, "series_uid": j.seriesInstanceUID, "study_uid": j.studyInstanceUID,
             "analyzer": j.analyzer, "rule": j.rule, "state": j.state.rawValue, "attempts": j.attempts,
             "reason": j.reason ?? NSNull(), "findings": j.findings ?? NSNull(), "calling_ae": j.callingAE,
             "input_instances": j.inputInstances, "input_hash": j.inputHash ?? NSNull(),
             "created_at": iso(j.createdAt), "started_at": j.startedAt.map { iso($0) as Any } ?? NSNull(),
             "finished_at": j.finishedAt.map { iso($0) as Any } ?? NSNull(),
             "load_s": j.loadSeconds ?? NSNull(), "analyze_s": j.analyzeSeconds ?? NSNull(),
             "encode_s": j.encodeSeconds ?? NSNull()]
        }
    }

    public static func pendingDeliveries(_ deliveries: [DeliveryRecord], now: Date = Date()) -> [[String: Any]] {
        deliveries.map { d in
            ["id": d.id, "state": d.state, "result_uid": d.resultUID, "kind": d.kind, "peer": "\(d.peerAE)@\(d.host):\(d.port)",
             "attempts": d.attempts, "next_attempt_at": iso(d.nextAttemptAt),
             "next_attempt_in_s": max(0, d.nextAttemptAt - now.timeIntervalSince1970),
             "last_status": d.lastStatus ?? NSNull(), "last_error": d.lastError ?? NSNull()]
        }
    }

    public static func deliveryCounts(_ p: WorkCounts) -> [String: Int] {
        ["pending": p.deliveriesPending, "retrying": p.deliveriesRetrying, "failed": p.deliveriesFailed,
         "sent": p.deliveriesSent]
    }

    /// ISO 8601, UTC, seconds.
    public static func iso(_ t: Double) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t)) }
}

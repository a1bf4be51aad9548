import Foundation

extension Catalog {
    // MARK: completion

    /// Series whose newest instance arrived before `quietSince` and that were not routed
    /// since it arrived, oldest first.
    public func quietSeries(quietSince: Date, limit: Int = 100) throws -> [QuietSeries] {
        try withConnection { c in
            try c.query("""
                SELECT se.series_uid, st.study_uid, se.last_received_at,
                       (SELECT count(*) FROM instances i WHERE i.series_ref = se.id AND i.status = 'stored'),
                       (SELECT i.calling_ae FROM instances i WHERE i.series_ref = se.id ORDER BY i.received_at DESC LIMIT 1),
                       (SELECT i.remote_host FROM instances i WHERE i.series_ref = se.id ORDER BY i.received_at DESC LIMIT 1)
                FROM series se JOIN studies st ON st.id = se.study_ref
                WHERE se.last_received_at < ?1 AND (se.routed_through IS NULL OR se.routed_through < se.last_received_at)
                ORDER BY se.last_received_at LIMIT ?2
                """, [.time(quietSince), .integer(Int64(limit))]) { row in
                QuietSeries(seriesInstanceUID: row.text(0), studyInstanceUID: row.text(1),
                            lastReceivedAt: row.double(2), instances: row.int(3),
                            callingAE: row.optionalText(4) ?? "", remoteHost: row.optionalText(5) ?? "")
            }
        }
    }

    /// Records that the series was routed with everything received up to `through`, and
    /// queues `jobs` in the same transaction (none when no rule sends it anywhere). A job whose
    /// series and analyzer already have one waiting in the queue updates that one instead.
    /// `alsoRouted`: other series the jobs cover (a CT perfusion pair's partner, quiet too).
    /// Returns the ids of the jobs queued or updated.
    @discardableResult
    public func route(seriesInstanceUID: String, through: Double, jobs: [NewJob],
                      alsoRouted: [(seriesInstanceUID: String, through: Double)] = []) throws -> [Int64] {
        try withConnection { c in
            try c.transaction {
                for (uid, t) in [(seriesInstanceUID, through)] + alsoRouted {
                    _ = try c.run("UPDATE series SET routed_through = ?2 WHERE series_uid = ?1", [.text(uid), .real(t)])
                }
                var ids: [Int64] = []
                for j in jobs {
                    // A job of the same series and analyzer still waiting in the queue takes the
                    // new instances (it reads the catalog when it starts): no second job.
                    if let waiting = try c.queryFirst("""
                        SELECT id FROM jobs WHERE series_uid = ? AND analyzer = ? AND state = 'queued' ORDER BY id DESC LIMIT 1
                        """, [.text(j.seriesInstanceUID), .text(j.analyzer)], { $0.int64(0) }) {
                        _ = try c.run("""
                            UPDATE jobs SET input_series = ?2, input_instances = ?3, calling_ae = ?4, remote_host = ?5,
                                            rule = ?6 WHERE id = ?1
                            """, [.integer(waiting), .text(j.inputSeries.joined(separator: "\\")), .integer(j.inputInstances),
                                  .text(j.callingAE), .text(j.remoteHost), .text(j.rule)])
                        ids.append(waiting)
                        continue
                    }
                    _ = try c.run("""
                        INSERT INTO jobs (series_uid, study_uid, analyzer, input_series, rule, calling_ae, remote_host,
                                          state, input_instances, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                        """, [.text(j.seriesInstanceUID), .text(j.studyInstanceUID), .text(j.analyzer),
                              .text(j.inputSeries.joined(separator: "\\")), .text(j.rule), .text(j.callingAE),
                              .text(j.remoteHost), .integer(j.inputInstances), .time(Date())])
                    ids.append(try c.queryFirst("SELECT last_insert_rowid()") { $0.int64(0) } ?? 0)
                }
                return ids
            }
        }
    }

    /// The stored files of a series (relative to the data directory), by path.
    public func instanceFiles(seriesInstanceUID: String) throws -> [String] {
        try instanceFilesWithSizes(seriesInstanceUID: seriesInstanceUID).map(\.path)
    }

    /// The stored files of a series with their catalogued sizes, by path.
    public func instanceFilesWithSizes(seriesInstanceUID: String) throws -> [(path: String, size: Int64)] {
        try withConnection { c in
            try c.query("""
                SELECT i.file_path, i.file_size FROM instances i JOIN series se ON se.id = i.series_ref
                WHERE se.series_uid = ? AND i.status = 'stored' ORDER BY i.file_path
                """, [.text(seriesInstanceUID)]) { ($0.text(0), $0.int64(1)) }
        }
    }

    /// When the series last received an instance (nil: unknown series), as stored (seconds since 1970), exactly the value `route(…through:)`
    /// compares with: a round trip through `Date` may move it by one unit in the last place.
    public func lastReceivedSeconds(seriesInstanceUID: String) throws -> Double? {
        try withConnection { c in
            try c.queryFirst("SELECT last_received_at FROM series WHERE series_uid = ?", [.text(seriesInstanceUID)]) { $0.double(0) }
        }
    }

    /// Series UIDs of a study, in arrival order.
    public func seriesOfStudy(_ studyInstanceUID: String) throws -> [String] {
        try withConnection { c in
            try c.query("""
                SELECT se.series_uid FROM series se JOIN studies st ON st.id = se.study_ref
                WHERE st.study_uid = ? ORDER BY se.first_received_at, se.id
                """, [.text(studyInstanceUID)]) { $0.text(0) }
        }
    }

    // MARK: jobs

    private static let jobColumns = """
        id, series_uid, study_uid, analyzer, input_series, rule, calling_ae, remote_host, state, attempts, reason,
        input_instances, input_hash, findings, created_at, started_at, finished_at, load_seconds, analyze_seconds,
        encode_seconds
        """

    private static func job(_ row: Row) -> JobRecord {
        JobRecord(id: row.int64(0), seriesInstanceUID: row.text(1), studyInstanceUID: row.text(2), analyzer: row.text(3),
                  inputSeries: row.text(4).split(separator: "\\").map(String.init), rule: row.text(5),
                  callingAE: row.text(6), remoteHost: row.text(7), state: JobState(rawValue: row.text(8)) ?? .failed,
                  attempts: row.int(9), reason: row.optionalText(10), inputInstances: row.int(11),
                  inputHash: row.optionalText(12), findings: row.optionalInt(13), createdAt: row.double(14),
                  startedAt: row.optionalDouble(15), finishedAt: row.optionalDouble(16),
                  loadSeconds: row.optionalDouble(17), analyzeSeconds: row.optionalDouble(18),
                  encodeSeconds: row.optionalDouble(19))
    }

    /// Takes the oldest queued job whose series has no other job running (so two jobs of one
    /// series never run at once), marks it running and counts the attempt.
    public func claimNextJob() throws -> JobRecord? {
        try withConnection { c in
            try c.transaction { () throws -> JobRecord? in
                guard let job = try c.queryFirst("""
                    SELECT \(Self.jobColumns) FROM jobs j WHERE state = 'queued'
                    AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.series_uid = j.series_uid)
                    ORDER BY id LIMIT 1
                    """, [], Self.job) else { return nil }
                let now = Date().timeIntervalSince1970
                _ = try c.run("UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ? WHERE id = ?",
                              [.real(now), .integer(job.id)])
                var claimed = job
                claimed.state = .running
                claimed.attempts += 1
                claimed.startedAt = now
                return claimed
            }
        }
    }

    /// The job's work begins now (after it waited for memory): its `started_at`.
    public func jobStarted(_ id: Int64) throws {
        try withConnection { c in
            _ = try c.run("UPDATE jobs SET started_at = ? WHERE id = ?", [.time(Date()), .integer(id)])
        }
    }

    /// A queued job for the same series and analyzer that supersedes `job` (a late instance
    /// re-opened the series while `job` waited): `job` is then skipped.
    public func hasNewerJob(than job: JobRecord) throws -> Bool {
        try withConnection { c in
            try c.queryFirst("""
                SELECT 1 FROM jobs WHERE series_uid = ? AND analyzer = ? AND id > ? AND state = 'queued'
                """, [.text(job.seriesInstanceUID), .text(job.analyzer), .integer(job.id)]) { _ in true } ?? false
        }
    }

    /// Records how a job ended. A `done` job's result objects, destinations and findings are
    /// recorded in the same transaction: results are upserted (same UIDs replace), every
    /// (result, destination) delivery is (re)set to pending and due now, and the series'
    /// findings of that analyzer are replaced.
    public func finishJob(_ id: Int64, outcome: JobOutcome, results: [ResultRecord] = [],
                          destinations: [Destination] = [], findings: [FindingRow] = []) throws {
        try withConnection { c in
            try c.transaction {
                let now = Date().timeIntervalSince1970
                _ = try c.run("""
                    UPDATE jobs SET state = ?2, reason = ?3, input_hash = ?4, findings = ?5, finished_at = ?6,
                                    load_seconds = ?7, analyze_seconds = ?8, encode_seconds = ?9
                    WHERE id = ?1
                    """, [.integer(id), .text(outcome.state.rawValue), .text(outcome.reason), .text(outcome.inputHash),
                          .integer(outcome.findings), .real(now), outcome.loadSeconds.map(SQLValue.real) ?? .null,
                          outcome.analyzeSeconds.map(SQLValue.real) ?? .null,
                          outcome.encodeSeconds.map(SQLValue.real) ?? .null])
                guard outcome.state == .done else { return }
                let job = try c.queryFirst("SELECT series_uid, study_uid FROM jobs WHERE id = ?", [.integer(id)]) {
                    ($0.text(0), $0.text(1))
                }
                guard let (source, study) = job else { return }
                for r in results {
                    _ = try c.run("""
                        INSERT INTO results (sop_instance_uid, job_ref, series_uid, source_series_uid, study_uid,
                                             sop_class_uid, kind, file_path, created_at)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                        ON CONFLICT (sop_instance_uid) DO UPDATE SET job_ref = ?2, file_path = ?8, created_at = ?9
                        """, [.text(r.sopInstanceUID), .integer(id), .text(r.seriesInstanceUID), .text(source),
                              .text(study), .text(r.sopClassUID), .text(r.kind), .text(r.filePath), .real(now)])
                    for d in destinations {
                        _ = try c.run("""
                            INSERT INTO deliveries (result_uid, peer_ae, host, port, state, attempts, next_attempt_at)
                            VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5)
                            ON CONFLICT (result_uid, peer_ae, host, port)
                            DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = ?5, last_error = NULL,
                                          last_status = NULL, sent_at = NULL
                            """, [.text(r.sopInstanceUID), .text(d.aeTitle), .text(d.host), .integer(d.port), .real(now)])
                    }
                }
                let jobAnalyzer = try c.queryFirst("SELECT analyzer FROM jobs WHERE id = ?", [.integer(id)]) { $0.text(0) }
                if let analyzer = jobAnalyzer {
                    _ = try c.run("DELETE FROM findings WHERE series_uid = ? AND analyzer = ?",
                                  [.text(source), .text(analyzer)])
                }
                for f in findings {
                    _ = try c.run("""
                        INSERT INTO findings (job_ref, series_uid, study_uid, analyzer, version, number, kind, category,
                                              site, laterality, confidence, measurements, assessments, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.integer(id), .text(f.seriesInstanceUID), .text(f.studyInstanceUID), .text(f.analyzer),
                              .text(f.version), .integer(f.number), .text(f.kind), .text(f.category), .text(f.site),
                              .text(f.laterality), .real(f.confidence), .text(f.measurements), .text(f.assessments),
                              .real(now)])
                }
            }
        }
    }

    /// After a crash or stop: jobs left running go back to the queue. Returns how many.
    @discardableResult
    public func requeueRunningJobs() throws -> Int {
        try withConnection { c in
            try c.run("UPDATE jobs SET state = 'queued', started_at = NULL WHERE state = 'running'")
        }
    }

    /// Jobs, newest first (`states` empty: all).
    public func jobs(states: [JobState] = [], limit: Int = 50) throws -> [JobRecord] {
        try withConnection { c in
            let filter = states.isEmpty ? "" : "WHERE state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ",")))"
            return try c.query("SELECT \(Self.jobColumns) FROM jobs \(filter) ORDER BY id DESC LIMIT ?",
                               [.integer(Int64(limit))], Self.job)
        }
    }

    // MARK: deliveries

    private static let deliveryColumns = """
        d.id, d.result_uid, r.kind, r.file_path, d.peer_ae, d.host, d.port, d.state, d.attempts, d.next_attempt_at,
        d.last_status, d.last_error, d.sent_at, r.study_uid
        """

    private static func delivery(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(id: row.int64(0), resultUID: row.text(1), kind: row.text(2), filePath: row.text(3),
                       peerAE: row.text(4), host: row.text(5), port: row.int(6), state: row.text(7), attempts: row.int(8),
                       nextAttemptAt: row.double(9), lastStatus: row.optionalText(10), lastError: row.optionalText(11),
                       sentAt: row.optionalDouble(12), studyInstanceUID: row.text(13))
    }

    /// Pending deliveries due at `now`, oldest first.
    public func dueDeliveries(now: Date = Date(), limit: Int = 200) throws -> [DeliveryRecord] {
        try withConnection { c in
            try c.query("""
                SELECT \(Self.deliveryColumns) FROM deliveries d JOIN results r ON r.sop_instance_uid = d.result_uid
                WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?
                """, [.time(now), .integer(Int64(limit))], Self.delivery)
        }
    }

    /// Deliveries, most recent first (`pendingOnly`: those not sent, pending or failed).
    public func deliveries(pendingOnly: Bool = false, limit: Int = 50) throws -> [DeliveryRecord] {
        try withConnection { c in
            try c.query("""
                SELECT \(Self.deliveryColumns) FROM deliveries d JOIN results r ON r.sop_instance_uid = d.result_uid
                \(pendingOnly ? "WHERE d.state != 'sent'" : "") ORDER BY d.id DESC LIMIT ?
                """, [.integer(Int64(limit))], Self.delivery)
        }
    }

    /// The peer acknowledged the object with `status`.
    public func deliverySucceeded(_ id: Int64, status: String) throws {
        try withConnection { c in
            _ = try c.run("""
                UPDATE deliveries SET state = 'sent', attempts = attempts + 1, last_status = ?2, last_error = NULL,
                                      sent_at = ?3 WHERE id = ?1
                """, [.integer(id), .text(status), .time(Date())])
        }
    }

    /// The attempt failed: stays pending, next attempt at `retryAt` — or, with `deadLetter`,
    /// becomes `failed` and is not tried again until `retryFailedDeliveries`.
    public func deliveryFailed(_ id: Int64, status: String?, error: String, retryAt: Date, deadLetter: Bool = false) throws {
        try withConnection { c in
            _ = try c.run("""
                UPDATE deliveries SET attempts = attempts + 1, last_status = ?2, last_error = ?3, next_attempt_at = ?4,
                                      state = ?5
                WHERE id = ?1
                """, [.integer(id), .text(status), .text(error), .time(retryAt), .text(deadLetter ? "failed" : "pending")])
        }
    }

    /// Makes failed deliveries (all, or those with `ids`) pending and due now, attempts reset.
    /// Returns how many.
    @discardableResult
    public func retryFailedDeliveries(ids: [Int64]? = nil) throws -> Int {
        try withConnection { c in
            let filter = ids.map { " AND id IN (\($0.map(String.init).joined(separator: ",")))" } ?? ""
            return try c.run("""
                UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'failed'\(filter)
                """, [.time(Date())])
        }
    }

    // MARK: findings and counts

    /// Every finding (optionally created at or after `since`), oldest first; with
    /// `withPatient`, the patient's identifiers and the study's date and accession number.
    public func findings(since: Date? = nil, withPatient: Bool = false) throws -> [FindingRow] {
        try withConnection { c in
            try c.query("""
                SELECT f.series_uid, f.study_uid, f.analyzer, f.version, f.number, f.kind, f.category, f.site,
                       f.laterality, f.confidence, f.measurements, f.created_at, f.assessments,
                       p.patient_id, p.patient_name, st.study_date, st.accession_number
                FROM findings f
                LEFT JOIN studies st ON st.study_uid = f.study_uid
                LEFT JOIN patients p ON p.id = st.patient_ref
                WHERE f.created_at >= ? ORDER BY f.created_at, f.series_uid, f.number
                """, [.real(since?.timeIntervalSince1970 ?? 0)]) { row in
                var f = FindingRow(seriesInstanceUID: row.text(0), studyInstanceUID: row.text(1), analyzer: row.text(2),
                                   version: row.text(3), number: row.int(4), kind: row.text(5), category: row.text(6),
                                   site: row.text(7), laterality: row.optionalText(8), confidence: row.double(9),
                                   measurements: row.text(10), assessments: row.text(12), createdAt: row.double(11))
                if withPatient {
                    f.patientID = row.optionalText(13)
                    f.patientName = row.optionalText(14)
                    f.studyDate = row.optionalText(15)
                    f.accessionNumber = row.optionalText(16)
                }
                return f
            }
        }
    }

    public func workCounts() throws -> WorkCounts {
        try withConnection { c in
            var counts = WorkCounts()
            for (state, n) in try c.query("SELECT state, count(*) FROM jobs GROUP BY state", [], { ($0.text(0), $0.int(1)) }) {
                counts.jobs[state] = n
            }
            counts.deliveriesPending = try c.queryFirst("SELECT count(*) FROM deliveries WHERE state = 'pending'") { $0.int(0) } ?? 0
            counts.deliveriesSent = try c.queryFirst("SELECT count(*) FROM deliveries WHERE state = 'sent'") { $0.int(0) } ?? 0
            counts.deliveriesFailed = try c.queryFirst("SELECT count(*) FROM deliveries WHERE state = 'failed'") { $0.int(0) } ?? 0
            counts.deliveriesRetrying = try c.queryFirst(
                "SELECT count(*) FROM deliveries WHERE state = 'pending' AND attempts > 0") { $0.int(0) } ?? 0
            counts.findings = try c.queryFirst("SELECT count(*) FROM findings") { $0.int(0) } ?? 0
            return counts
        }
    }
}

extension Catalog {
    /// Per analyzer: done jobs and the sums of their stage times.
    public func jobStageTotals() throws -> [JobStageTotals] {
        try withConnection { c in
            try c.query("""
                SELECT analyzer, count(*), coalesce(sum(load_seconds), 0), coalesce(sum(analyze_seconds), 0),
                       coalesce(sum(encode_seconds), 0)
                FROM jobs WHERE state = 'done' AND load_seconds IS NOT NULL GROUP BY analyzer ORDER BY analyzer
                """) { row in
                JobStageTotals(analyzer: row.text(0), jobs: row.int(1), loadSeconds: row.double(2),
                               analyzeSeconds: row.double(3), encodeSeconds: row.double(4))
            }
        }
    }
}

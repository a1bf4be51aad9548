import Foundation

/// The operator's actions on jobs and deliveries (web console). Each is one statement (or one
/// transaction) that applies only in the state it is meant for, so a click on a stale page
/// changes nothing and says so (returns false / 0). The workers and the outbox poll the
/// catalog, so a job put back in the queue or a delivery made due runs within their poll.
extension Catalog {
    /// The reason a job cancelled from the console ends with (state `failed`: the job table's
    /// states are fixed by its CHECK; a cancelled job can be retried like any failed one).
    public static let cancelledReason = "cancelled by the operator"

    /// Puts a failed or refused job back in the queue (it reads its input from the catalog
    /// again when it starts). Returns false if the job is in another state or unknown.
    @discardableResult
    public func retryJob(_ id: Int64) throws -> Bool {
        try withConnection { c in
            try c.run("""
                UPDATE jobs SET state = 'queued', reason = NULL, started_at = NULL, finished_at = NULL
                WHERE id = ? AND state IN ('failed', 'refused')
                """, [.integer(id)]) == 1
        }
    }

    /// Takes a queued job out of the queue: it ends `failed` with `cancelledReason`.
    /// Returns false if the job is no longer queued (a worker took it) or unknown.
    @discardableResult
    public func cancelJob(_ id: Int64) throws -> Bool {
        try withConnection { c in
            try c.run("""
                UPDATE jobs SET state = 'failed', reason = ?2, finished_at = ?3 WHERE id = ?1 AND state = 'queued'
                """, [.integer(id), .text(Self.cancelledReason), .time(Date())]) == 1
        }
    }

    /// Makes a delivery that is not sent (pending with back-off, or a dead letter) due now; a
    /// dead letter's attempts start again from 0. Returns false if it was sent or is unknown.
    @discardableResult
    public func redeliverNow(_ id: Int64) throws -> Bool {
        try withConnection { c in
            try c.run("""
                UPDATE deliveries SET next_attempt_at = ?2,
                                      attempts = CASE state WHEN 'failed' THEN 0 ELSE attempts END, state = 'pending'
                WHERE id = ?1 AND state != 'sent'
                """, [.integer(id), .time(Date())]) == 1
        }
    }

    /// Queues deliveries, due now, of results that have none (they waited in the outbox for a
    /// destination) to `destinations`. Returns how many deliveries were added.
    @discardableResult
    public func deliverUndelivered(resultUIDs: [String], to destinations: [Destination]) throws -> Int {
        guard !resultUIDs.isEmpty, !destinations.isEmpty else { return 0 }
        return try withConnection { c in
            try c.transaction {
                var added = 0
                for uid in resultUIDs {
                    for d in destinations {
                        added += try c.run("""
                            INSERT INTO deliveries (result_uid, peer_ae, host, port, state, attempts, next_attempt_at)
                            SELECT ?1, ?2, ?3, ?4, 'pending', 0, ?5
                            WHERE EXISTS (SELECT 1 FROM results WHERE sop_instance_uid = ?1)
                            ON CONFLICT (result_uid, peer_ae, host, port) DO NOTHING
                            """, [.text(uid), .text(d.aeTitle), .text(d.host), .integer(d.port), .time(Date())])
                    }
                }
                return added
            }
        }
    }
}

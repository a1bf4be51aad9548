import Foundation

/// A result no delivery was ever planned for: the study came from a caller with no `[[peers]]`
/// entry and no peer has `send_all`, so it waits in the outbox for the operator.
public struct UndeliveredResult: Sendable, Equatable, Codable {
    public var resultUID: String
    public var kind: String
    public var studyInstanceUID: String
    public var sourceSeriesUID: String
    /// The AE title that sent the study (the one with no `[[peers]]` entry).
    public var callingAE: String
    public var createdAt: Double
}

extension Catalog {
    /// Results without any delivery row, newest first, and how many there are in all.
    public func undeliveredResults(limit: Int = 50) throws -> (count: Int, results: [UndeliveredResult]) {
        let unplanned = "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.result_uid = r.sop_instance_uid)"
        return try withConnection { c in
            let count = try c.queryFirst("SELECT count(*) FROM results r WHERE \(unplanned)") { $0.int(0) } ?? 0
            let rows = try c.query("""
                SELECT r.sop_instance_uid, r.kind, r.study_uid, r.source_series_uid, j.calling_ae, r.created_at
                FROM results r JOIN jobs j ON j.id = r.job_ref WHERE \(unplanned)
                ORDER BY r.created_at DESC, r.sop_instance_uid LIMIT ?
                """, [.integer(Int64(limit))]) { row in
                UndeliveredResult(resultUID: row.text(0), kind: row.text(1), studyInstanceUID: row.text(2),
                                  sourceSeriesUID: row.text(3), callingAE: row.text(4), createdAt: row.double(5))
            }
            return (count, rows)
        }
    }

    /// Plans deliveries, due now, for results that have none: `destinations(callingAE)` says
    /// where the results of a study from that caller go now (after a `[[peers]]` entry was
    /// added). Returns how many deliveries were planned.
    public func planUndelivered(destinations: (String) -> [Destination]) throws -> Int {
        let pending = try undeliveredResults(limit: Int(Int32.max)).results
        return try withConnection { c in
            try c.transaction { () throws -> Int in
                var planned = 0
                for r in pending {
                    for d in destinations(r.callingAE) {
                        planned += try c.run("""
                            INSERT INTO deliveries (result_uid, peer_ae, host, port, state, attempts, next_attempt_at)
                            VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5) ON CONFLICT DO NOTHING
                            """, [.text(r.resultUID), .text(d.aeTitle), .text(d.host), .integer(d.port), .time(Date())])
                    }
                }
                return planned
            }
        }
    }
}

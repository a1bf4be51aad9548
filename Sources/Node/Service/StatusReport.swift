import Catalog
import Foundation

/// The JSON shapes of jobs and undelivered results, shared by `autoseg status --json` and
/// the HTTP `/status` (one description of jobs and deliveries for both).
public enum StatusReport {
    public static func jobs(_ jobs: [JobRecord]) -> [[String: Any]] {
        jobs.map { j in
            ["id": j.id, "series_uid": j.seriesInstanceUID, "study_uid": j.studyInstanceUID,
             "analyzer": j.analyzer, "rule": j.rule, "state": j.state.rawValue, "attempts": j.attempts,
             "reason": j.reason ?? NSNull(), "findings": j.findings ?? NSNull(), "calling_ae": j.callingAE,
             "input_instances": j.inputInstances, "input_hash": j.inputHash ?? NSNull(),
             "load_s": j.loadSeconds ?? NSNull(), "analyze_s": j.analyzeSeconds ?? NSNull(),
             "encode_s": j.encodeSeconds ?? NSNull()]
        }
    }

    public static func pendingDeliveries(_ deliveries: [DeliveryRecord], now: Date = Date()) -> [[String: Any]] {
        deliveries.map { d in
            ["id": d.id, "state": d.state, "result_uid": d.resultUID, "kind": d.kind, "peer": "\(d.peerAE)@\(d.host):\(d.port)",
             "attempts": d.attempts, "next_attempt_in_s": max(0, d.nextAttemptAt - now.timeIntervalSince1970),
             "last_status": d.lastStatus ?? NSNull(), "last_error": d.lastError ?? NSNull()]
        }
    }

    public static func deliveryCounts(_ p: WorkCounts) -> [String: Int] {
        ["pending": p.deliveriesPending, "retrying": p.deliveriesRetrying, "failed": p.deliveriesFailed,
         "sent": p.deliveriesSent]
    }
}

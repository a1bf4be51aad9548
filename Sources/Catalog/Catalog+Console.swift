import Foundation

/// One received series as the web console lists it: its study and patient, when it arrived,
/// from whom, and how many instances it holds.
public struct ReceivedSeries: Sendable, Equatable {
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var patientName: String
    public var patientID: String
    public var studyDate: String?
    public var studyDescription: String?
    public var modality: String?
    public var bodyPartExamined: String?
    public var seriesDescription: String?
    public var seriesNumber: Int?
    public var instances: Int
    public var missingInstances: Int
    public var firstReceivedAt: Date
    public var lastReceivedAt: Date
    /// Calling AE and host of the series' most recent instance.
    public var callingAE: String
    public var remoteHost: String
}

/// A result object with no delivery row: no `[[peers]]` entry matched its study's calling AE
/// and none has `send_all`, so it waits in the outbox.
public struct UndeliveredResult: Sendable, Equatable {
    public var sopInstanceUID: String
    public var kind: String
    public var studyInstanceUID: String
    public var jobID: Int64
    public var callingAE: String
    public var createdAt: Date
}

/// A finding with the job that made it (console: newest first).
public struct ConsoleFinding: Sendable, Equatable {
    public var finding: FindingRow
    public var jobID: Int64
}

/// Read-only queries of the web console (`Node`'s console pages).
extension Catalog {
    /// The series that most recently received an instance, newest first.
    public func receivedSeries(limit: Int) throws -> [ReceivedSeries] {
        try withConnection { c in
            try c.query("""
                SELECT st.study_uid, se.series_uid, p.patient_name, p.patient_id, st.study_date, st.study_description,
                       se.modality, se.body_part, se.series_description, se.series_number,
                       (SELECT count(*) FROM instances i WHERE i.series_ref = se.id),
                       (SELECT count(*) FROM instances i WHERE i.series_ref = se.id AND i.status = 'missing'),
                       se.first_received_at, se.last_received_at,
                       (SELECT i.calling_ae FROM instances i WHERE i.series_ref = se.id ORDER BY i.received_at DESC LIMIT 1),
                       (SELECT i.remote_host FROM instances i WHERE i.series_ref = se.id ORDER BY i.received_at DESC LIMIT 1)
                FROM series se JOIN studies st ON st.id = se.study_ref JOIN patients p ON p.id = st.patient_ref
                ORDER BY se.last_received_at DESC, se.id DESC LIMIT ?
                """, [.integer(Int64(max(0, limit)))]) { row in
                ReceivedSeries(studyInstanceUID: row.text(0), seriesInstanceUID: row.text(1), patientName: row.text(2),
                               patientID: row.text(3), studyDate: row.optionalText(4), studyDescription: row.optionalText(5),
                               modality: row.optionalText(6), bodyPartExamined: row.optionalText(7),
                               seriesDescription: row.optionalText(8), seriesNumber: row.optionalInt(9),
                               instances: row.int(10), missingInstances: row.int(11), firstReceivedAt: row.date(12),
                               lastReceivedAt: row.date(13), callingAE: row.optionalText(14) ?? "",
                               remoteHost: row.optionalText(15) ?? "")
            }
        }
    }

    /// Patient names of the given studies (study UID → name).
    public func patientNames(studyUIDs: [String]) throws -> [String: String] {
        guard !studyUIDs.isEmpty else { return [:] }
        return try withConnection { c in
            var out: [String: String] = [:]
            for uid in Set(studyUIDs) {
                if let name = try c.queryFirst("""
                    SELECT p.patient_name FROM studies st JOIN patients p ON p.id = st.patient_ref WHERE st.study_uid = ?
                    """, [.text(uid)], { $0.text(0) }) {
                    out[uid] = name
                }
            }
            return out
        }
    }

    /// Result objects that have no delivery at all (no destination when their job finished),
    /// newest first.
    /// `jobID`: only that job's.
    public func undeliveredResults(limit: Int, jobID: Int64? = nil) throws -> [UndeliveredResult] {
        try withConnection { c in
            try c.query("""
                SELECT r.sop_instance_uid, r.kind, r.study_uid, r.job_ref, j.calling_ae, r.created_at
                FROM results r JOIN jobs j ON j.id = r.job_ref
                WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.result_uid = r.sop_instance_uid)
                  AND (?2 IS NULL OR r.job_ref = ?2)
                ORDER BY r.created_at DESC, r.sop_instance_uid LIMIT ?1
                """, [.integer(Int64(max(0, limit))), jobID.map(SQLValue.integer) ?? .null]) { row in
                UndeliveredResult(sopInstanceUID: row.text(0), kind: row.text(1), studyInstanceUID: row.text(2),
                                  jobID: row.int64(3), callingAE: row.text(4), createdAt: row.date(5))
            }
        }
    }

    /// How many result objects have no delivery at all.
    public func undeliveredCount() throws -> Int {
        try withConnection { c in
            try c.queryFirst("""
                SELECT count(*) FROM results r
                WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.result_uid = r.sop_instance_uid)
                """) { $0.int(0) } ?? 0
        }
    }

    /// Plans deliveries, due now, for every result that has none: `destinations(callingAE)`
    /// says where the results of a study from that caller go now (after a `[[peers]]` entry was
    /// added). Returns how many deliveries were planned.
    public func planUndelivered(destinations: (String) -> [Destination]) throws -> Int {
        var byCaller: [String: [String]] = [:]
        for r in try undeliveredResults(limit: Int(Int32.max)) { byCaller[r.callingAE, default: []].append(r.sopInstanceUID) }
        var planned = 0
        for (ae, uids) in byCaller.sorted(by: { $0.key < $1.key }) {
            planned += try deliverUndelivered(resultUIDs: uids, to: destinations(ae))
        }
        return planned
    }

    /// The result object with this SOP Instance UID: its file (relative to the data
    /// directory) and kind ("seg", "sr", "sc"), or nil.
    public func resultFile(sopInstanceUID: String) throws -> (filePath: String, kind: String)? {
        try withConnection { c in
            try c.queryFirst("SELECT file_path, kind FROM results WHERE sop_instance_uid = ?",
                             [.text(sopInstanceUID)]) { ($0.text(0), $0.text(1)) }
        }
    }

    /// The result objects a job made (kind, SOP Instance UID), SEG first, then SR, then SC.
    public func results(jobID: Int64) throws -> [(kind: String, sopInstanceUID: String)] {
        try withConnection { c in
            try c.query("""
                SELECT kind, sop_instance_uid FROM results WHERE job_ref = ?
                ORDER BY CASE kind WHEN 'seg' THEN 0 WHEN 'sr' THEN 1 ELSE 2 END, sop_instance_uid
                """, [.integer(jobID)]) { ($0.text(0), $0.text(1)) }
        }
    }

    /// The newest findings first, with the job that made them.
    public func recentFindings(limit: Int) throws -> [ConsoleFinding] {
        try withConnection { c in
            try c.query("""
                SELECT f.series_uid, f.study_uid, f.analyzer, f.version, f.number, f.kind, f.category, f.site,
                       f.laterality, f.confidence, f.measurements, f.created_at, f.assessments, f.job_ref
                FROM findings f ORDER BY f.created_at DESC, f.series_uid, f.number LIMIT ?
                """, [.integer(Int64(max(0, limit)))]) { row in
                ConsoleFinding(
                    finding: FindingRow(seriesInstanceUID: row.text(0), studyInstanceUID: row.text(1), analyzer: row.text(2),
                                        version: row.text(3), number: row.int(4), kind: row.text(5),
                                        category: row.text(6), site: row.text(7), laterality: row.optionalText(8),
                                        confidence: row.double(9), measurements: row.text(10), assessments: row.text(12),
                                        createdAt: row.double(11)),
                    jobID: row.int64(13))
            }
        }
    }
}

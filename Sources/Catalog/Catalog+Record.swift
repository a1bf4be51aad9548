import CSQLite
import Foundation
import Logging

extension Catalog {
    /// Records a batch of stored instances in one transaction (group commit): upserts the
    /// patient, study, series and instance of each.
    ///
    /// A SOP Instance UID already catalogued replaces its row (file path, size, time, sender,
    /// status back to `stored`) and is not counted twice. Non-nil attributes replace stored
    /// ones; nil ones keep them. A study, series or instance that moved (e.g. a corrected
    /// resend) leaves no empty parent behind. A row of another instance at the same file path
    /// (its file was overwritten by this one) is deleted, with a warning.
    ///
    /// Throws `CatalogError.invalidRecord` (nothing written) if a record lacks a UID or path.
    public func recordInstances(_ records: [InstanceRecord]) throws {
        guard !records.isEmpty else { return }
        for record in records {
            if let missing = record.missingIdentifier {
                throw CatalogError.invalidRecord(
                    "\(missing) is empty (SOP Instance UID \"\(record.sopInstanceUID)\", file \"\(record.filePath)\")")
            }
        }
        let logger = self.logger
        let replaced = try withConnection { c in
            try c.transaction {
                var changes = HierarchyChanges()
                for record in records { try c.upsert(record, changes: &changes, logger: logger) }
                try c.removeEmptyParents(changes)
                return changes.replaced
            }
        }
        logger.debug("catalog batch recorded", metadata: [
            "catalog.batch_size": "\(records.count)", "catalog.replaced": "\(replaced)",
        ])
    }
}

/// Parents that may have lost their last child during a batch, and how many
/// instances replaced an existing row.
struct HierarchyChanges {
    var series: Set<Int64> = []
    var studies: Set<Int64> = []
    var patients: Set<Int64> = []
    var replaced = 0
}

extension Connection {
    /// Upserts one record's patient, study, series and instance. Call inside a transaction.
    func upsert(_ r: InstanceRecord, changes: inout HierarchyChanges, logger: Logger) throws(CatalogError) {
        let received = SQLValue.time(r.receivedAt)

        let patientRef = try returningID("""
            INSERT INTO patients (patient_id, patient_name, birth_date, sex) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (patient_id, patient_name) DO UPDATE SET
                birth_date = coalesce(excluded.birth_date, birth_date),
                sex = coalesce(excluded.sex, sex)
            RETURNING id
            """, [.text(r.patientID), .text(r.patientName), .text(r.patientBirthDate), .text(r.patientSex)])

        let studyRef: Int64
        let studyValues: [SQLValue] = [
            .text(r.studyInstanceUID), .integer(patientRef), .text(r.studyDate), .text(r.studyTime),
            .text(r.accessionNumber), .text(r.studyDescription), received,
        ]
        if case let (id, oldPatient)? = try queryFirst(
            "SELECT id, patient_ref FROM studies WHERE study_uid = ?", [.text(r.studyInstanceUID)],
            { ($0.int64(0), $0.int64(1)) }) {
            studyRef = id
            try run("""
                UPDATE studies SET patient_ref = ?2,
                    study_date = coalesce(?3, study_date), study_time = coalesce(?4, study_time),
                    accession_number = coalesce(?5, accession_number),
                    study_description = coalesce(?6, study_description),
                    first_received_at = min(first_received_at, ?7),
                    last_received_at = max(last_received_at, ?7)
                WHERE id = ?8
                """, studyValues + [.integer(id)])
            if oldPatient != patientRef { changes.patients.insert(oldPatient) }
        } else {
            studyRef = try returningID("""
                INSERT INTO studies (study_uid, patient_ref, study_date, study_time, accession_number,
                                     study_description, first_received_at, last_received_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id
                """, studyValues)
        }

        let seriesRef: Int64
        let seriesValues: [SQLValue] = [
            .text(r.seriesInstanceUID), .integer(studyRef), .text(r.modality), .text(r.bodyPartExamined),
            .text(r.seriesDescription), .integer(r.seriesNumber), received,
        ]
        if case let (id, oldStudy)? = try queryFirst(
            "SELECT id, study_ref FROM series WHERE series_uid = ?", [.text(r.seriesInstanceUID)],
            { ($0.int64(0), $0.int64(1)) }) {
            seriesRef = id
            try run("""
                UPDATE series SET study_ref = ?2,
                    modality = coalesce(?3, modality), body_part = coalesce(?4, body_part),
                    series_description = coalesce(?5, series_description),
                    series_number = coalesce(?6, series_number),
                    first_received_at = min(first_received_at, ?7),
                    last_received_at = max(last_received_at, ?7)
                WHERE id = ?8
                """, seriesValues + [.integer(id)])
            if oldStudy != studyRef { changes.studies.insert(oldStudy) }
        } else {
            seriesRef = try returningID("""
                INSERT INTO series (series_uid, study_ref, modality, body_part, series_description,
                                    series_number, first_received_at, last_received_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id
                """, seriesValues)
        }

        // Another instance catalogued at this path: its file has been overwritten by this one.
        let displaced = try query("""
            DELETE FROM instances WHERE file_path = ?1 AND sop_instance_uid <> ?2
            RETURNING sop_instance_uid, series_ref
            """, [.text(r.filePath), .text(r.sopInstanceUID)]) { ($0.text(0), $0.int64(1)) }
        for (uid, series) in displaced {
            changes.series.insert(series)
            logger.warning("catalog row replaced by another instance at the same path", metadata: [
                "catalog.file": "\(r.filePath)", "sop.uid": "\(r.sopInstanceUID)", "catalog.removed_sop_uid": "\(uid)",
            ])
        }

        let instanceValues: [SQLValue] = [
            .text(r.sopInstanceUID), .text(r.sopClassUID), .integer(seriesRef), .integer(r.instanceNumber),
            .text(r.transferSyntaxUID), .text(r.filePath), .integer(r.fileSize), received,
            .text(r.callingAE), .text(r.remoteHost),
        ]
        if case let (id, oldSeries)? = try queryFirst(
            "SELECT id, series_ref FROM instances WHERE sop_instance_uid = ?", [.text(r.sopInstanceUID)],
            { ($0.int64(0), $0.int64(1)) }) {
            try run("""
                UPDATE instances SET sop_class_uid = ?2, series_ref = ?3, instance_number = ?4,
                    transfer_syntax_uid = ?5, file_path = ?6, file_size = ?7, received_at = ?8,
                    calling_ae = ?9, remote_host = ?10, status = 'stored'
                WHERE id = ?11
                """, instanceValues + [.integer(id)])
            if oldSeries != seriesRef { changes.series.insert(oldSeries) }
            changes.replaced += 1
        } else {
            try run("""
                INSERT INTO instances (sop_instance_uid, sop_class_uid, series_ref, instance_number,
                    transfer_syntax_uid, file_path, file_size, received_at, calling_ae, remote_host)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                """, instanceValues)
        }
    }

    /// Deletes series, studies and patients among `changes` that no longer have children.
    func removeEmptyParents(_ changes: HierarchyChanges) throws(CatalogError) {
        var studies = changes.studies
        var patients = changes.patients
        for id in changes.series {
            if let study = try queryFirst("""
                DELETE FROM series WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM instances WHERE series_ref = ?1)
                RETURNING study_ref
                """, [.integer(id)], { $0.int64(0) }) {
                studies.insert(study)
            }
        }
        for id in studies {
            if let patient = try queryFirst("""
                DELETE FROM studies WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM series WHERE study_ref = ?1)
                RETURNING patient_ref
                """, [.integer(id)], { $0.int64(0) }) {
                patients.insert(patient)
            }
        }
        for id in patients {
            try run("""
                DELETE FROM patients WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_ref = ?1)
                """, [.integer(id)])
        }
    }

    /// Runs an `INSERT … RETURNING id` and returns the id.
    private func returningID(_ sql: String, _ values: [SQLValue]) throws(CatalogError) -> Int64 {
        guard let id = try queryFirst(sql, values, { $0.int64(0) }) else {
            throw CatalogError(sqlite: SQLITE_INTERNAL, message: "no id returned", context: "insert")
        }
        return id
    }
}

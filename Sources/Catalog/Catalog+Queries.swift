import Foundation

extension Catalog {
    /// The instance with this SOP Instance UID, with its status, or nil.
    public func instance(sopInstanceUID: String) throws -> StoredInstance? {
        try withConnection { c in
            try c.queryFirst("""
                SELECT i.sop_instance_uid, i.sop_class_uid, st.study_uid, se.series_uid,
                       p.patient_id, p.patient_name, p.birth_date, p.sex,
                       st.study_date, st.study_time, st.accession_number, st.study_description,
                       se.modality, se.body_part, se.series_description, se.series_number,
                       i.instance_number, i.transfer_syntax_uid, i.file_path, i.file_size,
                       i.received_at, i.calling_ae, i.remote_host, i.status
                FROM instances i
                JOIN series se ON se.id = i.series_ref
                JOIN studies st ON st.id = se.study_ref
                JOIN patients p ON p.id = st.patient_ref
                WHERE i.sop_instance_uid = ?
                """, [.text(sopInstanceUID)]) { row in
                StoredInstance(
                    record: InstanceRecord(
                        sopInstanceUID: row.text(0), sopClassUID: row.text(1),
                        studyInstanceUID: row.text(2), seriesInstanceUID: row.text(3),
                        patientID: row.text(4), patientName: row.text(5),
                        patientBirthDate: row.optionalText(6), patientSex: row.optionalText(7),
                        studyDate: row.optionalText(8), studyTime: row.optionalText(9),
                        accessionNumber: row.optionalText(10), studyDescription: row.optionalText(11),
                        modality: row.optionalText(12), bodyPartExamined: row.optionalText(13),
                        seriesDescription: row.optionalText(14), seriesNumber: row.optionalInt(15),
                        instanceNumber: row.optionalInt(16), transferSyntaxUID: row.text(17),
                        filePath: row.text(18), fileSize: row.int64(19), receivedAt: row.date(20),
                        callingAE: row.text(21), remoteHost: row.text(22)),
                    status: InstanceStatus(rawValue: row.text(23)) ?? .missing)
            }
        }
    }

    /// Totals over the catalog.
    public func counts() throws -> CatalogCounts {
        try withConnection { c in
            try c.queryFirst("""
                SELECT (SELECT count(*) FROM patients),
                       (SELECT count(*) FROM studies),
                       (SELECT count(*) FROM series),
                       (SELECT count(*) FROM instances),
                       (SELECT count(*) FROM instances WHERE status = 'missing'),
                       (SELECT coalesce(sum(file_size), 0) FROM instances WHERE status = 'stored')
                """) { row in
                CatalogCounts(patients: row.int(0), studies: row.int(1), series: row.int(2),
                              instances: row.int(3), missingInstances: row.int(4), bytes: row.int64(5))
            } ?? CatalogCounts()
        }
    }

    /// The studies that most recently received an instance, newest first.
    public func recentStudies(limit: Int) throws -> [StudySummary] {
        try withConnection { c in
            try c.query("""
                SELECT st.study_uid, p.patient_id, p.patient_name, st.study_date, st.study_time,
                       st.accession_number, st.study_description,
                       (SELECT count(*) FROM series se WHERE se.study_ref = st.id),
                       (SELECT count(*) FROM instances i JOIN series se ON se.id = i.series_ref
                        WHERE se.study_ref = st.id),
                       st.first_received_at, st.last_received_at
                FROM studies st JOIN patients p ON p.id = st.patient_ref
                ORDER BY st.last_received_at DESC, st.id DESC
                LIMIT ?
                """, [.integer(Int64(max(0, limit)))]) { row in
                StudySummary(
                    studyInstanceUID: row.text(0), patientID: row.text(1), patientName: row.text(2),
                    studyDate: row.optionalText(3), studyTime: row.optionalText(4),
                    accessionNumber: row.optionalText(5), studyDescription: row.optionalText(6),
                    seriesCount: row.int(7), instanceCount: row.int(8),
                    firstReceivedAt: row.date(9), lastReceivedAt: row.date(10))
            }
        }
    }

    /// The series of a study, by series number (unnumbered last), then arrival.
    /// Empty if the study is unknown.
    public func seriesSummaries(studyInstanceUID: String) throws -> [SeriesSummary] {
        try withConnection { c in
            try c.query("""
                SELECT se.series_uid, st.study_uid, se.modality, se.body_part, se.series_description,
                       se.series_number,
                       (SELECT count(*) FROM instances i WHERE i.series_ref = se.id),
                       (SELECT count(*) FROM instances i WHERE i.series_ref = se.id AND i.status = 'missing'),
                       se.first_received_at, se.last_received_at
                FROM series se JOIN studies st ON st.id = se.study_ref
                WHERE st.study_uid = ?
                ORDER BY se.series_number IS NULL, se.series_number, se.first_received_at, se.id
                """, [.text(studyInstanceUID)]) { row in
                SeriesSummary(
                    seriesInstanceUID: row.text(0), studyInstanceUID: row.text(1),
                    modality: row.optionalText(2), bodyPartExamined: row.optionalText(3),
                    seriesDescription: row.optionalText(4), seriesNumber: row.optionalInt(5),
                    instanceCount: row.int(6), missingInstanceCount: row.int(7),
                    firstReceivedAt: row.date(8), lastReceivedAt: row.date(9))
            }
        }
    }
}

import Foundation
import Logging

/// One named schema step. Migrations are append-only: a released one is never edited;
/// a change is a new migration at the end of `Migrations.all`.
struct Migration: Sendable {
    let name: String
    let sql: String
}

/// The catalog schema as an ordered list of named migrations, each applied once in its
/// own transaction and recorded in `schema_migrations(name, applied_at)`.
enum Migrations {
    static let all: [Migration] = [
        Migration(name: "0001_initial", sql: """
            CREATE TABLE patients (
                id INTEGER PRIMARY KEY,
                patient_id TEXT NOT NULL,
                patient_name TEXT NOT NULL,
                birth_date TEXT,
                sex TEXT,
                UNIQUE (patient_id, patient_name)
            );
            CREATE TABLE studies (
                id INTEGER PRIMARY KEY,
                study_uid TEXT NOT NULL UNIQUE,
                patient_ref INTEGER NOT NULL REFERENCES patients(id),
                study_date TEXT,
                study_time TEXT,
                accession_number TEXT,
                study_description TEXT,
                first_received_at REAL NOT NULL,
                last_received_at REAL NOT NULL
            );
            CREATE INDEX studies_patient_ref ON studies(patient_ref);
            CREATE INDEX studies_last_received_at ON studies(last_received_at);
            CREATE TABLE series (
                id INTEGER PRIMARY KEY,
                series_uid TEXT NOT NULL UNIQUE,
                study_ref INTEGER NOT NULL REFERENCES studies(id),
                modality TEXT,
                body_part TEXT,
                series_description TEXT,
                series_number INTEGER,
                first_received_at REAL NOT NULL,
                last_received_at REAL NOT NULL
            );
            CREATE INDEX series_study_ref ON series(study_ref);
            CREATE TABLE instances (
                id INTEGER PRIMARY KEY,
                sop_instance_uid TEXT NOT NULL UNIQUE,
                sop_class_uid TEXT NOT NULL,
                series_ref INTEGER NOT NULL REFERENCES series(id),
                instance_number INTEGER,
                transfer_syntax_uid TEXT NOT NULL,
                file_path TEXT NOT NULL UNIQUE,
                file_size INTEGER NOT NULL,
                received_at REAL NOT NULL,
                calling_ae TEXT NOT NULL,
                remote_host TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'stored' CHECK (status IN ('stored', 'missing'))
            );
            CREATE INDEX instances_series_ref ON instances(series_ref);
            """),
        // Jobs and deliveries (DESIGN §1, §7a; the name is historic and stays: applied
        // migrations are matched by name): when a series was last routed, analysis jobs, their
        // result objects, per-destination deliveries with back-off, and findings for export.
        Migration(name: "0002_pipeline", sql: """
            ALTER TABLE series ADD COLUMN routed_through REAL;
            -- Series stored before the pipeline existed are not analyzed retroactively (a node
            -- upgraded with a full spool would otherwise analyze its whole history at once);
            -- a new instance re-opens such a series as usual.
            UPDATE series SET routed_through = last_received_at;
            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY,
                series_uid TEXT NOT NULL,
                study_uid TEXT NOT NULL,
                analyzer TEXT NOT NULL,
                input_series TEXT NOT NULL,
                rule TEXT NOT NULL,
                calling_ae TEXT NOT NULL,
                remote_host TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'refused')),
                attempts INTEGER NOT NULL DEFAULT 0,
                reason TEXT,
                input_instances INTEGER NOT NULL DEFAULT 0,
                input_hash TEXT,
                findings INTEGER,
                created_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                load_seconds REAL,
                analyze_seconds REAL,
                encode_seconds REAL
            );
            CREATE INDEX jobs_state ON jobs(state, id);
            CREATE INDEX jobs_series ON jobs(series_uid);
            CREATE TABLE results (
                sop_instance_uid TEXT PRIMARY KEY,
                job_ref INTEGER NOT NULL REFERENCES jobs(id),
                series_uid TEXT NOT NULL,
                source_series_uid TEXT NOT NULL,
                study_uid TEXT NOT NULL,
                sop_class_uid TEXT NOT NULL,
                kind TEXT NOT NULL,
                file_path TEXT NOT NULL,
                created_at REAL NOT NULL
            );
            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                result_uid TEXT NOT NULL REFERENCES results(sop_instance_uid),
                peer_ae TEXT NOT NULL,
                host TEXT NOT NULL,
                port INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                last_status TEXT,
                last_error TEXT,
                sent_at REAL,
                UNIQUE (result_uid, peer_ae, host, port)
            );
            CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
            CREATE TABLE findings (
                id INTEGER PRIMARY KEY,
                job_ref INTEGER NOT NULL REFERENCES jobs(id),
                series_uid TEXT NOT NULL,
                study_uid TEXT NOT NULL,
                analyzer TEXT NOT NULL,
                version TEXT NOT NULL,
                number INTEGER NOT NULL,
                kind TEXT NOT NULL,
                category TEXT NOT NULL,
                site TEXT NOT NULL,
                laterality TEXT,
                confidence REAL NOT NULL,
                measurements TEXT NOT NULL,
                created_at REAL NOT NULL,
                UNIQUE (series_uid, analyzer, number)
            );
            """),
        // Dead letters (issue 15): a delivery the peer refused permanently (e.g. 0122 SOP class
        // not supported) stops being retried after a bounded number of attempts and waits for
        // the operator (`autoseg redeliver`). SQLite cannot alter a CHECK: the table is rebuilt.
        Migration(name: "0003_dead_letter", sql: """
            CREATE TABLE deliveries_new (
                id INTEGER PRIMARY KEY,
                result_uid TEXT NOT NULL REFERENCES results(sop_instance_uid),
                peer_ae TEXT NOT NULL,
                host TEXT NOT NULL,
                port INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                last_status TEXT,
                last_error TEXT,
                sent_at REAL,
                UNIQUE (result_uid, peer_ae, host, port)
            );
            INSERT INTO deliveries_new SELECT id, result_uid, peer_ae, host, port, state, attempts, next_attempt_at,
                                              last_status, last_error, sent_at FROM deliveries;
            DROP TABLE deliveries;
            ALTER TABLE deliveries_new RENAME TO deliveries;
            CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
            """),
        // Categorical assessments of a finding (Lung-RADS "4A"), name → value, beside its
        // numeric measurements.
        Migration(name: "0004_assessments", sql: """
            ALTER TABLE findings ADD COLUMN assessments TEXT NOT NULL DEFAULT '{}';
            """),
    ]

    static var names: [String] { all.map(\.name) }

    private static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)
        """

    /// Applies every migration not yet recorded, in order. Each runs in a `BEGIN IMMEDIATE`
    /// transaction that re-reads what is applied, so two processes opening the same file
    /// cannot both apply one.
    static func migrate(_ connection: Connection, logger: Logger) throws {
        try connection.run(createTable)
        for migration in all {
            let applied = try connection.transaction { () throws -> Bool in
                let done = try connection.queryFirst(
                    "SELECT 1 FROM schema_migrations WHERE name = ?", [.text(migration.name)]) { _ in true } ?? false
                if done { return false }
                try connection.execute(script: migration.sql)
                try connection.run(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    [.text(migration.name), .time(Date())])
                return true
            }
            if applied {
                logger.info("catalog migration applied", metadata: ["catalog.migration": "\(migration.name)"])
            }
        }
    }

    /// The names recorded in `schema_migrations`, in the order they were applied.
    static func applied(_ connection: Connection) throws(CatalogError) -> [String] {
        let exists = try connection.queryFirst(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") { _ in true } ?? false
        guard exists else { return [] }
        return try connection.query("SELECT name FROM schema_migrations ORDER BY rowid") { $0.text(0) }
    }

    /// For read-only opens: throws `schemaTooOld` unless every known migration is applied.
    static func verify(_ connection: Connection) throws(CatalogError) {
        let applied = Set(try applied(connection))
        let pending = names.filter { !applied.contains($0) }
        guard pending.isEmpty else {
            throw CatalogError.schemaTooOld(
                "\(connection.path) lacks migration(s) \(pending.joined(separator: ", ")); start the node once to migrate it")
        }
    }
}

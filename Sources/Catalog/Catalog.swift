import Foundation
import Logging

/// The node's SQLite catalog: patients, studies, series and instances, with named
/// migrations and reconcile against the spool (DESIGN §1, §5).
///
/// One instance owns one connection and serialises every call behind a lock, so it can be
/// shared between threads (the ingest committer writes while the status API reads).
/// File databases run in WAL mode: a separate read-only `Catalog` (another process, e.g.
/// `autoseg status`) reads while the node writes.
public final class Catalog: @unchecked Sendable {
    // @unchecked: `connection` is only touched inside `withConnection`, under `lock`.
    private let connection: Connection
    private let lock = NSLock()
    let logger: Logger

    /// The database file (":memory:" for an in-memory catalog).
    public let path: String
    /// True for catalogs opened with `init(readOnlyPath:logger:)`.
    public let isReadOnly: Bool

    /// Opens (creating if needed, with its folder) the catalog at `path` for reading and
    /// writing: WAL, `synchronous=FULL` (the WAL is fsync'd at every commit, so a row committed
    /// is a row that survives a power loss: the ingest answers 0000 only after its row's commit),
    /// foreign keys on, 5 s busy timeout; then applies pending migrations.
    public init(path: String, logger: Logger) throws {
        var logger = logger
        logger[metadataKey: "catalog.path"] = "\(path)"
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw CatalogError.cannotOpen("cannot create folder \(folder): \(error)")
            }
        }
        let connection = try Connection(path: path, mode: .readWrite)
        let journal = try connection.queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) } ?? ""
        if journal.lowercased() != "wal" {
            logger.warning("catalog is not in WAL mode", metadata: ["catalog.journal_mode": "\(journal)"])
        }
        try connection.execute(script: "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        try Migrations.migrate(connection, logger: logger)
        self.connection = connection
        self.logger = logger
        self.path = path
        self.isReadOnly = false
    }

    /// A private in-memory catalog (tests, offline runs), fully migrated.
    public static func inMemory(logger: Logger) throws -> Catalog {
        try Catalog(memoryWith: logger)
    }

    private init(memoryWith logger: Logger) throws {
        var logger = logger
        logger[metadataKey: "catalog.path"] = ":memory:"
        let connection = try Connection(path: ":memory:", mode: .readWrite)
        try connection.execute(script: "PRAGMA foreign_keys = ON;")
        try Migrations.migrate(connection, logger: logger)
        self.connection = connection
        self.logger = logger
        self.path = ":memory:"
        self.isReadOnly = false
    }

    /// Opens an existing catalog for reading only, e.g. while the node runs. Applies no
    /// migration; throws `CatalogError.cannotOpen` if the file is missing and
    /// `CatalogError.schemaTooOld` if a known migration is not applied.
    public init(readOnlyPath: String, logger: Logger) throws {
        var logger = logger
        logger[metadataKey: "catalog.path"] = "\(readOnlyPath)"
        guard FileManager.default.fileExists(atPath: readOnlyPath) else {
            throw CatalogError.cannotOpen("no catalog at \(readOnlyPath)")
        }
        let connection = try Connection(path: readOnlyPath, mode: .readOnly)
        try Migrations.verify(connection)
        self.connection = connection
        self.logger = logger
        self.path = readOnlyPath
        self.isReadOnly = true
    }

    /// Runs `body` with the connection, holding the lock.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(connection)
    }

    /// Names of the applied migrations, in the order they were applied.
    public func appliedMigrations() throws -> [String] {
        try withConnection { try Migrations.applied($0) }
    }
}

import CSQLite

/// An error of the catalog. Every SQLite failure becomes one of these, carrying
/// SQLite's own message; callers test the kind (`error == .diskFull`), never the text.
///
/// A struct around a private code, so new kinds do not break callers' `switch`es.
public struct CatalogError: Error, CustomStringConvertible, Equatable {
    private enum Code: Equatable {
        case cannotOpen, schemaTooOld, readOnly, diskFull, busy, constraint, corrupt
        case invalidRecord, fileSystem, sqlite
    }

    private let code: Code
    /// What the catalog was doing, e.g. "insert instance".
    public let context: String
    /// SQLite's message (or the file-system reason), as reported.
    public let message: String
    /// SQLite's (extended) result code, when the error came from SQLite.
    public let sqliteCode: Int32?

    private init(_ code: Code, context: String = "", message: String = "", sqliteCode: Int32? = nil) {
        self.code = code
        self.context = context
        self.message = message
        self.sqliteCode = sqliteCode
    }

    /// The database file cannot be opened (missing, permissions, not a directory…).
    public static var cannotOpen: Self { .init(.cannotOpen) }
    /// A read-only open found a database whose migrations are not all applied.
    public static var schemaTooOld: Self { .init(.schemaTooOld) }
    /// A write was attempted on a read-only catalog.
    public static var readOnly: Self { .init(.readOnly) }
    /// SQLITE_FULL: the disk (or quota) is full.
    public static var diskFull: Self { .init(.diskFull) }
    /// SQLITE_BUSY / SQLITE_LOCKED after the busy timeout.
    public static var busy: Self { .init(.busy) }
    /// A schema constraint (unique, foreign key, check) was violated.
    public static var constraint: Self { .init(.constraint) }
    /// The file is not a database or is damaged.
    public static var corrupt: Self { .init(.corrupt) }
    /// A record lacks an identifier it needs (UIDs, file path).
    public static var invalidRecord: Self { .init(.invalidRecord) }
    /// A file-system operation of reconcile failed.
    public static var fileSystem: Self { .init(.fileSystem) }
    /// Any other SQLite failure.
    public static var sqlite: Self { .init(.sqlite) }

    /// Kinds compare equal; context and message are not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public var description: String {
        var text = "catalog"
        if !context.isEmpty { text += " \(context)" }
        text += ": \(message.isEmpty ? "\(code)" : message)"
        if let sqliteCode { text += " (\(Self.name(of: sqliteCode)))" }
        return text
    }

    // MARK: Constructors used inside the module

    /// The one funnel from a SQLite result code to a Swift error.
    init(sqlite rc: Int32, message: String, context: String) {
        let code: Code
        switch rc & 0xFF {
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH: code = .cannotOpen
        case SQLITE_READONLY: code = .readOnly
        case SQLITE_FULL: code = .diskFull
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_CONSTRAINT: code = .constraint
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = .corrupt
        default: code = .sqlite
        }
        self.init(code, context: context, message: message, sqliteCode: rc)
    }

    static func schemaTooOld(_ message: String) -> Self {
        .init(.schemaTooOld, context: "open", message: message)
    }

    static func cannotOpen(_ message: String) -> Self {
        .init(.cannotOpen, context: "open", message: message)
    }

    static func invalidRecord(_ message: String) -> Self {
        .init(.invalidRecord, context: "record", message: message)
    }

    static func fileSystem(_ context: String, _ error: any Error) -> Self {
        .init(.fileSystem, context: context, message: "\(error)")
    }

    private static func name(of rc: Int32) -> String {
        let names: [Int32: String] = [
            SQLITE_FULL: "SQLITE_FULL", SQLITE_BUSY: "SQLITE_BUSY", SQLITE_LOCKED: "SQLITE_LOCKED",
            SQLITE_READONLY: "SQLITE_READONLY", SQLITE_CANTOPEN: "SQLITE_CANTOPEN",
            SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT", SQLITE_CORRUPT: "SQLITE_CORRUPT",
            SQLITE_NOTADB: "SQLITE_NOTADB", SQLITE_IOERR: "SQLITE_IOERR", SQLITE_ERROR: "SQLITE_ERROR",
        ]
        let primary = rc & 0xFF
        return (names[primary] ?? "sqlite code \(primary)") + (rc != primary ? ", extended \(rc)" : "")
    }
}

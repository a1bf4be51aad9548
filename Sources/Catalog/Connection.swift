import CSQLite
import Foundation

/// One libsqlite3 connection and its prepared-statement cache. Not thread-safe:
/// `Catalog` serialises every use behind its lock.
///
/// Every SQLite result code passes through `check(_:_:)`, the one place that turns
/// a failure into a `CatalogError` carrying SQLite's message.
final class Connection {
    enum Mode {
        case readWrite
        case readOnly
    }

    let handle: OpaquePointer
    let path: String
    private var statements: [String: Statement] = [:]

    /// Opens (for `.readWrite`, creates) the database at `path` (":memory:" for a private
    /// in-memory database) and sets the busy timeout.
    init(path: String, mode: Mode, busyTimeoutMilliseconds: Int32 = 5000) throws(CatalogError) {
        var flags = SQLITE_OPEN_NOMUTEX  // serialised by Catalog's lock
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw CatalogError(sqlite: rc, message: "\(message): \(path)", context: "open")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(handle)
    }

    /// Throws a `CatalogError` unless `rc` is a success code.
    func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(CatalogError) {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return
        default:
            throw CatalogError(sqlite: rc, message: String(cString: sqlite3_errmsg(handle)), context: context())
        }
    }

    /// Runs a script of one or more statements without parameters (migrations, pragmas).
    func execute(script: String) throws(CatalogError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, script, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw CatalogError(sqlite: rc, message: message, context: "execute")
        }
    }

    /// The prepared statement for `sql`, compiled once per connection and reused.
    func statement(_ sql: String) throws(CatalogError) -> Statement {
        if let cached = statements[sql] { return cached }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        try check(rc, "prepare \(sql.prefix(60))")
        guard let raw else {
            throw CatalogError(sqlite: SQLITE_MISUSE, message: "empty statement", context: "prepare")
        }
        let statement = Statement(handle: raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs a statement that returns no rows; returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue] = []) throws(CatalogError) -> Int {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.reset() }
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (Row) -> T) throws(CatalogError) -> [T] {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.reset() }
        var rows: [T] = []
        while try statement.step() { rows.append(map(Row(handle: statement.handle))) }
        return rows
    }

    /// The first row of a query, if any.
    func queryFirst<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (Row) -> T) throws(CatalogError) -> T? {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.reset() }
        return try statement.step() ? map(Row(handle: statement.handle)) : nil
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (the write lock is taken up
    /// front, so it cannot fail half-way with SQLITE_BUSY); rolls back if `body` throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { _ = try? run("ROLLBACK") }
            throw error
        }
        do {
            try run("COMMIT")
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { _ = try? run("ROLLBACK") }
            throw error
        }
        return result
    }
}

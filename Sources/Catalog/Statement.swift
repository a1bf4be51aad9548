import CSQLite
import Foundation

/// sqlite3's SQLITE_TRANSIENT (a macro Swift cannot import): SQLite copies bound text
/// before `bind` returns, so Swift's temporary C string may go away.
private func transientDestructor() -> sqlite3_destructor_type {
    unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A value bound to a `?` parameter.
enum SQLValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
    /// Times are stored as Unix seconds (REAL).
    static func time(_ date: Date) -> SQLValue { .real(date.timeIntervalSince1970) }
}

/// A prepared statement owned by (and cached in) a `Connection`.
final class Statement {
    let handle: OpaquePointer
    private unowned let connection: Connection

    init(handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    /// Clears earlier bindings and binds `values` to parameters 1…n.
    func bind(_ values: [SQLValue]) throws(CatalogError) {
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, transientDestructor())
            }
            try connection.check(rc, "bind parameter \(index)")
        }
    }

    /// Advances; `true` while a row is available, `false` when done.
    func step() throws(CatalogError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let sql = sqlite3_sql(handle).map { String(cString: $0) } ?? ""
        try connection.check(rc, "step \(sql.prefix(60))")
        return false
    }

    /// Resets after use, so the statement holds no read snapshot or lock while cached.
    func reset() {
        sqlite3_reset(handle)
    }
}

/// The current row of a stepping statement (column indexes start at 0).
struct Row {
    let handle: OpaquePointer

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(handle, column))
    }

    func optionalInt(_ column: Int32) -> Int? {
        isNull(column) ? nil : int(column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func optionalDouble(_ column: Int32) -> Double? {
        isNull(column) ? nil : double(column)
    }

    func date(_ column: Int32) -> Date {
        Date(timeIntervalSince1970: double(column))
    }
}

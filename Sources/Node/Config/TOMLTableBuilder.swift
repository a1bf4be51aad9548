/// A table while its document is being parsed: a reference node, so that a later
/// `[header]` can reopen a table created earlier as a parent, and `[[header]]` can
/// append to an array of tables. `build()` freezes it into a `TOMLTable`.
final class TOMLTableBuilder {
    enum Slot {
        case value(TOMLValue)
        case table(TOMLTableBuilder)
        /// Made by `[[header]]` lines (a static `key = [...]` array is a `.value`).
        case tableArray([TOMLTableBuilder])
    }

    private var keys: [String] = []
    private var slots: [String: Slot] = [:]
    /// Whether a `[header]` named this table; false while it exists only as the parent
    /// of another header (`[a.b]` creates `a`). A second header for a defined table is a duplicate.
    var isDefined: Bool

    init(isDefined: Bool = false) {
        self.isDefined = isDefined
    }

    subscript(key: String) -> Slot? {
        get { slots[key] }
        set {
            if slots[key] == nil { keys.append(key) }
            slots[key] = newValue
        }
    }

    func build() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            switch slots[key]! {
            case .value(let value): table[key] = value
            case .table(let builder): table[key] = .table(builder.build())
            case .tableArray(let builders): table[key] = .array(builders.map { .table($0.build()) })
            }
        }
        return table
    }
}

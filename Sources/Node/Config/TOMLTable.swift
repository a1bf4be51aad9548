/// A TOML table: keys in the order the document wrote them, each with its value.
struct TOMLTable: Equatable, Sendable {
    /// Keys in document order.
    private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    init() {}

    init(_ entries: [(String, TOMLValue)]) {
        for (key, value) in entries { self[key] = value }
    }

    subscript(key: String) -> TOMLValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    var isEmpty: Bool { keys.isEmpty }

    /// `(key, value)` pairs in document order.
    var entries: [(key: String, value: TOMLValue)] {
        keys.map { ($0, values[$0]!) }
    }
}

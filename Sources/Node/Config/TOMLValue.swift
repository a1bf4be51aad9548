/// A value in a parsed TOML document (the subset `TOMLParser` reads).
///
/// Arrays of tables (`[[peers]]`) are `.array` of `.table` values.
enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    /// What the value is, for error messages ("a string", "an integer", …).
    var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// The value written back roughly as TOML, for "(got …)" in error messages.
    var display: String {
        switch self {
        case .string(let s): TOMLValue.quoted(s)
        case .integer(let i): String(i)
        case .float(let d): String(d)
        case .boolean(let b): String(b)
        case .array(let items): "[" + items.map(\.display).joined(separator: ", ") + "]"
        case .table: "a table"
        }
    }

    /// `s` in double quotes with `"`, `\` and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// At least four upper-case hex digits, zero-padded (`001F`).
    static func hex4(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

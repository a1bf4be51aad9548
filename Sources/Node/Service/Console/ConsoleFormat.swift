import Foundation

/// How the console writes times, sizes and the configuration.
enum ConsoleFormat {
    /// "2026-12-06 07:45:12 UTC": one time zone for every reader of a node that serves a site.
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func time(_ seconds: Double?) -> String { time(seconds.map { Date(timeIntervalSince1970: $0) }) }

    /// `time` on two lines (date, then time of day) for narrow table cells.
    static func cell(_ date: Date?) -> String {
        let t = time(date)
        guard let space = t.firstIndex(of: " ") else { return t }
        return t[..<space] + "\n" + t[t.index(after: space)...]
    }

    static func cell(_ seconds: Double?) -> String { cell(seconds.map { Date(timeIntervalSince1970: $0) }) }

    /// A long UID cut to its last `keep` characters ("…" first); the full UID goes in a title.
    static func shortUID(_ uid: String, keep: Int = 18) -> String {
        uid.count <= keep + 1 ? uid : "…" + uid.suffix(keep)
    }

    /// "3 d 4 h", "5 h 12 min", "42 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }

    /// Binary units (a disk's free space as `df -h` shows it).
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    static func seconds(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }

    /// A configuration section as TOML lines, from the typed values (so the page shows what
    /// the node runs with, defaults included). Property names become snake_case keys; nil
    /// values are left out; keys in `secret` are shown as "(set)" or "(not set)".
    static func toml(_ value: Any, secret: Set<String> = ["password_hash"]) -> String {
        var lines: [String] = []
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let key = snakeCase(label)
            if secret.contains(key) {
                let set = !(child.value as? String ?? "").isEmpty
                lines.append("\(key) = \(set ? "(set)" : "(not set)")")
                continue
            }
            guard let rendered = literal(child.value) else { continue }
            lines.append("\(key) = \(rendered)")
        }
        return lines.joined(separator: "\n")
    }

    private static func literal(_ value: Any) -> String? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let inner = mirror.children.first?.value else { return nil }
            return literal(inner)
        }
        switch value {
        case let s as String: return quoted(s)
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case let a as [Any]: return "[" + a.compactMap(literal).joined(separator: ", ") + "]"
        case let c as CustomStringConvertible: return quoted(c.description)
        default: return quoted("\(value)")
        }
    }

    private static func quoted(_ s: String) -> String { TOMLValue.quoted(s) }

    /// "maxPDU" → "max_pdu", "minFreeMB" → "min_free_mb", "aeTitle" → "ae_title".
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, ch) in chars.enumerated() {
            if ch.isUppercase && i > 0 {
                let previousLower = chars[i - 1].isLowercase || chars[i - 1].isNumber
                let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previousLower || (chars[i - 1].isUppercase && nextLower) { out += "_" }
            }
            out += ch.lowercased()
        }
        return out
    }
}

/// HTML escaping for the few strings built outside templates.
enum ConsoleHTML {
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}

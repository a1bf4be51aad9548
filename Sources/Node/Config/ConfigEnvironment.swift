/// Environment overrides: `AUTOSEG_<SECTION>_<KEY>` (upper case) sets `[section] key`,
/// winning over the file. Only the scalar sections can be overridden (not `[[peers]]` or
/// `[[rules]]`). Any other `AUTOSEG_` variable is an error, so a typo never passes
/// silently; `AUTOSEG_CONFIG` (the config file's path, read by the CLI) and `AUTOSEG_LUNG_DEBUG`
/// (per-candidate trace of the lung analyzer) are reserved.
enum ConfigEnvironment {
    static let prefix = "AUTOSEG_"
    static let reserved: Set<String> = ["AUTOSEG_CONFIG", "AUTOSEG_LUNG_DEBUG"]

    /// The sections that take overrides, with their keys.
    static let sections: [(name: String, keys: [String])] = [
        ("node", NodeSection.keys),
        ("security", SecuritySection.keys),
        ("pipeline", PipelineSection.keys),
        ("http", HTTPSection.keys),
    ]

    /// The variable that overrides `section.key`.
    static func variable(section: String, key: String) -> String {
        prefix + "\(section)_\(key)".uppercased()
    }

    /// variable → (section, key), for every overridable key.
    private static let index: [String: (section: String, key: String)] = {
        var index: [String: (section: String, key: String)] = [:]
        for (section, keys) in sections {
            for key in keys { index[variable(section: section, key: key)] = (section, key) }
        }
        return index
    }()

    /// section → key → (variable, raw value), from `environment`. Throws for an unknown
    /// `AUTOSEG_` variable (the first in sorted order).
    static func overrides(from environment: [String: String]) throws(ConfigError)
        -> [String: [String: (variable: String, raw: String)]]
    {
        var result: [String: [String: (variable: String, raw: String)]] = [:]
        for (name, raw) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix(prefix) && !reserved.contains(name) {
            guard let target = index[name] else { throw .unknownVariable(name) }
            result[target.section, default: [:]][target.key] = (name, raw)
        }
        return result
    }
}

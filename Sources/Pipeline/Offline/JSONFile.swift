import Foundation

/// Pretty, key-sorted JSON (stable diffs), written atomically.
public func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try e.encode(value).write(to: url, options: .atomic)
}

/// A coded concept: code value, coding scheme designator, code meaning (PS3.3 §8.8).
public struct Code: Sendable, Hashable, Codable, CustomStringConvertible {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }

    public var description: String { "(\(value), \(scheme), \"\(meaning)\")" }
}

/// A coding scheme an object declares in its CodingSchemeIdentificationSequence (a private
/// scheme; the responsible organization is the object's manufacturer).
public struct CodingScheme: Sendable, Hashable {
    public var designator: String
    public var name: String

    public init(designator: String, name: String) {
        self.designator = designator
        self.name = name
    }
}

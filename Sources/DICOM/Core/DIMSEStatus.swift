/// DIMSE status codes the node answers and reads, in one table (PS3.7 Annex C, PS3.4 B.2.3).
public struct DIMSEStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = DIMSEStatus(rawValue: 0x0000)
    /// Refused: out of resources (disk below the watermark, write failed for space).
    public static let outOfResources = DIMSEStatus(rawValue: 0xA700)
    /// Error: data set does not match SOP class (or instance) of the command.
    public static let dataSetDoesNotMatchSOPClass = DIMSEStatus(rawValue: 0xA900)
    /// Error: cannot understand (unreadable data set, missing or invalid UIDs).
    public static let cannotUnderstand = DIMSEStatus(rawValue: 0xC000)
    /// Failure: processing failure (an unexpected error inside the node).
    public static let processingFailure = DIMSEStatus(rawValue: 0x0110)

    public var isSuccess: Bool { rawValue == 0 }
    /// Warnings (0001, Bxxx) still mean the instance was stored.
    public var isWarning: Bool { rawValue == 0x0001 || (rawValue & 0xF000) == 0xB000 }

    public var name: String {
        switch rawValue {
        case 0x0000: return "Success"
        case 0xA700...0xA7FF: return "Refused: Out of Resources"
        case 0xA900...0xA9FF: return "Error: Data Set does not match SOP Class"
        case 0xC000...0xCFFF: return "Error: Cannot understand"
        case 0x0110: return "Failure: Processing failure"
        case 0x0122: return "Refused: SOP Class not supported"
        case 0x0124: return "Refused: Not authorized"
        case 0xB000, 0xB007, 0xB006: return "Warning"
        case 0xFFFF: return "No response"
        default: return "Status"
        }
    }

    public var hex: String {
        let s = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    public var description: String { "\(hex) \(name)" }
}

import Foundation

/// One study as listed by `Catalog.recentStudies(limit:)`.
public struct StudySummary: Sendable, Equatable {
    public var studyInstanceUID: String
    public var patientID: String
    public var patientName: String
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
    public var seriesCount: Int
    /// All instance rows of the study, stored and missing.
    public var instanceCount: Int
    public var firstReceivedAt: Date
    public var lastReceivedAt: Date
}

import Foundation

/// One series as listed by `Catalog.seriesSummaries(studyInstanceUID:)`.
public struct SeriesSummary: Sendable, Equatable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var modality: String?
    public var bodyPartExamined: String?
    public var seriesDescription: String?
    public var seriesNumber: Int?
    /// All instance rows of the series, stored and missing.
    public var instanceCount: Int
    public var missingInstanceCount: Int
    public var firstReceivedAt: Date
    public var lastReceivedAt: Date
}

import Foundation

/// A series that has been quiet for `stable_seconds` since it last received an instance and
/// was not routed since (DESIGN §7a: a late instance re-opens an analyzed series).
public struct QuietSeries: Sendable, Equatable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var lastReceivedAt: Double
    public var instances: Int
    /// Calling AE and peer address of the series' most recent instance (where results go back).
    public var callingAE: String
    public var remoteHost: String
}

public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, refused
}

/// One analysis job (a row of `jobs`).
public struct JobRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var analyzer: String
    /// The input series, primary first (an rCBF map is followed by its Tmax map).
    public var inputSeries: [String]
    /// Which rule routed it ("rules[0]" or "default: …").
    public var rule: String
    public var callingAE: String
    public var remoteHost: String
    public var state: JobState
    public var attempts: Int
    public var reason: String?
    public var inputInstances: Int
    public var inputHash: String?
    public var findings: Int?
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var loadSeconds: Double?
    public var analyzeSeconds: Double?
    public var encodeSeconds: Double?
}

/// A new job to queue.
public struct NewJob: Sendable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var analyzer: String
    public var inputSeries: [String]
    public var rule: String
    public var callingAE: String
    public var remoteHost: String
    public var inputInstances: Int

    public init(seriesInstanceUID: String, studyInstanceUID: String, analyzer: String, inputSeries: [String],
                rule: String, callingAE: String, remoteHost: String, inputInstances: Int) {
        self.seriesInstanceUID = seriesInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.analyzer = analyzer
        self.inputSeries = inputSeries
        self.rule = rule
        self.callingAE = callingAE
        self.remoteHost = remoteHost
        self.inputInstances = inputInstances
    }
}

/// How a job ended.
public struct JobOutcome: Sendable {
    public var state: JobState
    public var reason: String?
    public var inputHash: String?
    public var findings: Int?
    public var loadSeconds: Double?
    public var analyzeSeconds: Double?
    public var encodeSeconds: Double?

    public init(state: JobState, reason: String? = nil, inputHash: String? = nil, findings: Int? = nil,
                loadSeconds: Double? = nil, analyzeSeconds: Double? = nil, encodeSeconds: Double? = nil) {
        self.state = state
        self.reason = reason
        self.inputHash = inputHash
        self.findings = findings
        self.loadSeconds = loadSeconds
        self.analyzeSeconds = analyzeSeconds
        self.encodeSeconds = encodeSeconds
    }
}

/// A result object in the outbox.
public struct ResultRecord: Sendable, Equatable {
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var sopClassUID: String
    /// "seg", "sr" or "sc".
    public var kind: String
    /// Relative to the data directory.
    public var filePath: String

    public init(sopInstanceUID: String, seriesInstanceUID: String, sopClassUID: String, kind: String, filePath: String) {
        self.sopInstanceUID = sopInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.sopClassUID = sopClassUID
        self.kind = kind
        self.filePath = filePath
    }
}

/// Where results go.
public struct Destination: Sendable, Equatable, Hashable {
    public var aeTitle: String
    public var host: String
    public var port: Int

    public init(aeTitle: String, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }
}

/// One result to one destination (a row of `deliveries`).
public struct DeliveryRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var resultUID: String
    public var kind: String
    public var filePath: String
    public var peerAE: String
    public var host: String
    public var port: Int
    /// "pending", "sent" or "failed" (a dead letter: refused permanently, waits for the operator).
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Double
    public var lastStatus: String?
    public var lastError: String?
    public var sentAt: Double?
    public var studyInstanceUID: String
}

/// One finding, for `autoseg findings` and the status API.
public struct FindingRow: Sendable, Equatable, Codable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var analyzer: String
    public var version: String
    public var number: Int
    public var kind: String
    public var category: String
    public var site: String
    public var laterality: String?
    public var confidence: Double
    /// JSON object: measurement name → {value, unit}.
    public var measurements: String
    /// JSON object: assessment name → value (e.g. `{"lung_rads": "4A"}`).
    public var assessments: String
    public var createdAt: Double
    /// Filled by `findings(since:withPatient:)` when asked for.
    public var patientID: String?
    public var patientName: String?
    public var studyDate: String?
    public var accessionNumber: String?

    public init(seriesInstanceUID: String, studyInstanceUID: String, analyzer: String, version: String, number: Int,
                kind: String, category: String, site: String, laterality: String?, confidence: Double,
                measurements: String, assessments: String = "{}", createdAt: Double) {
        self.seriesInstanceUID = seriesInstanceUID
        self.studyInstanceUID = studyInstanceUID
        self.analyzer = analyzer
        self.version = version
        self.number = number
        self.kind = kind
        self.category = category
        self.site = site
        self.laterality = laterality
        self.confidence = confidence
        self.measurements = measurements
        self.assessments = assessments
        self.createdAt = createdAt
    }
}

/// Counts of jobs, deliveries and findings, for status.
public struct WorkCounts: Sendable, Equatable, Codable {
    public var jobs: [String: Int] = [:]
    public var deliveriesPending: Int = 0
    public var deliveriesSent: Int = 0
    public var deliveriesRetrying: Int = 0
    /// Dead letters: refused permanently, not retried until the operator says so.
    public var deliveriesFailed: Int = 0
    public var findings: Int = 0
}

/// Totals of finished jobs of one analyzer (for `/metrics`).
public struct JobStageTotals: Sendable, Equatable {
    public var analyzer: String
    public var jobs: Int
    public var loadSeconds: Double
    public var analyzeSeconds: Double
    public var encodeSeconds: Double
}

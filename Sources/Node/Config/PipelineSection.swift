/// `[pipeline]`: when a series counts as complete, and how many analyses run at once.
public struct PipelineSection: Sendable, Equatable {
    /// `stable_seconds`: a series is complete after this long without a new instance (integer or float).
    public var stableSeconds: Double = 10
    /// `workers`: concurrent analysis workers; 0 means one per core.
    public var workers = 0

    public init() {}

    public init(stableSeconds: Double = 10, workers: Int = 0) {
        self.stableSeconds = stableSeconds
        self.workers = workers
    }

    static let keys = ["stable_seconds", "workers"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        stableSeconds = try r.number("stable_seconds", ConfigCheck.positive) ?? stableSeconds
        workers = try r.int("workers", ConfigCheck.nonNegative) ?? workers
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.positive.validate(stableSeconds, key: "pipeline.stable_seconds")
        try ConfigCheck.nonNegative.validate(workers, key: "pipeline.workers")
    }
}

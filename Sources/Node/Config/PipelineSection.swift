/// `[pipeline]`: when a series counts as complete, and how many analyses run at once.
public struct PipelineSection: Sendable, Equatable {
    /// `stable_seconds`: a series is complete after this long without a new instance (integer or float).
    public var stableSeconds: Double = 10
    /// `workers`: concurrent analysis workers; 0 means one per core.
    public var workers = 0
    /// `memory_mb`: memory the running analyses may use together (estimated from their input);
    /// 0 means 60 % of physical memory. A job that alone exceeds it still runs, by itself.
    public var memoryMB = 0
    /// `key_images`: also send one Secondary Capture key image per finding (for PACS without SEG display).
    public var keyImages = true
    /// `retry_max_seconds`: the cap of the exponential back-off between delivery attempts (1 s, 2 s, 4 s, …).
    public var retryMaxSeconds: Double = 600

    public init() {}

    public init(stableSeconds: Double = 10, workers: Int = 0, memoryMB: Int = 0, keyImages: Bool = true,
                retryMaxSeconds: Double = 600) {
        self.stableSeconds = stableSeconds
        self.workers = workers
        self.memoryMB = memoryMB
        self.keyImages = keyImages
        self.retryMaxSeconds = retryMaxSeconds
    }

    static let keys = ["stable_seconds", "workers", "memory_mb", "key_images", "retry_max_seconds"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        stableSeconds = try r.number("stable_seconds", ConfigCheck.positive) ?? stableSeconds
        workers = try r.int("workers", ConfigCheck.nonNegative) ?? workers
        memoryMB = try r.int("memory_mb", ConfigCheck.nonNegative) ?? memoryMB
        keyImages = try r.bool("key_images") ?? keyImages
        retryMaxSeconds = try r.number("retry_max_seconds", ConfigCheck.positive) ?? retryMaxSeconds
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.positive.validate(stableSeconds, key: "pipeline.stable_seconds")
        try ConfigCheck.nonNegative.validate(workers, key: "pipeline.workers")
        try ConfigCheck.nonNegative.validate(memoryMB, key: "pipeline.memory_mb")
        try ConfigCheck.positive.validate(retryMaxSeconds, key: "pipeline.retry_max_seconds")
    }
}

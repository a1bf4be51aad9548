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
    /// `delivery_timeout`: seconds a delivery waits to connect, for the association to be accepted,
    /// and for each C-STORE response; a peer that stalls longer fails that attempt (and only its own).
    public var deliveryTimeout = 30
    /// `dead_letter_after`: attempts after which a result the peer refuses permanently (e.g. 0122
    /// SOP class not supported, A9xx, Cxxx) becomes a dead letter: not retried until `autoseg redeliver`.
    public var deadLetterAfter = 3

    public init() {}

    public init(stableSeconds: Double = 10, workers: Int = 0, memoryMB: Int = 0, keyImages: Bool = true,
                retryMaxSeconds: Double = 600) {
        self.stableSeconds = stableSeconds
        self.workers = workers
        self.memoryMB = memoryMB
        self.keyImages = keyImages
        self.retryMaxSeconds = retryMaxSeconds
    }

    static let keys = ["stable_seconds", "workers", "memory_mb", "key_images", "retry_max_seconds", "delivery_timeout",
                       "dead_letter_after"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        stableSeconds = try r.number("stable_seconds", ConfigCheck.positive) ?? stableSeconds
        workers = try r.int("workers", ConfigCheck.nonNegative) ?? workers
        memoryMB = try r.int("memory_mb", ConfigCheck.nonNegative) ?? memoryMB
        keyImages = try r.bool("key_images") ?? keyImages
        retryMaxSeconds = try r.number("retry_max_seconds", ConfigCheck.positive) ?? retryMaxSeconds
        deliveryTimeout = try r.int("delivery_timeout", ConfigCheck.timeout) ?? deliveryTimeout
        deadLetterAfter = try r.int("dead_letter_after", ConfigCheck.positiveInt) ?? deadLetterAfter
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.positive.validate(stableSeconds, key: "pipeline.stable_seconds")
        try ConfigCheck.nonNegative.validate(workers, key: "pipeline.workers")
        try ConfigCheck.nonNegative.validate(memoryMB, key: "pipeline.memory_mb")
        try ConfigCheck.positive.validate(retryMaxSeconds, key: "pipeline.retry_max_seconds")
        try ConfigCheck.timeout.validate(deliveryTimeout, key: "pipeline.delivery_timeout")
        try ConfigCheck.positiveInt.validate(deadLetterAfter, key: "pipeline.dead_letter_after")
    }
}

/// What `Catalog.reconcile(spool:reader:)` did.
public struct ReconcileReport: Sendable, Equatable {
    /// Instance files found in the spool (`SpoolFiles.instanceFiles`).
    public var scanned = 0
    /// Files that had no row and were read and catalogued.
    public var added = 0
    /// Rows whose file is gone, now `missing`.
    public var markedMissing = 0
    /// `missing` rows whose file is back, now `stored`.
    public var restored = 0
    /// Files the reader could not read (or that lack UIDs), moved to quarantine.
    public var unreadable = 0
    /// Files holding an instance already catalogued at another path whose file exists;
    /// left in place and not catalogued (logged).
    public var duplicates = 0
    /// Leftover temporary files removed (`SpoolFiles.removeTemporaryFiles`).
    public var tempFilesRemoved = 0
    /// Wall-clock duration.
    public var seconds = 0.0

    public init() {}
}

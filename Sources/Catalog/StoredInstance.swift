/// Whether an instance's file is in the spool.
public enum InstanceStatus: String, Sendable, Equatable, CaseIterable {
    /// The file is on disk (the normal state).
    case stored
    /// Reconcile found no file at the catalogued path; the row is kept so nothing is forgotten.
    case missing
}

/// A catalogued instance: the record as last stored, and its status.
public struct StoredInstance: Sendable, Equatable {
    public var record: InstanceRecord
    public var status: InstanceStatus

    public init(record: InstanceRecord, status: InstanceStatus) {
        self.record = record
        self.status = status
    }
}

/// Totals over the whole catalog.
public struct CatalogCounts: Sendable, Equatable {
    public var patients: Int
    public var studies: Int
    public var series: Int
    /// All instance rows, stored and missing.
    public var instances: Int
    /// Instance rows whose file reconcile did not find.
    public var missingInstances: Int
    /// Sum of `file_size` over stored (not missing) instances.
    public var bytes: Int64

    public init(patients: Int = 0, studies: Int = 0, series: Int = 0, instances: Int = 0,
                missingInstances: Int = 0, bytes: Int64 = 0) {
        self.patients = patients
        self.studies = studies
        self.series = series
        self.instances = instances
        self.missingInstances = missingInstances
        self.bytes = bytes
    }
}

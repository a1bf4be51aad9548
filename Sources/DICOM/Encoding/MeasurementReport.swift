/// A Comprehensive 3D SR with a TID 1500 Measurement Report (DESIGN §7), as
/// `write(to:study:)` encodes it through DCMTK's dcmsr/cmr: language English, a device
/// observer, the procedure reported, an image library of the source images, one measurement
/// group per entry of `groups`, the document's qualitative evaluations, and the evidence of
/// every source instance and the SEG.
public struct MeasurementReport: Sendable {
    /// A numeric measurement (TID 1419 / TID 300); the value is written as a DS of at most 16
    /// characters.
    public struct Measurement: Sendable, Equatable {
        public var concept: Code
        public var derivation: Code?
        public var value: Double
        /// UCUM.
        public var unit: Code
        /// The measurement's own finding site and laterality (e.g. one side of the organ).
        public var site: Code?
        public var laterality: Code?

        public init(concept: Code, derivation: Code?, value: Double, unit: Code, site: Code? = nil,
                    laterality: Code? = nil) {
            self.concept = concept
            self.derivation = derivation
            self.value = value
            self.unit = unit
            self.site = site
            self.laterality = laterality
        }
    }

    /// A qualitative evaluation: CODE when `code` is set, else TEXT `text`.
    public struct Evaluation: Sendable, Equatable {
        public var concept: Code
        public var code: Code?
        public var text: String

        public init(concept: Code, code: Code?, text: String) {
            self.concept = concept
            self.code = code
            self.text = text
        }
    }

    /// A measurement group: TID 1411 (volumetric, referencing a SEG segment) when
    /// `segmentNumber` is set, else TID 1501 (case-level numbers).
    public struct Group: Sendable, Equatable {
        public var trackingID: String
        public var trackingUID: String
        public var finding: Code?
        public var findingSite: Code?
        /// Laterality of the finding site (CID 244).
        public var laterality: Code?
        public var segmentNumber: Int?
        public var measurements: [Measurement]
        public var evaluations: [Evaluation]

        public init(trackingID: String, trackingUID: String, finding: Code?, findingSite: Code?, laterality: Code?,
                    segmentNumber: Int?, measurements: [Measurement], evaluations: [Evaluation]) {
            self.trackingID = trackingID
            self.trackingUID = trackingUID
            self.finding = finding
            self.findingSite = findingSite
            self.laterality = laterality
            self.segmentNumber = segmentNumber
            self.measurements = measurements
            self.evaluations = evaluations
        }
    }

    /// Identity and equipment; the device observer's manufacturer and model are its
    /// manufacturer and model name.
    public var identity: ResultIdentity
    /// Procedure Reported (CID 100).
    public var procedure: Code
    public var deviceUID: String
    public var deviceName: String
    /// Algorithm Name/Version (TID 4019) on every measurement of a volumetric group.
    public var algorithmName: String
    public var algorithmVersion: String
    public var sourceSeriesUID: String
    /// Image library group descriptors: the source's Modality, Frame of Reference and planes.
    public var sourceModality: String
    public var frameOfReferenceUID: String
    public var plane: ImagePlane
    /// The source slices; each instance is listed once (in this order) in the image library
    /// and the evidence.
    public var sources: [SliceSource]
    /// The SEG the volumetric groups reference; nil when none was written (then no group may
    /// have a segment number).
    public var segmentation: (seriesUID: String, instanceUID: String)?
    public var groups: [Group]
    /// The document's own qualitative evaluations.
    public var evaluations: [Evaluation]
    /// A private coding scheme the codes use, declared in CodingSchemeIdentificationSequence.
    public var privateScheme: CodingScheme?

    public init(identity: ResultIdentity, procedure: Code, deviceUID: String, deviceName: String, algorithmName: String,
                algorithmVersion: String, sourceSeriesUID: String, sourceModality: String, frameOfReferenceUID: String,
                plane: ImagePlane, sources: [SliceSource], segmentation: (seriesUID: String, instanceUID: String)?,
                groups: [Group], evaluations: [Evaluation], privateScheme: CodingScheme?) {
        self.identity = identity
        self.procedure = procedure
        self.deviceUID = deviceUID
        self.deviceName = deviceName
        self.algorithmName = algorithmName
        self.algorithmVersion = algorithmVersion
        self.sourceSeriesUID = sourceSeriesUID
        self.sourceModality = sourceModality
        self.frameOfReferenceUID = frameOfReferenceUID
        self.plane = plane
        self.sources = sources
        self.segmentation = segmentation
        self.groups = groups
        self.evaluations = evaluations
        self.privateScheme = privateScheme
    }
}

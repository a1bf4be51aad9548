import Foundation

/// What the catalog stores about one received SOP Instance: its place in the
/// patient/study/series hierarchy, the attributes the status views and router need,
/// where its file is, and who sent it.
///
/// The catalog never parses DICOM: the node (or a reconcile `reader`) fills this in.
public struct InstanceRecord: Sendable, Equatable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    /// PatientID; may be "".
    public var patientID: String
    /// PatientName as received (DICOM PN string); may be "".
    public var patientName: String
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
    public var modality: String?
    public var bodyPartExamined: String?
    public var seriesDescription: String?
    public var seriesNumber: Int?
    public var instanceNumber: Int?
    public var transferSyntaxUID: String
    /// Relative to the data directory, e.g. `spool/<study>/<series>/<sop>.dcm`.
    public var filePath: String
    public var fileSize: Int64
    public var receivedAt: Date
    /// Calling AE title of the association; when added by reconcile, what the file says ("" if nothing).
    public var callingAE: String
    /// Peer host of the association; when added by reconcile, what the file says ("" if nothing).
    public var remoteHost: String

    public init(
        sopInstanceUID: String,
        sopClassUID: String,
        studyInstanceUID: String,
        seriesInstanceUID: String,
        patientID: String,
        patientName: String,
        patientBirthDate: String? = nil,
        patientSex: String? = nil,
        studyDate: String? = nil,
        studyTime: String? = nil,
        accessionNumber: String? = nil,
        studyDescription: String? = nil,
        modality: String? = nil,
        bodyPartExamined: String? = nil,
        seriesDescription: String? = nil,
        seriesNumber: Int? = nil,
        instanceNumber: Int? = nil,
        transferSyntaxUID: String,
        filePath: String,
        fileSize: Int64,
        receivedAt: Date,
        callingAE: String = "",
        remoteHost: String = ""
    ) {
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.patientID = patientID
        self.patientName = patientName
        self.patientBirthDate = patientBirthDate
        self.patientSex = patientSex
        self.studyDate = studyDate
        self.studyTime = studyTime
        self.accessionNumber = accessionNumber
        self.studyDescription = studyDescription
        self.modality = modality
        self.bodyPartExamined = bodyPartExamined
        self.seriesDescription = seriesDescription
        self.seriesNumber = seriesNumber
        self.instanceNumber = instanceNumber
        self.transferSyntaxUID = transferSyntaxUID
        self.filePath = filePath
        self.fileSize = fileSize
        self.receivedAt = receivedAt
        self.callingAE = callingAE
        self.remoteHost = remoteHost
    }

    /// The first identifying field that is empty, if any. Such a record cannot be
    /// placed in the hierarchy and is refused.
    var missingIdentifier: String? {
        if sopInstanceUID.isEmpty { return "SOPInstanceUID" }
        if sopClassUID.isEmpty { return "SOPClassUID" }
        if studyInstanceUID.isEmpty { return "StudyInstanceUID" }
        if seriesInstanceUID.isEmpty { return "SeriesInstanceUID" }
        if filePath.isEmpty { return "file path" }
        return nil
    }
}

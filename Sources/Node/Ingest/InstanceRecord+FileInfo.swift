import Catalog
import DICOM
import Foundation

extension InstanceRecord {
    /// The catalog row for a file whose header was read into `info`.
    init(_ info: FileInfo, filePath: String, receivedAt: Date = Date(), callingAE: String = "", remoteHost: String = "") {
        self.init(
            sopInstanceUID: info.sopInstanceUID, sopClassUID: info.sopClassUID,
            studyInstanceUID: info.studyInstanceUID, seriesInstanceUID: info.seriesInstanceUID,
            patientID: info.patientID, patientName: info.patientName,
            patientBirthDate: info.patientBirthDate, patientSex: info.patientSex,
            studyDate: info.studyDate, studyTime: info.studyTime, accessionNumber: info.accessionNumber,
            studyDescription: info.studyDescription, modality: info.modality,
            bodyPartExamined: info.bodyPartExamined, seriesDescription: info.seriesDescription,
            seriesNumber: info.seriesNumber, instanceNumber: info.instanceNumber,
            transferSyntaxUID: info.transferSyntaxUID, filePath: filePath, fileSize: info.fileSize,
            receivedAt: receivedAt, callingAE: callingAE, remoteHost: remoteHost)
    }
}

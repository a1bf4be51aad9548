import CDcmtk
import Foundation

/// The attributes of a DICOM file's header that the node catalogues.
public struct FileInfo: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var transferSyntaxUID: String
    public var patientID: String
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
    /// ImageType values (e.g. ["ORIGINAL", "PRIMARY", "AXIAL"]).
    public var imageType: [String]
    public var contrastBolusAgent: String?
    public var frameOfReferenceUID: String?
    public var sliceThickness: Double?
    public var seriesNumber: Int?
    public var instanceNumber: Int?
    public var fileSize: Int64
    /// Diffusion weighting in s/mm²: DiffusionBValue (0018,9087), else GE's (0043,1039) first
    /// value or Siemens' (0019,100C); nil when none says.
    public var diffusionBValue: Double?
    /// Who sent the file and when it was received (File Meta Information and mtime).
    public var provenance: FileProvenance

    init(_ info: dk_file_info) {
        func opt(_ s: String) -> String? { s.isEmpty ? nil : s }
        sopClassUID = string(fromCString: info.sop_class_uid)
        sopInstanceUID = string(fromCString: info.sop_instance_uid)
        studyInstanceUID = string(fromCString: info.study_instance_uid)
        seriesInstanceUID = string(fromCString: info.series_instance_uid)
        transferSyntaxUID = string(fromCString: info.transfer_syntax_uid)
        patientID = string(fromCString: info.patient_id)
        patientName = string(fromCString: info.patient_name)
        patientBirthDate = opt(string(fromCString: info.patient_birth_date))
        patientSex = opt(string(fromCString: info.patient_sex))
        studyDate = opt(string(fromCString: info.study_date))
        studyTime = opt(string(fromCString: info.study_time))
        accessionNumber = opt(string(fromCString: info.accession_number))
        studyDescription = opt(string(fromCString: info.study_description))
        modality = opt(string(fromCString: info.modality))
        bodyPartExamined = opt(string(fromCString: info.body_part_examined))
        seriesDescription = opt(string(fromCString: info.series_description))
        let types = string(fromCString: info.image_type)
        imageType = types.isEmpty ? [] : types.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        contrastBolusAgent = opt(string(fromCString: info.contrast_bolus_agent))
        frameOfReferenceUID = opt(string(fromCString: info.frame_of_reference_uid))
        sliceThickness = info.slice_thickness.isFinite ? info.slice_thickness : nil
        seriesNumber = info.series_number == Int32.min ? nil : Int(info.series_number)
        instanceNumber = info.instance_number == Int32.min ? nil : Int(info.instance_number)
        fileSize = info.file_size
        diffusionBValue = info.diffusion_b_value.isFinite ? info.diffusion_b_value : nil
        let sending = opt(string(fromCString: info.sending_ae_title)) ?? opt(string(fromCString: info.source_ae_title))
        let address = opt(string(fromCString: info.sending_presentation_address))
            ?? opt(string(fromCString: info.source_presentation_address))
        provenance = FileProvenance(
            callingAE: sending, calledAE: opt(string(fromCString: info.receiving_ae_title)),
            peerHost: address.flatMap(FileProvenance.host(ofPresentationAddress:)),
            receivedAt: info.modified_time.isFinite ? Date(timeIntervalSince1970: info.modified_time) : nil)
    }

    /// Reads the header of a DICOM file (Part 10 or raw dataset), not its pixel data, after the
    /// bounded pre-scan (`DatasetScan`): a file that could exhaust the parser (nesting, counts,
    /// lengths past its end, incomplete Pixel Data) throws instead of being parsed.
    public static func read(path: String) throws(DICOMError) -> FileInfo {
        var info = dk_file_info()
        try withDCMTK("cannot read \(path)", kind: .invalidInput) { dk_read_file_info(path, &info) }
        return FileInfo(info)
    }
}

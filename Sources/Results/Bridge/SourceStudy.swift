import CDcmtk
import DICOM
import Foundation

/// The patient and study attributes of a source image, cleaned: a value that does not conform
/// to its VR (a malformed date, a UID with letters, an over-long name, a sex other than
/// M/F/O, …) is dropped, never copied. Every result object carries the cleaned attributes,
/// so it joins the source study. Not thread-safe; one per write.
public final class SourceStudy {
    let handle: OpaquePointer

    /// Reads the header of `path`. Throws when the file cannot be read or its
    /// StudyInstanceUID is missing or invalid (results could not join the study).
    public init(path: String) throws(DICOMError) {
        var h: OpaquePointer?
        try withResultsBridge("cannot take patient/study attributes from \(path)") { dk_study_open(path, &h) }
        handle = h!
    }

    deinit { dk_study_free(handle) }

    /// Attributes present in the source but dropped as invalid, with the reason.
    public var dropped: [String] {
        (0..<dk_study_dropped_count(handle)).map { String(cString: dk_study_dropped(handle, $0)) }
    }

    /// The cleaned value of an attribute ("" when absent or dropped); also answers a few
    /// source facts that are not copied (Modality, SeriesNumber, SeriesInstanceUID,
    /// BodyPartExamined, SOPClassUID, SeriesDescription, SliceThickness).
    public func value(_ group: UInt16, _ element: UInt16) -> String {
        String(cString: dk_study_value(handle, group, element))
    }

    public var studyInstanceUID: String { value(0x0020, 0x000D) }
    /// "" when the source has none (or an invalid one).
    public var frameOfReferenceUID: String { value(0x0020, 0x0052) }
    public var modality: String { value(0x0008, 0x0060) }
    public var seriesInstanceUID: String { value(0x0020, 0x000E) }
    public var seriesNumber: Int? { Int(value(0x0020, 0x0011).trimmingCharacters(in: .whitespaces)) }
    public var sliceThickness: Double? { Double(value(0x0018, 0x0050).trimmingCharacters(in: .whitespaces)) }
}

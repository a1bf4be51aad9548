import CDcmtk

/// DICOM unique identifiers.
public enum UID {
    /// A valid DICOM UID (PS3.5 §9.1): 1...64 characters of digits and dots, no empty
    /// component, no leading zero in a component of more than one digit. Only such a
    /// UID is ever used as a path component.
    public static func isValid(_ uid: String) -> Bool {
        dk_uid_is_valid(uid) == 1
    }

    public static let verificationSOPClass = "1.2.840.10008.1.1"
}

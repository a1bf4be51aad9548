import CDcmtk

/// DICOM unique identifiers.
public enum UID {
    /// A valid DICOM UID (PS3.5 §9.1): 1...64 characters of digits and dots, no empty
    /// component, no leading zero in a component of more than one digit. Only such a
    /// UID is ever used as a path component.
    public static func isValid(_ uid: String) -> Bool {
        dk_uid_is_valid(uid) == 1
    }

    /// The folder or file name `uid` is stored under (DESIGN §5): the UID itself when valid,
    /// else "x" + 32 hex digits of the SHA-256 of its text. Instances with non-conformant UIDs
    /// are stored (DESIGN §6), but such a value never names a path: it could hold "/", "..",
    /// a leading dot or anything else a peer chose.
    public static func pathComponent(_ uid: String) -> String {
        var out = [CChar](repeating: 0, count: 65)  // a valid UID (≤ 64) or x + 32 hex digits
        dk_uid_path_component(uid, &out, out.count)
        return String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static let verificationSOPClass = "1.2.840.10008.1.1"
    public static let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
    public static let mrImageStorage = "1.2.840.10008.5.1.4.1.1.4"

    /// A UID derived deterministically from `parts` (PS3.5 §B.2 `2.25.` + the decimal value of a
    /// 128-bit UUID, version 8 "custom" with RFC 4122 variant bits, from FNV-1a/128 of the
    /// parts joined by NUL). Same parts → same UID on every machine; that is how re-runs replace
    /// rather than duplicate results (DESIGN §7) and how phantoms are reproducible.
    public static func derived(_ parts: String...) -> String { derived(parts) }

    public static func derived(_ parts: [String]) -> String {
        var h: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
        let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
        for (i, part) in parts.enumerated() {
            if i > 0 { h = (h ^ 0) &* prime }
            for b in part.utf8 { h = (h ^ UInt128(b)) &* prime }
        }
        // Version 8 in bits 76…79, variant 10 in bits 62…63 (UUID byte order, big-endian).
        h = (h & ~(UInt128(0xF) << 76)) | (UInt128(8) << 76)
        h = (h & ~(UInt128(0x3) << 62)) | (UInt128(2) << 62)
        return "2.25.\(h)"
    }
}

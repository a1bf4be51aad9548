import CDcmtk
import Foundation

/// The patient and study attributes of a source series, cleaned, as `VolumeLoader` reads them
/// from the header of the first file it is given: a value that does not conform to its VR (a
/// malformed date, a UID with letters, an over-long name, a sex other than M/F/O, …) is
/// dropped, never copied. Every result object carries `elements`, so it joins the source study.
/// Also the source facts results need (Modality, SeriesNumber, SliceThickness, …).
public struct StudyAttributes: Sendable, Equatable {
    /// One cleaned attribute, as the source stores it.
    public struct Element: Sendable, Hashable {
        public var group: UInt16
        public var element: UInt16
        /// The value representation, e.g. "PN".
        public var vr: String
        /// The value's bytes in the source's character set (Specific Character Set is one of
        /// the elements), trailing padding removed.
        public var bytes: [UInt8]

        public init(group: UInt16, element: UInt16, vr: String, bytes: [UInt8]) {
            self.group = group
            self.element = element
            self.vr = vr
            self.bytes = bytes
        }

        /// The value as text (bytes that are not UTF-8 are replaced).
        public var value: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The file the attributes were read from.
    public var path: String
    /// Specific Character Set, Patient, Patient Study, General Study and Frame of Reference
    /// attributes that passed their checks, in tag order.
    public var elements: [Element]
    /// Attributes present in the source but dropped as invalid, with the reason.
    public var dropped: [String]
    /// "" when the source has none or an invalid one: results could not join its study.
    public var studyInstanceUID: String
    /// "" when the source has none (or an invalid one).
    public var frameOfReferenceUID: String
    public var seriesInstanceUID: String
    public var modality: String
    public var seriesNumber: Int?
    public var sliceThickness: Double?
    public var bodyPartExamined: String
    public var sopClassUID: String
    public var seriesDescription: String

    /// The cleaned value of an attribute that is copied (trailing spaces trimmed), "" when
    /// absent or dropped.
    public func value(_ group: UInt16, _ element: UInt16) -> String {
        guard let e = elements.first(where: { $0.group == group && $0.element == element }) else { return "" }
        var v = e.value
        while v.hasSuffix(" ") { v.removeLast() }
        return v
    }

    /// Throws unless results can join the source study (a valid StudyInstanceUID).
    public func requireStudyInstanceUID() throws(DICOMError) {
        guard studyInstanceUID.isEmpty else { return }
        throw DICOMError(.dcmtk, "cannot take patient/study attributes from \(path): the source has no valid "
                             + "StudyInstanceUID: results could not join its study", module: 0xFFFF, code: 1)
    }
}

extension StudyAttributes {
    /// Copies the bridge's attributes (the caller frees them).
    init(_ s: dk_study_attributes, path: String) {
        func bytes(_ e: dk_element) -> [UInt8] {
            guard let p = e.value, e.length > 0 else { return [] }
            return p.withMemoryRebound(to: UInt8.self, capacity: e.length) { Array(UnsafeBufferPointer(start: $0, count: e.length)) }
        }
        elements = (0..<s.element_count).map { i in
            let e = s.elements[i]
            return Element(group: e.group, element: e.element, vr: string(fromCString: e.vr), bytes: bytes(e))
        }
        var facts: [UInt32: String] = [:]
        for i in 0..<s.fact_count {
            let e = s.facts[i]
            facts[UInt32(e.group) << 16 | UInt32(e.element)] = String(decoding: bytes(e), as: UTF8.self)
        }
        func fact(_ group: UInt16, _ element: UInt16) -> String { facts[UInt32(group) << 16 | UInt32(element)] ?? "" }
        self.path = path
        dropped = (0..<s.dropped_count).map { String(cString: s.dropped[$0]!) }
        studyInstanceUID = fact(0x0020, 0x000D)
        frameOfReferenceUID = fact(0x0020, 0x0052)
        seriesInstanceUID = fact(0x0020, 0x000E)
        modality = fact(0x0008, 0x0060)
        seriesNumber = Int(fact(0x0020, 0x0011).trimmingCharacters(in: .whitespaces))
        sliceThickness = Double(fact(0x0018, 0x0050).trimmingCharacters(in: .whitespaces))
        bodyPartExamined = fact(0x0018, 0x0015)
        sopClassUID = fact(0x0008, 0x0016)
        seriesDescription = fact(0x0008, 0x103E)
    }
}

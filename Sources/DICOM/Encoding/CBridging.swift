import CDcmtk
import Foundation

// C values for the encoders' bridge calls (cdcmtk_results.h). Bridge statuses go through
// `withDCMTK` like every other call.

/// Keeps C copies of Swift strings alive for the duration of a bridge call: every pointer
/// handed out stays valid until the arena is released. Every string is made ASCII on the
/// way, so nothing AutoSeg writes depends on a character set.
final class CStrings {
    private var storage: [UnsafeMutablePointer<CChar>] = []

    /// A C copy of `s` in ASCII (see `ASCIIText`).
    func callAsFunction(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(ASCIIText.clean(s))!
        storage.append(p)
        return UnsafePointer(p)
    }

    /// `nil` for nil, else a C copy.
    func optional(_ s: String?) -> UnsafePointer<CChar>? { s.map { self($0) } }

    func code(_ c: Code?) -> dk_code {
        guard let c else { return dk_code(value: nil, scheme: nil, meaning: nil) }
        return dk_code(value: self(c.value), scheme: self(c.scheme), meaning: self(c.meaning))
    }

    deinit { storage.forEach { free($0) } }
}

/// A contiguous C array of `T` that lives as long as the box (for arrays of structs).
final class CArray<T> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(_ items: [T]) {
        count = items.count
        pointer = .allocate(capacity: max(1, items.count))
        pointer.initialize(from: items, count: items.count)
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}

/// A decimal string (DS) of at most 16 characters: as many significant digits as fit.
func decimalString(_ x: Double) -> String {
    for precision in stride(from: 12, through: 4, by: -1) {
        var s = String(format: "%.\(precision)g", x)
        if s == "-0" { s = "0" }
        if s.count <= 16 { return s }
    }
    return String(format: "%.4g", x)
}

extension StudyAttributes {
    /// Calls `body` with the cleaned attributes as bridge elements (bytes as the source has
    /// them, not made ASCII), valid during the call. Throws first unless results can join the
    /// source study.
    func withElements<R>(_ body: (UnsafePointer<dk_element>?, Int) throws(DICOMError) -> R) throws(DICOMError) -> R {
        try requireStudyInstanceUID()
        var copies: [UnsafeMutablePointer<CChar>] = []
        defer { copies.forEach { free($0) } }
        var list: [dk_element] = []
        for e in elements {
            let value = UnsafeMutablePointer<CChar>.allocate(capacity: e.bytes.count + 1)
            e.bytes.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { c in
                    if let base = c.baseAddress { value.initialize(from: base, count: c.count) }
                }
            }
            value[e.bytes.count] = 0
            copies.append(value)
            var vr: (CChar, CChar, CChar) = (0, 0, 0)
            let code = Array(e.vr.utf8.prefix(2))
            if code.count > 0 { vr.0 = CChar(bitPattern: code[0]) }
            if code.count > 1 { vr.1 = CChar(bitPattern: code[1]) }
            list.append(dk_element(group: e.group, element: e.element, vr: vr, value: UnsafePointer(value),
                                   length: e.bytes.count))
        }
        return try list.withUnsafeBufferPointer { (b) throws(DICOMError) -> R in try body(b.baseAddress, b.count) }
    }
}

import CDcmtk
import DICOM
import Foundation

// The results bridge (cdcmtk_results.h) is driven from here only; nothing else in `Results`
// touches C types. (The thin wrappers live in `Results` rather than `DICOM` because the
// results API is specific to this module.)

/// The one funnel for results bridge calls: a failed `dk_status` becomes a `DICOMError`.
func withResultsBridge(_ context: String, _ body: () -> dk_status) throws(DICOMError) {
    var status = body()
    guard status.ok == 0 else { return }
    let text = withUnsafeBytes(of: &status.text) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    throw DICOMError(.dcmtk, "\(context): \(text)", module: status.module, code: status.code)
}

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

import CDcmtk
import DICOM
import Dispatch
import Foundation

/// The ImagePositionPatient of every slice of a loaded volume as its source file states it
/// (not as the volume's regular grid predicts it), so SEG frames sit exactly on the source
/// images even when the spacing is slightly irregular. Headers are read on all cores.
enum SourcePositions {
    static func read(_ sources: [SliceSource]) throws(DICOMError) -> [SIMD3<Double>] {
        let paths = Array(Set(sources.map(\.path))).sorted()
        let box = PositionsBox(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            var header = dk_image_header()
            let status = dk_image_header_read(paths[i], &header)
            guard status.ok != 0 else {
                var s = status
                let text = withUnsafeBytes(of: &s.text) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                box.fail(DICOMError(.invalidInput, "cannot read the geometry of \(paths[i]): \(text)"))
                return
            }
            defer { dk_image_header_free(&header) }
            var frames: [SIMD3<Double>?] = []
            for f in 0..<Int(header.number_of_frames) {
                let g = header.frames[f]
                frames.append(g.flags & UInt32(DK_FRAME_HAS_POSITION) != 0
                              ? SIMD3(g.position.0, g.position.1, g.position.2) : nil)
            }
            box.set(i, frames)
        }
        if let e = box.error { throw e }
        let index = Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, $0) })
        var out: [SIMD3<Double>] = []
        out.reserveCapacity(sources.count)
        for s in sources {
            let frames = box.frames[index[s.path]!]
            guard s.frameNumber >= 1, s.frameNumber <= frames.count, let p = frames[s.frameNumber - 1] else {
                throw DICOMError(.invalidInput, "\(s.path) frame \(s.frameNumber) has no ImagePositionPatient")
            }
            out.append(p)
        }
        return out
    }
}

private final class PositionsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var frames: [[SIMD3<Double>?]]
    private(set) var error: DICOMError?

    init(count: Int) { frames = Array(repeating: [], count: count) }

    func set(_ i: Int, _ f: [SIMD3<Double>?]) { lock.lock(); frames[i] = f; lock.unlock() }
    func fail(_ e: DICOMError) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}

import CDcmtk
import Imaging
import Synchronization

/// Loads the files of one series into a `Volume<Float>` of rescaled values (HU for CT),
/// following DESIGN §6: slices sorted along the slice normal by ImagePositionPatient (never
/// by InstanceNumber or file name), spacing from positions, direction cosines kept,
/// enhanced multi-frame images through their functional groups, and gaps, mixed orientations
/// or sizes reported rather than resampled.
///
/// Headers are read, and slices decoded, on all cores (`Parallelism.threads`); each slice is
/// decoded by DCMTK straight into the final voxel buffer, one frame at a time.
/// Call `DICOMToolkit.initialize()` once before (it registers the JPEG, JPEG-LS and RLE decoders).
public enum VolumeLoader {
    /// - Parameters:
    ///   - files: paths of the series' instances, in any order.
    ///   - allowGaps: load a stack with gaps (> 1.5× the median spacing) at the median spacing
    ///     and list each gap in `warnings`, instead of throwing `.gap`.
    public static func load(files: [String], allowGaps: Bool = false) throws(VolumeError) -> LoadedVolume {
        guard !files.isEmpty else { throw VolumeError(.tooFewSlices, "no files") }
        let (headers, study) = try readHeaders(files)

        // One series, decodable pixels, one matrix size.
        let seriesUIDs = Dictionary(grouping: headers, by: \.seriesInstanceUID)
        if seriesUIDs.count > 1 {
            let list = seriesUIDs.map { "\($0.key.isEmpty ? "(none)" : $0.key) (\($0.value.count) files)" }.sorted()
            throw VolumeError(.multipleSeries, "files of \(seriesUIDs.count) series: \(list.joined(separator: ", "))")
        }
        for h in headers {
            if let reason = h.unsupportedReason { throw VolumeError(.unsupportedPixelData, "\(h.path): \(reason)") }
        }
        let first = headers[0]
        for h in headers where h.rows != first.rows || h.columns != first.columns {
            throw VolumeError(.mixedSize, "\(h.path) is \(h.rows)×\(h.columns), \(first.path) is \(first.rows)×\(first.columns)")
        }

        // Every frame of every file is a slice candidate.
        var candidates: [SliceCandidate] = []
        for (i, h) in headers.enumerated() {
            for (f, g) in h.frames.enumerated() {
                let label = h.frames.count > 1 ? "\(h.path) frame \(f + 1)" : h.path
                candidates.append(SliceCandidate(file: i, frame: f, label: label, geometry: g))
            }
        }
        if candidates.count < 2 {
            throw VolumeError(.tooFewSlices, "\(candidates.count) slice(s) in \(files.count) file(s); a volume needs at least 2")
        }
        let stack = try SliceStack.arrange(candidates, allowGaps: allowGaps)

        let dimensions = Dimensions(slices: candidates.count, rows: first.rows, columns: first.columns)
        var sliceOf = headers.map { [Int](repeating: -1, count: $0.frames.count) }
        for (slice, c) in stack.order.enumerated() { sliceOf[candidates[c].file][candidates[c].frame] = slice }
        let voxels = try decode(headers, sliceOf: sliceOf, dimensions: dimensions)

        let sources = stack.order.map { c -> SliceSource in
            let h = headers[candidates[c].file]
            // SliceStack.arrange refused any frame without a position.
            return SliceSource(path: h.path, sopClassUID: h.sopClassUID, sopInstanceUID: h.sopInstanceUID,
                               frameNumber: candidates[c].frame + 1, isMultiFrame: h.frames.count > 1,
                               position: candidates[c].geometry.position!)
        }
        return LoadedVolume(
            volume: Volume(dimensions: dimensions, geometry: stack.geometry, voxels: voxels),
            seriesInstanceUID: first.seriesInstanceUID,
            modality: first.modality,
            sources: sources,
            units: units(modality: first.modality, rescaleType: first.rescaleType, units: first.units),
            warnings: stack.warnings,
            study: study)
    }

    /// "HU" for CT; else the RescaleType unless it is "US" (unspecified); else Units
    /// (0054,1001, PET); else "stored value".
    static func units(modality: String, rescaleType: String, units: String = "") -> String {
        if modality == "CT" { return "HU" }
        if !rescaleType.isEmpty && rescaleType != "US" { return rescaleType }
        if !units.isEmpty { return units }
        return "stored value"
    }

    /// Headers of all files, in parallel; the first failure (in file order) is thrown. The
    /// first file's read also takes the cleaned patient/study attributes.
    static func readHeaders(_ files: [String]) throws(VolumeError) -> (headers: [ImageHeader], study: StudyAttributes) {
        let results = Mutex([Result<ImageHeader, VolumeError>?](repeating: nil, count: files.count))
        let study = Mutex<StudyAttributes?>(nil)
        Parallelism.forEachChunk(files.count) { range in
            for i in range {
                let r: Result<ImageHeader, VolumeError>
                do throws(VolumeError) {
                    if i == 0 {
                        let (header, attributes) = try ImageHeader.readWithStudy(path: files[i])
                        study.withLock { $0 = attributes }
                        r = .success(header)
                    } else {
                        r = .success(try ImageHeader.read(path: files[i]))
                    }
                } catch { r = .failure(error) }
                results.withLock { $0[i] = r }
            }
        }
        var headers: [ImageHeader] = []
        headers.reserveCapacity(files.count)
        for r in results.withLock({ $0 }) {
            switch r! {
            case .success(let h): headers.append(h)
            case .failure(let e): throw e
            }
        }
        return (headers, study.withLock { $0 }!)
    }

    /// A run of frames of one file decoded by one call into the bridge.
    struct DecodeTask: Sendable {
        var file: Int
        var firstFrame: Int
        var frameCount: Int
    }

    /// Splits the work: one task per single-frame file; uncompressed multi-frame files in
    /// runs of frames (each run reads only its frames from the file); compressed multi-frame
    /// files whole (frames are decoded in order to find their fragments), deflated ones too
    /// (each run would inflate the whole data set again).
    static func tasks(_ headers: [ImageHeader], threads: Int) -> [DecodeTask] {
        var tasks: [DecodeTask] = []
        for (i, h) in headers.enumerated() {
            let n = h.frames.count
            let whole = h.isEncapsulated || h.transferSyntaxUID == "1.2.840.10008.1.2.1.99"
            let run = whole ? n : max(8, (n + threads * 4 - 1) / (threads * 4))
            var f = 0
            while f < n {
                tasks.append(DecodeTask(file: i, firstFrame: f, frameCount: min(run, n - f)))
                f += run
            }
        }
        return tasks
    }

    /// Decodes every frame into its slice of one buffer, in parallel; no second copy.
    static func decode(_ headers: [ImageHeader], sliceOf: [[Int]], dimensions: Dimensions) throws(VolumeError) -> [Float] {
        let sliceSize = dimensions.sliceSize
        let work = tasks(headers, threads: Parallelism.threads)
        let failure = Mutex<(Int, VolumeError)?>(nil)
        let voxels = [Float](unsafeUninitializedCapacity: dimensions.count) { buffer, initialized in
            let out = UnsafeSendableBuffer(buffer.baseAddress!)
            Parallelism.forEachChunk(work.count) { range in
                for t in range {
                    if failure.withLock({ $0 != nil }) { return }
                    let task = work[t]
                    let h = headers[task.file]
                    let destinations: [UnsafeMutablePointer<Float>?] = (0..<task.frameCount).map { i in
                        let slice = sliceOf[task.file][task.firstFrame + i]
                        return slice < 0 ? nil : out.base + slice * sliceSize
                    }
                    do throws(DICOMError) {
                        try withDCMTK {
                            destinations.withUnsafeBufferPointer { d in
                                dk_image_decode_frames(h.path, UInt32(task.firstFrame), UInt32(task.frameCount),
                                                       d.baseAddress, sliceSize)
                            }
                        }
                    } catch {
                        let error = VolumeError(.unreadable, "\(h.path): \(error.description)")
                        failure.withLock { if $0 == nil || $0!.0 > t { $0 = (t, error) } }
                    }
                }
            }
            // Float needs no deinitialisation; on failure the array is dropped unread.
            initialized = dimensions.count
        }
        if let (_, error) = failure.withLock({ $0 }) { throw error }
        return voxels
    }
}

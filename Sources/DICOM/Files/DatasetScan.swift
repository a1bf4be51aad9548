import CDcmtk

/// The bounded pre-scan that runs before DCMTK parses a file: one non-recursive walk of the
/// element stream that refuses what could exhaust the parser or could not be a loadable
/// instance (nesting, element and item counts, lengths past the end, undefined lengths where
/// PS3.5 does not allow them, incomplete Pixel Data, and — when asked — identifying UIDs too
/// long to keep as an identity). It reports the identifying UIDs as stored (the instance's
/// identity, DESIGN §6: non-conformant ones are stored, not refused). The storage SCP runs it
/// on every received dataset; `FileInfo.read` and the volume loader run it before every parse.
public enum DatasetScan {
    /// Limits of a scan. The defaults are those of the storage SCP.
    public struct Limits: Sendable, Equatable {
        /// Sequence nesting levels.
        public var maxDepth: Int = 32
        /// Data elements at all levels (file meta included).
        public var maxElements: Int = 1_000_000
        /// Sequence items and encapsulated pixel fragments.
        public var maxItems: Int = 250_000
        /// Inflated size of a deflated dataset.
        public var maxInflatedBytes: Int = 1 << 30
        /// SOP Class/Instance, Study and Series Instance UID must fit an identity (at most 128
        /// characters as `Report.sopInstanceUID` shows them); nothing else about them is refused.
        public var checkUIDs: Bool = false

        public init(maxDepth: Int = 32, maxElements: Int = 1_000_000, maxItems: Int = 250_000,
                    maxInflatedBytes: Int = 1 << 30, checkUIDs: Bool = false) {
            self.maxDepth = maxDepth
            self.maxElements = maxElements
            self.maxItems = maxItems
            self.maxInflatedBytes = maxInflatedBytes
            self.checkUIDs = checkUIDs
        }
    }

    /// The rule a refused file broke.
    public enum Problem: Int32, Sendable, Equatable {
        case depth = 1, elements, items, inflated, truncated, undefinedLength, malformed, uid, pixelData
    }

    /// What a scan found.
    public struct Report: Sendable, Equatable {
        /// nil: the file may be parsed.
        public var problem: Problem?
        /// The C-STORE failure status for `problem` (C000 or A900), nil when there is none.
        public var status: DIMSEStatus?
        /// What broke and where ("" when nothing did).
        public var reason: String
        public var transferSyntaxUID: String
        public var elements: Int
        public var items: Int
        /// Deepest sequence nesting seen.
        public var depth: Int
        /// Where the dataset starts (after preamble and file meta).
        public var datasetOffset: Int
        /// The identifying UIDs as stored, trailing NUL/space padding dropped, bytes outside
        /// printable ASCII (and `%`, `\\`) as %XX; "" when absent.
        public var sopClassUID: String
        public var sopInstanceUID: String
        public var studyInstanceUID: String
        public var seriesInstanceUID: String
    }

    /// Scans a file. Throws only when the file cannot be read; a refusal is in the report.
    public static func scan(path: String, limits: Limits = Limits()) throws(DICOMError) -> Report {
        var report = dk_scan_report()
        var options = limits.bridged
        try withDCMTK("cannot scan \(path)", kind: .invalidInput) { dk_scan_file(path, &options, &report) }
        return Report(report)
    }

    /// Scans bytes in memory (a Part 10 file or a raw dataset).
    public static func scan(bytes: [UInt8], limits: Limits = Limits()) throws(DICOMError) -> Report {
        var report = dk_scan_report()
        var options = limits.bridged
        try withDCMTK("cannot scan", kind: .invalidInput) {
            bytes.withUnsafeBufferPointer { dk_scan_buffer($0.baseAddress, $0.count, &options, &report) }
        }
        return Report(report)
    }
}

extension DatasetScan.Limits {
    var bridged: dk_scan_options {
        dk_scan_options(max_depth: UInt32(clamping: max(1, maxDepth)), max_elements: UInt64(max(1, maxElements)),
                        max_items: UInt64(max(1, maxItems)), max_inflated_bytes: UInt64(max(1, maxInflatedBytes)),
                        check_uids: checkUIDs ? 1 : 0)
    }
}

extension DatasetScan.Report {
    init(_ r: dk_scan_report) {
        problem = DatasetScan.Problem(rawValue: r.problem)
        status = r.dimse_status == 0 ? nil : DIMSEStatus(rawValue: r.dimse_status)
        reason = string(fromCString: r.reason)
        transferSyntaxUID = string(fromCString: r.transfer_syntax_uid)
        elements = Int(r.elements)
        items = Int(r.items)
        depth = Int(r.depth)
        datasetOffset = Int(r.dataset_offset)
        sopClassUID = string(fromCString: r.sop_class_uid)
        sopInstanceUID = string(fromCString: r.sop_instance_uid)
        studyInstanceUID = string(fromCString: r.study_instance_uid)
        seriesInstanceUID = string(fromCString: r.series_instance_uid)
    }
}

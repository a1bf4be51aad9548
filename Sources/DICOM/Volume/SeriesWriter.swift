import CDcmtk
import Dispatch
import Foundation
import Imaging

/// Patient, study and series attributes of a series written from a volume.
public struct SeriesAttributes: Sendable {
    public var patientName: String
    public var patientID: String
    public var patientBirthDate = ""
    public var patientSex = ""
    public var studyInstanceUID: String
    public var studyDate: String
    public var studyTime: String
    public var studyID = "1"
    public var accessionNumber = ""
    public var studyDescription = ""
    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var seriesDescription: String
    /// "CT" or "MR" (decides the SOP class: CT / MR Image Storage).
    public var modality: String
    public var bodyPart = ""
    public var frameOfReferenceUID: String
    public var imageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    public var contrastAgent = ""
    /// Written as RescaleType for non-CT maps (e.g. "10-6 mm2/s", "s"); CT is always HU.
    public var units = ""

    public init(patientName: String, patientID: String, studyInstanceUID: String, studyDate: String,
                studyTime: String, seriesInstanceUID: String, seriesNumber: Int, seriesDescription: String,
                modality: String, frameOfReferenceUID: String) {
        self.patientName = patientName
        self.patientID = patientID
        self.studyInstanceUID = studyInstanceUID
        self.studyDate = studyDate
        self.studyTime = studyTime
        self.seriesInstanceUID = seriesInstanceUID
        self.seriesNumber = seriesNumber
        self.seriesDescription = seriesDescription
        self.modality = modality
        self.frameOfReferenceUID = frameOfReferenceUID
    }
}

/// Writes a `Volume<Float>` as a single-frame CT or MR series, one file per slice, through
/// DCMTK: geometry from the volume (ImagePositionPatient per slice, ImageOrientationPatient,
/// PixelSpacing, SliceThickness), values stored as signed 16-bit with a RescaleSlope chosen so
/// the range fits (1 for CT: integer HU), SOP instance UIDs derived from the series UID.
public enum SeriesWriter {
    /// The RescaleSlope that stores `range` in Int16 with the most precision (a power of ten,
    /// at most 1 for CT).
    public static func slope(for values: [Float], modality: String) -> Double {
        if modality == "CT" { return 1 }
        let peak = Double(values.reduce(Float(0)) { max($0, abs($1)) })
        for s in [0.001, 0.01, 0.1, 1.0, 10.0, 100.0] where peak / s <= 32000 { return s }
        return 1000
    }

    /// Writes `<dir>/<0001…>.dcm` and returns the file paths in slice order.
    public static func write(_ v: Volume<Float>, attributes a: SeriesAttributes, to dir: URL) throws(DICOMError) -> [String] {
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw DICOMError(.invalidInput, "cannot create \(dir.path): \(error.localizedDescription)")
        }
        let d = v.dimensions, g = v.geometry
        let sopClass = a.modality == "MR" ? UID.mrImageStorage : UID.ctImageStorage
        let slope = slope(for: v.voxels, modality: a.modality)
        let digits = max(4, String(d.slices).count)
        let paths = (0..<d.slices).map { dir.appendingPathComponent(String(format: "%0\(digits)d.dcm", $0 + 1)).path }
        let failures = FailureBox()
        let orientation = [g.columnDirection.x, g.columnDirection.y, g.columnDirection.z,
                            g.rowDirection.x, g.rowDirection.y, g.rowDirection.z].map(ds).joined(separator: "\\")
        var common: [(UInt16, UInt16, String)] = [
            (0x0008, 0x0008, a.imageType.joined(separator: "\\")), (0x0008, 0x0016, sopClass),
            (0x0008, 0x0020, a.studyDate), (0x0008, 0x0030, a.studyTime), (0x0008, 0x0050, a.accessionNumber),
            (0x0008, 0x0060, a.modality), (0x0008, 0x0070, "AutoSeg"), (0x0008, 0x0090, ""),
            (0x0008, 0x1030, a.studyDescription), (0x0008, 0x103E, a.seriesDescription),
            (0x0010, 0x0010, a.patientName), (0x0010, 0x0020, a.patientID), (0x0010, 0x0030, a.patientBirthDate),
            (0x0010, 0x0040, a.patientSex), (0x0018, 0x0015, a.bodyPart), (0x0018, 0x0050, ds(g.spacing.slice)),
            (0x0018, 0x5100, "HFS"), (0x0020, 0x000D, a.studyInstanceUID), (0x0020, 0x000E, a.seriesInstanceUID),
            (0x0020, 0x0010, a.studyID), (0x0020, 0x0011, String(a.seriesNumber)), (0x0020, 0x0012, "1"),
            (0x0020, 0x0037, orientation), (0x0020, 0x0052, a.frameOfReferenceUID), (0x0020, 0x1040, ""),
            (0x0028, 0x0030, "\(ds(g.spacing.row))\\\(ds(g.spacing.column))"),
            (0x0028, 0x1052, "0"), (0x0028, 0x1053, ds(slope)),
        ]
        if !a.contrastAgent.isEmpty { common.append((0x0018, 0x0010, a.contrastAgent)) }
        if a.modality == "CT" {
            common += [(0x0018, 0x0060, "120"), (0x0028, 0x1054, "HU")]
        } else {
            common += [(0x0018, 0x0020, "EP"), (0x0018, 0x0021, "NONE"), (0x0018, 0x0022, ""),
                       (0x0018, 0x0023, "2D"), (0x0018, 0x0080, "5000"), (0x0018, 0x0081, "80"),
                       (0x0018, 0x0091, "1")]
            if !a.units.isEmpty { common.append((0x0028, 0x1054, a.units)) }
        }
        let shared = common
        DispatchQueue.concurrentPerform(iterations: d.slices) { s in
            let p = g.point(slice: Double(s), row: 0, column: 0)
            var attrs = shared + [
                (0x0008, 0x0018, UID.derived(a.seriesInstanceUID, "instance", String(s + 1))),
                (0x0020, 0x0013, String(s + 1)),
                (0x0020, 0x0032, [p.x, p.y, p.z].map(ds).joined(separator: "\\")),
                (0x0020, 0x1041, ds((p * g.sliceDirection).sum())),
            ]
            attrs.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            var pixels = [Int16](repeating: 0, count: d.sliceSize)
            let base = s * d.sliceSize
            for i in 0..<d.sliceSize {
                let q = (Double(v.voxels[base + i]) / slope).rounded()
                pixels[i] = Int16(max(-32768, min(32767, q)))
            }
            do throws(DICOMError) {
                try withDCMTK(paths[s], kind: .invalidInput) {
                    withCStrings(attrs.map(\.2)) { values in
                        let list = (0..<attrs.count).map { dk_attribute(group: attrs[$0].0, element: attrs[$0].1, value: values[$0]) }
                        return dk_write_image16(paths[s], list, list.count, pixels, UInt16(d.rows), UInt16(d.columns))
                    }
                }
            } catch {
                failures.set(error)
            }
        }
        if let e = failures.first { throw e }
        return paths
    }
}

/// A decimal string (DS) of at most 16 characters for `x`.
private func ds(_ x: Double) -> String {
    var s = String(format: "%.6f", x)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    if s == "-0" { s = "0" }
    return s.count <= 16 ? s : String(format: "%.9g", x)
}

/// Calls `body` with C strings for `strings`, valid during the call.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>]) -> R) -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}

private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: DICOMError?
    func set(_ e: DICOMError) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    var first: DICOMError? { lock.lock(); defer { lock.unlock() }; return error }
}

import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms
import Pipeline

/// Writes a phantom as DICOM series plus its truth (`autoseg phantom`, DESIGN §3):
/// `<dir>/<folder>/0001.dcm…` per series (folder `ct`, `adc`, `dwi`, `rcbf`, `tmax`), `truth.json` and
/// `truth.nii` (labels on the same grid). UIDs derive from kind, seed and size, so the same
/// command writes the same files.
public enum PhantomWriter {
    public static func folder(for role: InputRole, modality: String) -> String {
        switch role {
        case .image: modality.lowercased()
        case .adc: "adc"
        case .rcbf: "rcbf"
        case .tmax: "tmax"
        case .dwi: "dwi"
        }
    }

    /// Why `dir` cannot take a phantom.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes `dir` ready for a phantom: it may be missing or empty, or hold an earlier phantom
    /// (a `truth.json`), whose series folders and truth files are removed so that no stale
    /// slice or series of it survives. Anything else is refused (nothing is deleted).
    public static func prepare(_ dir: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw Refusal(description: "\(dir.path) is a file, not a folder") }
        let names = try fm.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }
        if names.isEmpty { return }
        let truthURL = dir.appendingPathComponent("truth.json")
        guard let data = try? Data(contentsOf: truthURL),
              let old = try? JSONDecoder().decode(TruthDocument.self, from: data) else {
            throw Refusal(description: "\(dir.path) is not empty and holds no earlier phantom (truth.json); "
                          + "give an empty or new folder")
        }
        for s in old.series where !s.folder.isEmpty && !s.folder.contains("/") && !s.folder.hasPrefix(".") {
            let folder = dir.appendingPathComponent(s.folder)
            let files = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
            for f in files where f.hasSuffix(".dcm") && Int(f.dropLast(4)) != nil {
                try fm.removeItem(at: folder.appendingPathComponent(f))
            }
            if (try? fm.contentsOfDirectory(atPath: folder.path))?.isEmpty == true { try? fm.removeItem(at: folder) }
        }
        try? fm.removeItem(at: dir.appendingPathComponent("truth.nii"))
        try fm.removeItem(at: truthURL)
    }

    @discardableResult
    public static func write(_ p: Phantom, size: Int, to dir: URL) throws -> TruthDocument {
        let study = UID.derived("autoseg-phantom", p.kind.rawValue, String(p.seed), String(size))
        let frame = UID.derived(study, "frame-of-reference")
        var series: [TruthDocument.Series] = []
        for (i, s) in p.series.enumerated() {
            let folder = folder(for: s.role, modality: s.info.modality)
            let uid = UID.derived(study, "series", folder)
            var a = SeriesAttributes(
                patientName: "PHANTOM^\(p.kind.rawValue.uppercased())^\(p.seed)",
                patientID: "PH-\(p.kind.rawValue.uppercased())-\(p.seed)", studyInstanceUID: study,
                studyDate: "20260101", studyTime: "120000", seriesInstanceUID: uid, seriesNumber: i + 1,
                seriesDescription: s.info.seriesDescription, modality: s.info.modality, frameOfReferenceUID: frame)
            a.studyDescription = "AutoSeg phantom \(p.kind.rawValue) seed \(p.seed)"
            a.accessionNumber = "PH\(p.seed)"
            a.bodyPart = s.info.bodyPart
            if !s.info.imageType.isEmpty { a.imageType = s.info.imageType }
            a.contrastAgent = s.info.contrastAgent
            a.units = s.info.units
            try SeriesWriter.write(s.volume, attributes: a, to: dir.appendingPathComponent(folder))
            series.append(.init(role: s.role, seriesInstanceUID: uid, modality: s.info.modality,
                                description: s.info.seriesDescription, folder: folder))
        }
        let d = p.labels.dimensions, sp = p.labels.spacing
        let truth = TruthDocument(kind: p.kind, seed: p.seed, size: size, studyInstanceUID: study, series: series,
                                  dimensions: [d.slices, d.rows, d.columns], spacingMM: [sp.slice, sp.row, sp.column],
                                  lesions: p.lesions, volumesML: p.caseVolumesML)
        try writeJSON(truth, to: dir.appendingPathComponent("truth.json"))
        try NIfTI.write(p.labels, to: dir.appendingPathComponent("truth.nii"),
                        description: "AutoSeg phantom \(p.kind.rawValue) seed \(p.seed) truth labels")
        return truth
    }
}

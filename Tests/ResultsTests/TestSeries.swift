import Analysis
import DICOM
import Foundation
import Imaging
@testable import Results

/// A tiny CT series written to a temp folder and loaded back, with hand-made masks: a box
/// "organ" holding spheres (findings). Rows ≠ columns, anisotropic spacing, optionally
/// oblique and feet-first, so that row/column or slice-order mix-ups show.
struct TestSeries {
    var dir: URL
    var files: [String]
    var loaded: LoadedVolume

    static let dimensions = Dimensions(slices: 10, rows: 40, columns: 48)

    static func make(oblique: Bool = false, feetFirst: Bool = false, dirty: Bool = false,
                     studyUID: String = UID.derived("results-tests", "study")) throws -> TestSeries {
        try DICOMToolkit.initialize()
        let d = dimensions
        var g = Geometry(origin: [-20, -18, -30], spacing: Spacing(slice: 2.5, row: 0.8, column: 0.7))
        if oblique {
            let a = 0.3
            g.rowDirection = [0, cos(a), sin(a)]
            g.sliceDirection = [0, -sin(a), cos(a)]
        }
        var v = Volume<Float>(dimensions: d, geometry: g, repeating: -1000)
        for s in 0..<d.slices {
            for r in 4..<36 {
                for c in 4..<44 { v[s, r, c] = (r + c + s) % 7 == 0 ? 60 : 40 }
            }
        }
        if feetFirst {
            var flipped = v
            for s in 0..<d.slices {
                for i in 0..<d.sliceSize { flipped.voxels[s * d.sliceSize + i] = v.voxels[(d.slices - 1 - s) * d.sliceSize + i] }
            }
            flipped.geometry.origin = g.point(slice: Double(d.slices - 1), row: 0, column: 0)
            flipped.geometry.sliceDirection = -g.sliceDirection
            v = flipped
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("results-tests-\(UUID().uuidString)")
        var a = SeriesAttributes(patientName: "TEST^RESULTS", patientID: "RT-1", studyInstanceUID: studyUID,
                                 studyDate: "20260102", studyTime: "101500",
                                 seriesInstanceUID: UID.derived(studyUID, "series", oblique ? "oblique" : "axial",
                                                                feetFirst ? "ff" : "hf"),
                                 seriesNumber: 4, seriesDescription: "CHEST TEST", modality: "CT",
                                 frameOfReferenceUID: UID.derived(studyUID, "for"))
        a.patientBirthDate = dirty ? "2001-02-03" : "20010203"
        a.patientSex = dirty ? "MALE" : "M"
        a.studyDescription = dirty ? String(repeating: "x", count: 65) : "RESULTS TEST"
        let files = try SeriesWriter.write(v, attributes: a, to: dir.appendingPathComponent("source"))
        let loaded = try VolumeLoader.load(files: files.reversed())
        return TestSeries(dir: dir, files: files, loaded: loaded)
    }

    /// A sphere of radius `r` voxels (in index units) around (s, r, c) on the loaded grid.
    func sphere(_ center: (Int, Int, Int), radius: Double) -> RegionMask {
        var m = Mask(dimensions: loaded.volume.dimensions, geometry: loaded.volume.geometry, repeating: 0)
        let d = m.dimensions
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let e = Double((s - center.0) * (s - center.0) * 9 + (r - center.1) * (r - center.1)
                                   + (c - center.2) * (c - center.2))
                    if e <= radius * radius { m[s, r, c] = 1 }
                }
            }
        }
        return RegionMask(full: m)!
    }

    var organ: RegionMask {
        var m = Mask(dimensions: loaded.volume.dimensions, geometry: loaded.volume.geometry, repeating: 0)
        for s in 1..<9 { for r in 6..<34 { for c in 6..<42 { m[s, r, c] = 1 } } }
        return RegionMask(full: m)!
    }

    /// A lung-like result with `count` findings (0…3).
    func result(findings count: Int, organ withOrgan: Bool = true) -> AnalysisResult {
        let centres = [(3, 12, 14), (5, 25, 30), (7, 18, 38)]
        let findings = (0..<count).map { i in
            Finding(number: i + 1, kind: .nodule, category: ["solid", "ground-glass", "part-solid"][i], mask: sphere(centres[i], radius: 4),
                    centroidMM: loaded.volume.geometry.point(slice: Double(centres[i].0), row: Double(centres[i].1),
                                                             column: Double(centres[i].2)),
                    laterality: i == 0 ? .right : .left, site: "test zone \(i + 1)",
                    measurements: [Measurement(.volume, 0.123 * Double(i + 1), "mL"), Measurement(.equivalentDiameter, 6.5, "mm"),
                                   Measurement(.meanHU, 41.25, "[hnsf'U]"), Measurement(.sdHU, 7.5, "[hnsf'U]"),
                                   Measurement(.distanceToPleura, 3.25, "mm")],
                    assessments: [Assessment(.lungRADS, "3")],
                    confidence: 0.8, reason: "test finding \(i + 1)")
        }
        return AnalysisResult(analyzer: .lung, version: "9.9.9", seriesInstanceUID: loaded.seriesInstanceUID,
                              geometry: loaded.volume.geometry, dimensions: loaded.volume.dimensions, organName: "lung",
                              organ: withOrgan ? organ : nil, findings: findings,
                              caseMeasurements: [Measurement(.lungVolume, 4.2, "mL")], notes: ["test note"])
    }

    func write(_ result: AnalysisResult, to name: String = "results", keyImages: Bool = true) throws -> [WrittenObject] {
        try ResultWriter.write(result: result, source: loaded,
                               outputDirectory: dir.appendingPathComponent(name),
                               options: ResultOptions(keyImages: keyImages))
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// Runs /usr/bin/dciodvfy (Debian dicom3tools) on `path`: (errors, warnings) lines.
func dciodvfy(_ path: String) throws -> (errors: [String], warnings: [String]) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/dciodvfy")
    p.arguments = [path]
    let pipe = Pipe()
    p.standardError = pipe
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    return (lines.filter { $0.hasPrefix("Error") }, lines.filter { $0.hasPrefix("Warning") })
}

/// The standard output and error of `tool arguments`.
func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardError = pipe
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

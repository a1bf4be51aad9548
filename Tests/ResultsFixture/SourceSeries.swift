import Analysis
import DICOM
import Foundation
import Imaging
import Phantoms

/// Writes a phantom series as DICOM in a chosen geometry and slice order, loads it back the
/// way the node does (files in any order), and maps the phantom's truth labels onto the
/// loaded grid.
struct SourceSeries {
    enum Layout: String { case axial, oblique, anisotropic }
    enum Order: String { case headFirst = "head-first", feetFirst = "feet-first" }

    var files: [String]
    var loaded: LoadedVolume
    /// Truth labels on the loaded grid.
    var labels: Volume<UInt16>
    var studyUID: String

    static func write(phantom p: Phantom, series s: PhantomSeries, layout: Layout, order: Order, shuffle: Bool,
                      dirty: Bool, caseName: String, seriesNumber: Int = 3, to dir: URL) throws -> SourceSeries {
        let n = s.volume.dimensions.slices
        var g = s.volume.geometry
        switch layout {
        case .axial: break
        case .anisotropic: g.spacing = Spacing(slice: 3.0, row: 0.6, column: 0.9)
        case .oblique:
            let a = 20.0 * Double.pi / 180, b = 15.0 * Double.pi / 180
            func rotate(_ v: SIMD3<Double>) -> SIMD3<Double> {
                let x = SIMD3(v.x, cos(a) * v.y - sin(a) * v.z, sin(a) * v.y + cos(a) * v.z)
                return SIMD3(cos(b) * x.x - sin(b) * x.y, sin(b) * x.x + cos(b) * x.y, x.z)
            }
            g.columnDirection = rotate(g.columnDirection)
            g.rowDirection = rotate(g.rowDirection)
            g.sliceDirection = rotate(g.sliceDirection)
        }
        // Written slice w shows phantom slice phantomSlice[w].
        var written = Volume(dimensions: s.volume.dimensions, geometry: g, voxels: s.volume.voxels)
        var phantomSlice = Array(0..<n)
        if order == .feetFirst {
            let size = s.volume.dimensions.sliceSize
            var voxels = [Float](repeating: 0, count: s.volume.voxels.count)
            for w in 0..<n {
                voxels[(w * size)..<((w + 1) * size)] = s.volume.voxels[((n - 1 - w) * size)..<((n - w) * size)]
            }
            written.voxels = voxels
            written.geometry.origin = g.point(slice: Double(n - 1), row: 0, column: 0)
            written.geometry.sliceDirection = -g.sliceDirection
            phantomSlice.reverse()
        }
        let study = UID.derived("results-fixture", caseName)
        var a = SeriesAttributes(
            patientName: "PHANTOM^\(p.kind.rawValue.uppercased())^\(p.seed)", patientID: "RF-\(p.kind.rawValue)-\(p.seed)",
            studyInstanceUID: study, studyDate: "20260101", studyTime: "120000",
            seriesInstanceUID: UID.derived(study, "source", String(seriesNumber)), seriesNumber: seriesNumber,
            seriesDescription: s.info.seriesDescription, modality: s.info.modality,
            frameOfReferenceUID: UID.derived(study, "frame-of-reference"))
        a.studyDescription = String("fixture \(caseName)".prefix(64))
        a.accessionNumber = "RF\(p.seed)"
        a.bodyPart = s.info.bodyPart
        a.units = s.info.units
        a.contrastAgent = s.info.contrastAgent
        if !s.info.imageType.isEmpty { a.imageType = s.info.imageType }
        if dirty {
            a.patientBirthDate = "19711332"  // month 13: not a date
            a.patientSex = "X"               // not M, F or O
            a.studyDescription = String(repeating: "too long ", count: 9)  // 81 > 64 characters of LO
        } else {
            a.patientBirthDate = "19710203"
            a.patientSex = "F"
        }
        let ordered = try SeriesWriter.write(written, attributes: a, to: dir)
        var files = ordered
        if shuffle {
            var rng = SplitMix64(state: p.seed).derived(99)
            for i in stride(from: files.count - 1, to: 0, by: -1) {
                files.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
        }
        let loaded = try VolumeLoader.load(files: files)
        let index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        var labels = Volume<UInt16>(dimensions: loaded.volume.dimensions, geometry: loaded.volume.geometry, repeating: 0)
        let size = labels.dimensions.sliceSize
        for (s, source) in loaded.sources.enumerated() {
            let ps = phantomSlice[index[source.path]!]
            labels.voxels[(s * size)..<((s + 1) * size)] = p.labels.voxels[(ps * size)..<((ps + 1) * size)]
        }
        return SourceSeries(files: files, loaded: loaded, labels: labels, studyUID: study)
    }
}

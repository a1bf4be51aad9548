import Analysis
import ArgumentParser
import DICOM
import Foundation
import Phantoms
import Pipeline

extension AnalyzerKind: ExpressibleByArgument {}

struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Write a synthetic DICOM series with known truth (truth.json, truth.nii).",
        discussion: """
            Writes DIR/<ct|adc|rcbf|tmax>/NNNN.dcm (one folder per series), DIR/truth.json (every lesion: \
            centre in patient mm, diameters, volume, type) and DIR/truth.nii (labels on the same grid). The \
            same kind, seed and size write the same files and UIDs. DIR must be new, empty, or hold an \
            earlier phantom (which is replaced).
            """)

    @Argument(help: "Which phantom: lung (chest CT), liver (abdominal CT), infarct (MR ADC + CT perfusion maps).")
    var kind: AnalyzerKind
    @Option(help: "Output folder.") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Matrix size in voxels, 32…1024 (default: lung and liver 512, infarct 256).") var size: Int?

    static func defaultSize(_ kind: AnalyzerKind) -> Int { kind == .infarct ? 256 : 512 }

    func validate() throws {
        if let size, !(32...1024).contains(size) { throw ValidationError("--size must be in 32…1024 (got \(size))") }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder") }
    }

    func run() throws {
        let size = size ?? Self.defaultSize(kind)
        let dir = URL(fileURLWithPath: out)
        do { try DICOMToolkit.initialize() } catch { fail("\(error)", code: 1) }
        do {
            try PhantomWriter.prepare(dir)
        } catch let refusal as PhantomWriter.Refusal {
            fail("--out: \(refusal)", code: 2)
        } catch {
            fail("cannot prepare \(dir.path): \(error.localizedDescription)", code: 1)
        }
        let start = Date()
        let phantom: Phantom
        switch kind {
        case .lung: phantom = LungPhantom.make(seed: seed, size: size)
        case .liver: phantom = LiverPhantom.make(seed: seed, size: size)
        case .infarct: phantom = InfarctPhantom.make(seed: seed, size: size)
        }
        let made = Date().timeIntervalSince(start)
        let truth: TruthDocument
        do {
            truth = try PhantomWriter.write(phantom, size: size, to: dir)
        } catch {
            fail("cannot write the phantom into \(dir.path): \(error)", code: 1)
        }
        let total = Date().timeIntervalSince(start)
        let d = truth.dimensions, sp = truth.spacingMM
        print("\(kind.rawValue) phantom, seed \(seed), size \(size): \(d[0])×\(d[1])×\(d[2]) voxels "
              + String(format: "(%.2f×%.2f×%.2f mm)", sp[0], sp[1], sp[2]) + ", study \(truth.studyInstanceUID)")
        for s in truth.series {
            let folder = dir.appendingPathComponent(s.folder)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".dcm") }
            print("  \(folder.path)/  \(files.count) files  \(s.modality) \"\(s.description)\"  series \(s.seriesInstanceUID)")
        }
        let targets = truth.lesions.filter(\.target).count
        print("  \(dir.appendingPathComponent("truth.json").path)  \(truth.lesions.count) lesion(s), \(targets) target(s)"
              + (truth.volumesML.isEmpty ? "" : "; " + truth.volumesML.keys.sorted().map {
                  "\($0) \(String(format: "%.1f", truth.volumesML[$0]!)) mL" }.joined(separator: ", ")))
        print("  \(dir.appendingPathComponent("truth.nii").path)  labels 0…\(truth.lesions.map(\.label).max() ?? 0)")
        FileHandle.standardError.write(Data(String(format: "made in %.2f s, written in %.2f s\n", made, total - made).utf8))
    }
}

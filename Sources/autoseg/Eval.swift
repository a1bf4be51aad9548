import Analysis
import ArgumentParser
import Foundation
import Pipeline

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score `autoseg run` output against phantom truth: detection, sensitivity, FP per scan, Dice, volume error.",
        discussion: """
            Finds every truth.json (+ truth.nii) under --truth and every findings.json (+ labels.nii) under \
            --pred, pairs them by source series and scores each pair. A truth no prediction refers to is \
            scored as all lesions missed; when no prediction pairs with any truth there is nothing to score. Reader truth (LIDC): --min-readers N makes only lesions marked by \
            at least N readers targets; a prediction on a reader's small mark (nodule < 3 mm, non-nodule) is \
            neither a true nor a false positive and is listed apart. Exit 0 when scored, 1 when there is nothing to score (no truth, no \
            prediction, or none paired) or a file cannot be read, 2 on bad usage.
            """)

    @Option(help: "Folder with phantom truth (`autoseg phantom` output), searched recursively.") var truth: String
    @Option(help: "Folder with predictions (`autoseg run` output), searched recursively.") var pred: String
    @Option(help: "Of reader truth (LIDC): only lesions marked by at least N readers are targets; the others are neither missed nor false positives.")
    var minReaders: Int = 1
    @Flag(help: "Print the scores as JSON on stdout instead of a table.") var json = false

    func validate() throws {
        guard minReaders >= 1 else { throw ValidationError("--min-readers: must be at least 1") }
        for (flag, path) in [("--truth", truth), ("--pred", pred)] {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ValidationError("\(flag): no such folder: \(path)")
            }
            guard isDir.boolValue else { throw ValidationError("\(flag): not a folder: \(path)") }
        }
    }

    func run() throws {
        let report: EvalRun.Report
        do {
            report = try EvalRun.run(truth: URL(fileURLWithPath: truth), predictions: URL(fileURLWithPath: pred),
                                     minReaders: minReaders)
        } catch let failure as EvalRun.Failure {
            fail("nothing to score: \(failure)", code: 1)
        } catch {
            fail("\(error)", code: 1)
        }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do {
                print(String(decoding: try e.encode(report), as: UTF8.self))
            } catch {
                fail("cannot encode the report: \(error)", code: 1)
            }
            return
        }
        print("cases:")
        for c in report.cases {
            let targets = c.lesions.filter(\.target)
            print("  \(c.name): \(targets.filter(\.detected).count) / \(targets.count) target lesion(s) detected, "
                  + "\(c.falsePositives.count) false positive(s)"
                  + (c.onSmallMarks.isEmpty ? "" : " (+\(c.onSmallMarks.count) on readers' small marks, not counted)")
                  + ", case Dice \(String(format: "%.3f", c.caseDice))"
                  + c.volumes.map { v in
                      String(format: "; %@ %.1f mL (truth %.1f)", v.name, v.predictedML, v.truthML)
                  }.joined())
        }
        for (group, s) in zip(report.groups, report.summaries) {
            // The table names the analyzer; name the group (infarct-adc, infarct-ctp) instead.
            let lines = s.table.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            print("\n\(group): \(s.cases) case(s)\n" + lines.joined(separator: "\n"))
        }
        if !report.unmatchedTruths.isEmpty {
            print("\ntruths with no prediction (scored as all missed):")
            for t in report.unmatchedTruths { print("  \(t)") }
        }
        if !report.unmatchedPredictions.isEmpty {
            print("\npredictions that match no truth (not scored):")
            for p in report.unmatchedPredictions { print("  \(p)") }
        }
    }
}

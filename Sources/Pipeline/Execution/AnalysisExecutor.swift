import Analysis
import DICOM
import Dispatch
import Foundation
import Results

/// Execution on the one analysis path, for the node and for `autoseg run` alike: load every
/// input series (keeping the loader's warnings), analyze, and write the DICOM results (SEG,
/// SR, key images) into a folder, timing each stage. Never throws: every failure is the
/// outcome's status and reason. Each stage runs on all cores; the caller adds durability
/// (the node) or files and printing (the CLI).
public struct AnalysisExecutor: Sendable {
    public var resultOptions: ResultOptions

    public init(resultOptions: ResultOptions = ResultOptions()) {
        self.resultOptions = resultOptions
    }

    /// Runs `plan`, writing its results into `directory` (created if needed).
    public func run(_ plan: PlannedAnalysis, resultsInto directory: URL,
                    events: (AnalysisEvent) -> Void = { _ in }) -> AnalysisOutcome {
        var outcome = AnalysisOutcome(analyzer: plan.analyzer, seriesInstanceUID: plan.primary.seriesInstanceUID)
        func end(_ status: AnalysisOutcome.Status, _ stage: AnalysisOutcome.Stage, _ reason: String, _ seconds: Double) {
            outcome.end(status, in: stage, reason)
            events(.ended(stage: stage, status: status, reason: reason, seconds: seconds))
        }

        // Load.
        let t0 = now()
        var inputs: [InputSeries] = [], primary: LoadedVolume?
        for s in plan.series {
            let t = now()
            do throws(VolumeError) {
                var loaded: LoadedVolume
                var chosenB: Double?
                if s.role == .dwi && plan.series.count == 1 {
                    // A DWI series without its ADC map: the ADC computed from its b0 images, if it has any.
                    let (trace, b, adc, note) = try DiffusionLoad.loadWithADC(files: s.files)
                    loaded = trace
                    chosenB = b
                    loaded.warnings.insert(note, at: 0)
                    if let adc {
                        var info = s.info(units: loaded.units, measuredPhase: false, loaded: loaded)
                        info.imageType = ["DERIVED", "SECONDARY", "ADC", InfarctCore.computedADCMarker]
                        info.units = "10-6 mm2/s"
                        inputs.append(InputSeries(role: .adc, info: info, volume: adc))
                    }
                } else if s.role == .dwi {
                    let (volume, b, note) = try DiffusionLoad.load(files: s.files)
                    loaded = volume
                    chosenB = b
                    if let note { loaded.warnings.insert(note, at: 0) }
                } else {
                    loaded = try VolumeLoader.load(files: s.files)
                }
                outcome.warnings += loaded.warnings.map { "\(s.seriesInstanceUID): \($0)" }
                events(.loaded(series: s.seriesInstanceUID, slices: loaded.volume.dimensions.slices,
                               warnings: loaded.warnings, seconds: now() - t))
                if primary == nil { primary = loaded }
                // Only the liver analyzer checks the contrast phase: the others need no preflight here.
                var info = s.info(units: loaded.units, measuredPhase: plan.analyzer == .liver, loaded: loaded)
                if let chosenB { info.diffusionBValue = chosenB }
                inputs.append(InputSeries(role: s.role, info: info, volume: loaded.volume))
            } catch where s.role == .dwi && primary != nil {
                // The DWI only sharpens the ADC map's core: without it the ADC map is read alone.
                let why = "DWI trace not used, the ADC map is read alone: \(error)"
                outcome.warnings.append("\(s.seriesInstanceUID): \(why)")
                events(.loaded(series: s.seriesInstanceUID, slices: 0, warnings: [why], seconds: now() - t))
            } catch {
                outcome.loadSeconds = now() - t0
                // Too few slices for a volume is the series' nature, not a fault: a refusal.
                let status: AnalysisOutcome.Status = error.code == .tooFewSlices ? .refused : .failed
                end(status, .load, "cannot load series \(s.seriesInstanceUID): \(error)", outcome.loadSeconds)
                return outcome
            }
        }
        outcome.loadSeconds = now() - t0
        guard let primary else {
            end(.failed, .load, "no input series", 0)
            return outcome
        }
        outcome.geometry = primary.volume.geometry

        // Analyze.
        let t1 = now()
        let result: AnalysisResult
        do throws(AnalysisError) {
            result = try plan.analyzer.makeAnalyzer().analyzeInStoredOrder(AnalysisInput(series: inputs))
        } catch {
            outcome.analyzeSeconds = now() - t1
            switch error {
            case .refused(let why): end(.refused, .analyze, why, outcome.analyzeSeconds)
            case .failed(let why): end(.failed, .analyze, why, outcome.analyzeSeconds)
            }
            return outcome
        }
        inputs = []
        outcome.analyzeSeconds = now() - t1
        outcome.result = result
        events(.analyzed(findings: result.findings.count, seconds: outcome.analyzeSeconds))

        // Write.
        let t2 = now()
        do throws(DICOMError) {
            outcome.written = try ResultWriter.write(result: result, source: primary, outputDirectory: directory,
                                                     options: resultOptions)
        } catch {
            outcome.writeSeconds = now() - t2
            end(.failed, .write, "cannot write the DICOM results into \(directory.path): \(error)", outcome.writeSeconds)
            return outcome
        }
        outcome.writeSeconds = now() - t2
        outcome.status = .analyzed
        events(.written(objects: outcome.written.count, seconds: outcome.writeSeconds))
        return outcome
    }
}

/// Seconds on a monotonic clock.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

import Analysis
import DICOM

/// Series numbers, descriptions and equipment names of a result's objects.
///
/// Series numbers follow the source series: source series N gives N·100 + 10·a + k, with a
/// the analyzer (lung 1, liver 2, infarct 3) and k the object (SEG 1, SR 2, key images 3), so
/// CT series 3 gets lung SEG 311, SR 312, key images 313, sorted right after their source in
/// most viewers. Without a source series number: 9000 + 10·a + k.
struct Naming {
    enum Kind: Int { case seg = 1, sr = 2, sc = 3 }

    let analyzer: AnalyzerKind
    let version: String
    let sourceSeriesNumber: Int?
    let manufacturer: String

    init(result: AnalysisResult, study: StudyAttributes, options: ResultOptions) {
        analyzer = result.analyzer
        version = result.version
        sourceSeriesNumber = study.seriesNumber.flatMap { $0 >= 0 && $0 < 20_000_000 ? $0 : nil }
        manufacturer = options.manufacturer
    }

    var analyzerIndex: Int {
        switch analyzer {
        case .lung: 1
        case .liver: 2
        case .infarct: 3
        }
    }

    func seriesNumber(_ kind: Kind) -> Int {
        (sourceSeriesNumber.map { $0 * 100 } ?? 9000) + 10 * analyzerIndex + kind.rawValue
    }

    func seriesDescription(_ kind: Kind) -> String {
        let title = "AutoSeg \(FindingCoding.title(of: analyzer))"
        switch kind {
        case .seg: return "\(title) segmentation"
        case .sr: return "\(title) report"
        case .sc: return "\(title) key images"
        }
    }

    /// "AutoSeg lung" (SEG algorithm name, SR device name).
    var algorithmName: String { "AutoSeg \(analyzer.rawValue)" }

    /// SEG Content Label (CS: upper case, digits, underscore; at most 16).
    var contentLabel: String { "AUTOSEG_\(analyzer.rawValue.uppercased())" }

    func identity(series: String, instance: String, kind: Kind, number: Int) -> ResultIdentity {
        ResultIdentity(seriesUID: series, instanceUID: instance, seriesNumber: seriesNumber(kind), instanceNumber: number,
                       seriesDescription: seriesDescription(kind), manufacturer: manufacturer,
                       modelName: algorithmName, softwareVersion: version,
                       deviceSerialNumber: "\(analyzer.rawValue)-\(version)")
    }
}

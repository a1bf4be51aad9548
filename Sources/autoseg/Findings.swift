import Analysis
import ArgumentParser
import Catalog
import Foundation
import Logging
import Node

/// `autoseg findings`: every finding of the node, for research (DESIGN §3). Patient-free by
/// default: UIDs, analyzer, category, site, confidence and measurements.
struct Findings: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export every finding from the node's catalog (CSV or JSON; patient-free unless --with-patient).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @OptionGroup var options: ConfigOptions
    @Option(help: "csv or json.") var format: Format = .csv
    @Option(help: "Only findings recorded at or after this date (YYYY-MM-DD, UTC) or time (ISO 8601).") var since: String?
    @Flag(help: "Include patient ID and name, study date and accession number.") var withPatient = false

    static func parseDate(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: text) { return d }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        return day.date(from: text)
    }

    func validate() throws {
        if let since, Self.parseDate(since) == nil {
            throw ValidationError("--since: \"\(since)\" is not a date (YYYY-MM-DD) or ISO 8601 time")
        }
    }

    func run() throws {
        let dataDirectory = options.load().existingDataDirectory()
        let rows: [FindingRow]
        do {
            let catalog = try Catalog(readOnlyPath: dataDirectory.catalogPath, logger: Logger(label: "autoseg.findings"))
            rows = try catalog.findings(since: since.flatMap(Self.parseDate), withPatient: withPatient)
        } catch {
            fail("\(error)", code: 1)
        }
        let measurements = rows.map { Self.decode($0.measurements) }
        let assessments = rows.map { Self.decodeAssessments($0.assessments) }
        switch format {
        case .json:
            let out: [[String: Any]] = rows.indices.map { i in
                let r = rows[i], m = measurements[i]
                var o: [String: Any] = [
                    "study_uid": r.studyInstanceUID, "series_uid": r.seriesInstanceUID, "analyzer": r.analyzer,
                    "version": r.version, "number": r.number, "kind": r.kind, "category": r.category, "site": r.site,
                    "laterality": r.laterality ?? NSNull(), "confidence": r.confidence,
                    "recorded_at": Self.iso(r.createdAt),
                    "measurements": m.mapValues { ["value": $0.value, "unit": $0.unit] },
                    "assessments": assessments[i],
                ]
                if withPatient {
                    o["patient_id"] = r.patientID ?? NSNull()
                    o["patient_name"] = r.patientName ?? NSNull()
                    o["study_date"] = r.studyDate ?? NSNull()
                    o["accession_number"] = r.accessionNumber ?? NSNull()
                }
                return o
            }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        case .csv:
            // A fixed set of columns, whatever the analyzers seen: every finding measurement, named
            // with its unit (`volume_ml`), then every assessment.
            let columns = MeasurementName.allCases.compactMap { k in Self.column(k).map { (k.rawValue, $0) } }
            var header = ["study_uid", "series_uid", "analyzer", "version", "number", "kind", "category", "site",
                          "laterality", "confidence", "recorded_at"]
            if withPatient { header += ["patient_id", "patient_name", "study_date", "accession_number"] }
            header += columns.map(\.1)
            // Assessments: one column each, always present (empty where it does not apply).
            header += AssessmentName.allCases.map(\.rawValue)
            print(header.map(Self.csvField).joined(separator: ","))
            for (i, (r, m)) in zip(rows, measurements).enumerated() {
                var fields = [r.studyInstanceUID, r.seriesInstanceUID, r.analyzer, r.version, String(r.number), r.kind,
                              r.category, r.site, r.laterality ?? "", String(format: "%.4f", r.confidence), Self.iso(r.createdAt)]
                if withPatient { fields += [r.patientID ?? "", r.patientName ?? "", r.studyDate ?? "", r.accessionNumber ?? ""] }
                fields += columns.map { n, _ in m[n].map { Self.number($0.value) } ?? "" }
                fields += AssessmentName.allCases.map { assessments[i][$0.rawValue] ?? "" }
                print(fields.map(Self.csvField).joined(separator: ","))
            }
        }
        FileHandle.standardError.write(Data("autoseg: \(rows.count) finding(s)\n".utf8))
    }

    /// The CSV column of a finding's measurement, its unit in the name as the analyzers report
    /// it (mL, mm, s, %; HU and 10⁻⁶ mm²/s where the name says it); nil for case measurements,
    /// which findings do not carry. Exhaustive: a new measurement needs its column.
    static func column(_ k: MeasurementName) -> String? {
        switch k {
        case .volume: "volume_ml"
        case .equivalentDiameter: "equivalent_diameter_mm"
        case .longAxis: "long_axis_mm"
        case .shortAxis: "short_axis_mm"
        case .meanDiameter: "mean_diameter_mm"
        case .solidDiameter: "solid_diameter_mm"
        case .sphericity: "sphericity"
        case .meanHU: "mean_hu"
        case .sdHU: "sd_hu"
        case .contrastToLiver: "contrast_to_liver_hu"
        case .meanADC: "mean_adc"
        case .sdADC: "sd_adc"
        case .meanRCBFRatio: "mean_rcbf_ratio_pct"
        case .meanTmax: "mean_tmax_s"
        case .distanceToPleura: "distance_to_pleura_mm"
        case .confidence, .lungVolume, .liverVolume, .brainVolume, .rightLungVolume, .leftLungVolume, .tumourBurden,
             .lesionCount, .coreVolume, .adc620Volume, .tmax6Volume, .mismatchVolume, .mismatchRatio:
            nil
        }
    }

    static func decode(_ json: String) -> [String: (value: Double, unit: String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]] else { return [:] }
        var out: [String: (Double, String)] = [:]
        for (k, v) in object {
            if let value = (v["value"] as? NSNumber)?.doubleValue { out[k] = (value, v["unit"] as? String ?? "") }
        }
        return out
    }

    static func decodeAssessments(_ json: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]) ?? [:]
    }

    static func iso(_ t: Double) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t)) }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%.6g", x)
    }

    /// RFC 4180: quote fields with commas, quotes or line breaks; double inner quotes.
    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

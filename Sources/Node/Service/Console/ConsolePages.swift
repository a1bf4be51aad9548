import Analysis
import Catalog
import Foundation
import Results

/// The view models of the console's read-only pages, from the catalog and the configuration.
/// Patient names appear only when the viewer may see them (`Viewer.showsPatientNames`).
struct ConsolePages {
    let context: ConsoleContext
    let viewer: Viewer

    var catalog: Catalog { context.source.catalog }
    var config: NodeConfig { context.source.config }

    static let hiddenName = "(name hidden)"

    private func patient(_ name: String?) -> String {
        guard viewer.showsPatientNames else { return Self.hiddenName }
        return (name ?? "").replacingOccurrences(of: "^", with: " ").trimmingCharacters(in: .whitespaces)
    }

    func overview() throws -> [String: Any] {
        let counts = try catalog.counts()
        let work = try catalog.workCounts()
        let undelivered = try catalog.undeliveredCount()
        let ingest = context.source.ingest.snapshot
        let free = FileSystem.freeBytes(context.source.dataDirectory.root.path)
        let jobs = JobState.allCases.map { "\(work.jobs[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: " · ")
        let cards: [[String: Any]] = [
            ["label": "Uptime", "value": ConsoleFormat.duration(Date().timeIntervalSince(context.started)),
             "detail": "since \(ConsoleFormat.time(context.started))"],
            ["label": "Free in data_dir", "value": free.map { ConsoleFormat.bytes(Int64($0)) } ?? "unknown",
             "detail": "refuses stores below \(config.node.minFreeMB) MiB"],
            ["label": "Studies", "value": "\(counts.studies)", "detail": "\(counts.series) series · \(counts.instances) instances"],
            ["label": "Jobs", "value": "\(work.jobs.values.reduce(0, +))", "detail": jobs],
            ["label": "Deliveries", "value": "\(work.deliveriesSent) sent",
             "detail": "\(work.deliveriesPending) pending (\(work.deliveriesRetrying) retrying) · \(work.deliveriesFailed) failed"
                + " · \(undelivered) undelivered (no peer)"],
            ["label": "Findings", "value": "\(work.findings)"],
        ]
        let port = context.source.dicom.waitUntilListening(timeout: 0) ?? config.node.port
        let facts: [(String, String)] = [
            ("Version", AutoSegVersion.current),
            ("AE title", config.node.aeTitle),
            ("DICOM port", "\(port)"),
            ("HTTP", "\(config.http.host):\(config.http.port)"),
            ("data_dir", context.source.dataDirectory.root.path),
            ("Stored since start", "\(ingest.stored) instances, \(ConsoleFormat.bytes(Int64(ingest.bytes))); "
                + "\(ingest.refused) refused"),
            ("Associations since start", "\(ingest.associations) accepted, \(ingest.rejectedAssociations) rejected"),
            ("Catalog", "\(counts.patients) patients · \(ConsoleFormat.bytes(counts.bytes)) stored"
                + (counts.missingInstances > 0 ? " · \(counts.missingInstances) files missing" : "")),
            ("Configuration", config.source.map(absolute) ?? "built-in defaults"),
        ]
        return ["cards": cards, "facts": facts.map { ["k": $0.0, "v": $0.1] }]
    }

    static let seriesLimit = 200

    func studies() throws -> [String: Any] {
        let rows = try catalog.receivedSeries(limit: Self.seriesLimit).map { s -> [String: Any] in
            var row: [String: Any] = [
                "last": ConsoleFormat.cell(s.lastReceivedAt), "first": ConsoleFormat.cell(s.firstReceivedAt),
                "patient": patient(s.patientName), "studyDate": s.studyDate ?? "", "studyUID": s.studyInstanceUID,
                "studyDescription": s.studyDescription ?? "", "seriesUID": s.seriesInstanceUID,
                "number": s.seriesNumber.map { "#\($0)" } ?? "", "modality": s.modality ?? "",
                "description": s.seriesDescription ?? "", "instances": s.instances, "callingAE": s.callingAE,
                "host": s.remoteHost,
            ]
            if s.missingInstances > 0 { row["missing"] = s.missingInstances }
            return row
        }
        return ["rows": rows, "limit": Self.seriesLimit]
    }

    func jobs() throws -> [String: Any] {
        let jobs = try catalog.jobs(limit: 200)
        let names = viewer.showsPatientNames ? try catalog.patientNames(studyUIDs: jobs.map(\.studyInstanceUID)) : [:]
        let rows = jobs.map { j -> [String: Any] in
            var row: [String: Any] = [
                "id": j.id, "state": j.state.rawValue, "analyzer": j.analyzer, "rule": j.rule,
                "seriesUID": j.seriesInstanceUID, "patient": patient(names[j.studyInstanceUID]), "callingAE": j.callingAE,
                "created": ConsoleFormat.cell(j.createdAt), "started": ConsoleFormat.cell(j.startedAt),
                "finished": ConsoleFormat.cell(j.finishedAt), "seriesShort": ConsoleFormat.shortUID(j.seriesInstanceUID), "reason": j.reason ?? "", "findings": j.findings.map(String.init) ?? "",
                "stages": j.loadSeconds == nil ? "" : [j.loadSeconds, j.analyzeSeconds, j.encodeSeconds]
                    .map(ConsoleFormat.seconds).joined(separator: " / "),
                "csrf": viewer.csrf,
            ]
            if j.attempts > 0 { row["attempts"] = j.attempts }
            if j.state == .failed || j.state == .refused { row["retry"] = true }
            if j.state == .queued { row["cancel"] = true }
            return row
        }
        return ["rows": rows]
    }

    func deliveries() throws -> [String: Any] {
        let now = Date().timeIntervalSince1970
        let rows = try catalog.deliveries(limit: 300).map { d -> [String: Any] in
            let state = d.state == "pending" && d.attempts > 0 ? "retrying" : d.state
            var row: [String: Any] = [
                "id": d.id, "state": state, "kind": d.kind.uppercased(), "resultUID": d.resultUID,
                "peer": "\(d.peerAE)@\(d.host):\(d.port)", "attempts": d.attempts,
                "status": d.lastStatus ?? "", "error": d.lastError ?? "", "csrf": viewer.csrf,
                "resultShort": ConsoleFormat.shortUID(d.resultUID),
                "when": d.state == "sent" ? ConsoleFormat.cell(d.sentAt)
                    : d.state == "failed" ? "waits for the operator"
                    : d.nextAttemptAt <= now ? "due now" : "in " + ConsoleFormat.duration(d.nextAttemptAt - now),
            ]
            if d.state != "sent" { row["redeliver"] = true }
            return row
        }
        // Undelivered results, one row per job (its SEG, SR and key images share the reason).
        var byJob: [Int64: [UndeliveredResult]] = [:]
        var order: [Int64] = []
        for r in try catalog.undeliveredResults(limit: 2000) {
            if byJob[r.jobID] == nil { order.append(r.jobID) }
            byJob[r.jobID, default: []].append(r)
        }
        let undelivered = order.map { job -> [String: Any] in
            let results = byJob[job]!
            let ae = results[0].callingAE
            let kinds = Dictionary(grouping: results, by: \.kind).map { "\($0.value.count) \($0.key.uppercased())" }.sorted()
            var row: [String: Any] = [
                "job": job, "callingAE": ae, "objects": kinds.joined(separator: ", "),
                "created": ConsoleFormat.cell(results.map(\.createdAt).max()), "csrf": viewer.csrf,
                "reason": "no [[peers]] entry for calling AE \(ae) and no peer with send_all",
            ]
            if !ConsoleContext.destinations(callingAE: ae, peers: context.source.peers).isEmpty {
                row["deliverable"] = true
                row["reason"] = "a peer for \(ae) is configured now"
            }
            return row
        }
        return ["rows": rows, "undelivered": undelivered]
    }

    func findings() throws -> [String: Any] {
        let found = try catalog.recentFindings(limit: 200)
        let names = viewer.showsPatientNames ? try catalog.patientNames(studyUIDs: found.map(\.finding.studyInstanceUID)) : [:]
        var downloadsByJob: [Int64: [[String: Any]]] = [:]
        let rows = try found.map { cf -> [String: Any] in
            let f = cf.finding
            var row: [String: Any] = [
                "job": cf.jobID, "number": f.number, "analyzer": f.analyzer, "kind": f.kind,
                "patient": patient(names[f.studyInstanceUID]),
            ]
            if downloadsByJob[cf.jobID] == nil {
                downloadsByJob[cf.jobID] = try catalog.results(jobID: cf.jobID).filter { $0.kind != "sc" }.map {
                    ["href": "/results/\($0.sopInstanceUID).dcm", "label": $0.kind.uppercased()]
                }
            }
            if viewer.showsPatientNames { row["downloads"] = downloadsByJob[cf.jobID] } else { row["signIn"] = true }
            if let analyzer = AnalyzerKind(rawValue: f.analyzer) {
                let uid = ResultUIDs(sourceSeriesUID: f.seriesInstanceUID, analyzer: analyzer, version: f.version)
                    .scInstance(finding: f.number)
                if try catalog.resultFile(sopInstanceUID: uid) != nil { row["thumbnail"] = "/keyimages/\(uid).png" }
            }
            var facts: [(String, String)] = [
                ("Category", f.category), ("Site", [f.site, f.laterality ?? ""].filter { !$0.isEmpty }.joined(separator: ", ")),
                ("Confidence", String(format: "%.2f", f.confidence)),
            ]
            facts += Self.measurements(f.measurements) + Self.assessments(f.assessments)
            facts.append(("Found", ConsoleFormat.time(f.createdAt)))
            facts.append(("Series", f.seriesInstanceUID))
            row["facts"] = facts.map { ["k": $0.0, "v": $0.1] }
            return row
        }
        return ["rows": rows]
    }

    /// `{"volume_ml": {"value": 1.2, "unit": "ml"}}` → ("volume_ml", "1.2 ml"), by name.
    static func measurements(_ json: String) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [] }
        return object.keys.sorted().map { name in
            let m = object[name] as? [String: Any]
            let value = (m?["value"] as? Double).map { String(format: abs($0) >= 100 ? "%.0f" : "%.3g", $0) } ?? "?"
            let unit = (m?["unit"] as? String).map { u in u == "1" ? "" : " " + (displayUnits[u] ?? u) } ?? ""
            return (name, value + unit)
        }
    }

    /// UCUM codes as a reader writes them (the SR keeps the codes).
    static let displayUnits = ["[hnsf'U]": "HU", "um2/s": "µm²/s", "mm2/s": "mm²/s", "mL": "mL", "mm": "mm", "s": "s"]

    static func assessments(_ json: String) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [] }
        return object.keys.sorted().map { ($0, "\(object[$0] ?? "")") }
    }

    func configuration() -> [String: Any] {
        var sections: [[String: Any]] = [
            ["name": "[node]", "text": ConsoleFormat.toml(config.node)],
            ["name": "[security]", "text": ConsoleFormat.toml(config.security)],
            ["name": "[pipeline]", "text": ConsoleFormat.toml(config.pipeline)],
            ["name": "[http]", "text": ConsoleFormat.toml(config.http)],
        ]
        for (i, p) in context.source.peers.enumerated() { sections.append(["name": "[[peers]] \(i)", "text": ConsoleFormat.toml(p)]) }
        for (i, r) in context.source.rules.enumerated() { sections.append(["name": "[[rules]] \(i)", "text": ConsoleFormat.toml(r)]) }
        var out: [String: Any] = ["sections": sections, "csrf": viewer.csrf]
        if let source = config.source { out["source"] = absolute(source) }
        return out
    }

    func peers(echo: (text: String, ok: Bool)? = nil) -> [String: Any] {
        let rows = context.source.peers.enumerated().map { i, p -> [String: Any] in
            ["index": i, "ae": p.aeTitle, "host": p.host, "port": p.port, "sendAll": p.sendAll ? "yes" : "no",
             "tls": p.tls ? (p.insecure ? "yes (not verified)" : "yes") : "no", "csrf": viewer.csrf]
        }
        var out: [String: Any] = ["rows": rows, "ae": config.node.aeTitle]
        if let echo { out["echo"] = ["text": echo.text, "kind": echo.ok ? "ok" : "bad"] }
        return out
    }

    private func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

import Catalog
import DICOM
import Foundation
import Hummingbird
import Logging
import Pipeline
import ServiceLifecycle

/// The node's HTTP face (DESIGN §4 `[http]`): `GET /health`, `GET /status` (JSON) and
/// `GET /metrics` (Prometheus text exposition). Read-only, from the catalog and the ingest
/// counters; UIDs and counts only, never patient names or IDs. Bound to `http.host`
/// (loopback by default) on `http.port`. The web console (`ConsoleRoutes`) shares the router.
public enum StatusServer {
    /// The Hummingbird application as a `Service` for the node's `ServiceGroup`.
    static func application(_ node: StatusSource, logger: Logger) -> some Service {
        let router = Hummingbird.Router()
        let started = Date()
        router.get("health") { _, _ -> Response in
            json(["status": "ok", "version": AutoSegVersion.current, "uptime_s": Date().timeIntervalSince(started)])
        }
        router.get("status") { _, _ -> Response in
            do {
                return json(try statusDocument(node: node, started: started))
            } catch {
                return json(["error": "\(error)"], status: .internalServerError)
            }
        }
        router.get("metrics") { _, _ -> Response in
            do {
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers,
                                body: .init(byteBuffer: ByteBuffer(string: try metrics(node: node, started: started))))
            } catch {
                return json(["error": "\(error)"], status: .internalServerError)
            }
        }
        ConsoleRoutes.register(on: router, source: node, started: started, logger: logger)
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .notice)  // no line per request at info
        return Application(
            router: router,
            configuration: .init(address: .hostname(node.config.http.host, port: node.config.http.port),
                                 serverName: "AutoSeg"),
            logger: httpLogger)
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func statusDocument(node: StatusSource, started: Date) throws -> [String: Any] {
        let ingest = node.ingest.snapshot
        let live = StatusReport.Live(
            uptimeSeconds: Date().timeIntervalSince(started),
            dicomPort: node.dicom.waitUntilListening(timeout: 0) ?? node.config.node.port,
            ingest: ["stored": ingest.stored, "refused": ingest.refused, "bytes": Int(ingest.bytes),
                     "associations": ingest.associations, "associations_rejected": ingest.rejectedAssociations,
                     "associations_aborted": ingest.abortedAssociations, "contexts_rejected": ingest.rejectedContexts,
                     "connections_refused": ingest.refusedConnections])
        return try StatusReport.document(catalog: node.catalog, config: node.config, dataDirectory: node.dataDirectory,
                                         live: live)
    }

    /// Prometheus text exposition format 0.0.4.
    static func metrics(node: StatusSource, started: Date) throws -> String {
        let c = node.catalog
        let counts = try c.counts()
        let work = try c.workCounts()
        let ingest = node.ingest.snapshot
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, v) in samples { out += "\(name)\(labels) \(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v))\n" }
        }
        metric("autoseg_build_info", "gauge", "AutoSeg's version (always 1).", [("{version=\"\(AutoSegVersion.current)\"}", 1)])
        metric("autoseg_uptime_seconds", "gauge", "Seconds since the node started.", [("", Date().timeIntervalSince(started))])
        metric("autoseg_instances_stored_total", "counter", "Instances stored durably since start.", [("", Double(ingest.stored))])
        metric("autoseg_instances_refused_total", "counter", "C-STOREs answered with a failure since start.",
               [("", Double(ingest.refused))])
        metric("autoseg_received_bytes_total", "counter", "Bytes of stored instances since start.", [("", Double(ingest.bytes))])
        metric("autoseg_associations_total", "counter", "Associations accepted since start.", [("", Double(ingest.associations))])
        metric("autoseg_associations_rejected_total", "counter", "Associations rejected since start.",
               [("", Double(ingest.rejectedAssociations))])
        metric("autoseg_associations_aborted_total", "counter", "Accepted associations that ended without a release since start.",
               [("", Double(ingest.abortedAssociations))])
        metric("autoseg_presentation_contexts_rejected_total", "counter",
               "Proposed presentation contexts rejected in accepted associations since start.",
               [("", Double(ingest.rejectedContexts))])
        metric("autoseg_connections_refused_total", "counter",
               "Connections closed unread since start: too many still negotiating (max_negotiating, per host).",
               [("", Double(ingest.refusedConnections))])
        metric("autoseg_catalog_instances", "gauge", "Instances in the catalog.", [("", Double(counts.instances))])
        metric("autoseg_catalog_missing_instances", "gauge", "Catalogued instances whose file is missing.",
               [("", Double(counts.missingInstances))])
        metric("autoseg_catalog_studies", "gauge", "Studies in the catalog.", [("", Double(counts.studies))])
        metric("autoseg_catalog_bytes", "gauge", "Bytes of stored instances in the catalog.", [("", Double(counts.bytes))])
        metric("autoseg_jobs", "gauge", "Analysis jobs by state.",
               JobState.allCases.map { ("{state=\"\($0.rawValue)\"}", Double(work.jobs[$0.rawValue] ?? 0)) })
        metric("autoseg_deliveries", "gauge", "Result deliveries by state.",
               [("{state=\"pending\"}", Double(work.deliveriesPending)), ("{state=\"failed\"}", Double(work.deliveriesFailed)),
                ("{state=\"sent\"}", Double(work.deliveriesSent))])
        metric("autoseg_deliveries_retrying", "gauge", "Pending deliveries that failed at least once.",
               [("", Double(work.deliveriesRetrying))])
        metric("autoseg_findings", "gauge", "Findings in the catalog.", [("", Double(work.findings))])
        let totals = try c.jobStageTotals()
        var stageSamples: [(String, Double)] = []
        for t in totals {
            for (stage, v) in [("load", t.loadSeconds), ("analyze", t.analyzeSeconds), ("encode", t.encodeSeconds)] {
                stageSamples.append(("{analyzer=\"\(t.analyzer)\",stage=\"\(stage)\"}", v))
            }
        }
        metric("autoseg_job_stage_seconds_sum", "counter", "Seconds spent per stage by done jobs.", stageSamples)
        metric("autoseg_jobs_done_total", "counter", "Done jobs per analyzer.",
               totals.map { ("{analyzer=\"\($0.analyzer)\"}", Double($0.jobs)) })
        if let free = FileSystem.freeBytes(node.dataDirectory.root.path) {
            metric("autoseg_data_dir_free_bytes", "gauge", "Free bytes in data_dir.", [("", Double(free))])
        }
        return out
    }
}

/// What the status server reads: the node's configuration, a read-only catalog connection of
/// its own, the ingest counters and the DICOM port.
struct StatusSource: Sendable {
    let config: NodeConfig
    let catalog: Catalog
    let ingest: IngestService
    let dicom: DICOMService
    let dataDirectory: DataDirectory
    /// The node's writing catalog, for the console's actions (nil: read-only console).
    var writer: Catalog? = nil
    /// Wakes the workers and the outbox after a console action queued work.
    var wake: @Sendable () -> Void = {}
    /// The TLS settings a delivery to this destination uses (the console's echo uses them too).
    var peerTLS: @Sendable (Destination) -> TLSConfiguration? = { _ in nil }
    /// Rules and peers as last (re)loaded (the configuration above is the start's).
    var settings: LiveSettings? = nil
    /// Re-reads rules and peers (`AutoSegNode.reload`); the operator's one-line outcome.
    var reload: @Sendable () -> (applied: Bool, message: String) = { (false, "reload is not available") }

    /// The peers in force now.
    var peers: [Peer] { settings?.peers ?? config.peers }
    /// The rules in force now.
    var rules: [Rule] { settings?.rules ?? config.rules }
}

import ArgumentParser
import Catalog
import Foundation
import Logging
import Node

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Studies, series and instances of the node, read from its catalog.")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "How many recent studies to list.") var limit = 20

    func run() throws {
        let config = options.load()
        let dataDirectory = config.existingDataDirectory()
        let logger = Logger(label: "autoseg.status")
        do {
            let catalog = try Catalog(readOnlyPath: dataDirectory.catalogPath, logger: logger)
            let counts = try catalog.counts()
            let studies = try catalog.recentStudies(limit: limit)
            let work = try catalog.workCounts()
            let jobs = try catalog.jobs(limit: limit)
            let pending = try catalog.deliveries(pendingOnly: true, limit: limit)
            let now = Date().timeIntervalSince1970
            if json {
                // The same document as GET /status (README "Status document"); what only a
                // running node knows is null here.
                let payload = try StatusReport.document(catalog: catalog, config: config, dataDirectory: dataDirectory,
                                                        live: nil, limit: limit)
                let data = try JSONSerialization.data(withJSONObject: payload, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("autoseg    \(AutoSegVersion.current)")
                print("data_dir   \(dataDirectory.root.path)")
                print("patients   \(counts.patients)")
                print("studies    \(counts.studies)")
                print("series     \(counts.series)")
                print("instances  \(counts.instances)  (\(counts.bytes / 1_048_576) MB)")
                print("missing    \(counts.missingInstances)")
                if !studies.isEmpty {
                    print("\nrecent studies:")
                    for s in studies {
                        print("  \(s.studyInstanceUID)  patient=\(s.patientID)  date=\(s.studyDate ?? "-")  series=\(s.seriesCount)  instances=\(s.instanceCount)"
                              + "  received \(StatusReport.iso(s.lastReceivedAt.timeIntervalSince1970))  \(s.studyDescription ?? "")")
                    }
                }
                let states = JobState.allCases.map { "\($0.rawValue)=\(work.jobs[$0.rawValue] ?? 0)" }.joined(separator: " ")
                print("\njobs       \(states)")
                let undelivered = try catalog.undeliveredResults(limit: limit)
                let undeliveredCount = try catalog.undeliveredCount()
                print("deliveries pending=\(work.deliveriesPending) (retrying \(work.deliveriesRetrying))  failed=\(work.deliveriesFailed)"
                      + "  sent=\(work.deliveriesSent)  undelivered=\(undeliveredCount) (no peer)")
                print("findings   \(work.findings)")
                if !jobs.isEmpty {
                    print("\nrecent jobs:")
                    for j in jobs {
                        let t = [("load", j.loadSeconds), ("analyze", j.analyzeSeconds), ("encode", j.encodeSeconds)]
                            .compactMap { n, v in v.map { "\(n) \(String(format: "%.2f", $0)) s" } }.joined(separator: ", ")
                        print("  #\(j.id) \(j.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(j.analyzer) \(j.seriesInstanceUID)  from \(j.callingAE)  attempts=\(j.attempts)"
                              + "  queued \(StatusReport.iso(j.createdAt))" + (j.finishedAt.map { "  finished \(StatusReport.iso($0))" } ?? "")
                              + (j.findings.map { "  findings=\($0)" } ?? "") + (t.isEmpty ? "" : "  (\(t))")
                              + (j.reason.map { "  — \($0)" } ?? ""))
                    }
                }
                if !pending.isEmpty {
                    print("\nundelivered results:")
                    for d in pending {
                        let next = max(0, d.nextAttemptAt - now)
                        let when = d.state == "failed" ? "FAILED (dead letter: autoseg redeliver --id \(d.id))"
                            : "next in \(Int(next.rounded())) s"
                        print("  #\(d.id) \(d.kind) \(d.resultUID) -> \(d.peerAE)@\(d.host):\(d.port)  attempts=\(d.attempts)  \(when)"
                              + (d.lastError.map { "  — \($0)" } ?? ""))
                    }
                }
                if !undelivered.isEmpty {
                    print("\nresults kept in the outbox (no peer to send them to):")
                    for u in undelivered {
                        print("  \(u.kind) \(u.sopInstanceUID)  study \(u.studyInstanceUID)  from \(u.callingAE)"
                              + "  \(StatusReport.iso(u.createdAt.timeIntervalSince1970))")
                    }
                    print("  (\(StatusReport.noPeerReason("<calling AE>")); add a [[peers]] entry and run autoseg redeliver)")
                }
            }
        } catch {
            fail("\(error)", code: 1)
        }
    }
}

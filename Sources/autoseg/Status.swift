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
        let dataDirectory = options.load().existingDataDirectory()
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
                let payload: [String: Any] = [
                    "data_dir": dataDirectory.root.path,
                    "patients": counts.patients, "studies": counts.studies, "series": counts.series,
                    "instances": counts.instances, "missing": counts.missingInstances, "bytes": counts.bytes,
                    "recent_studies": studies.map { s -> [String: Any] in
                        ["study_uid": s.studyInstanceUID, "patient_id": s.patientID, "study_date": s.studyDate ?? "",
                         "description": s.studyDescription ?? "", "series": s.seriesCount, "instances": s.instanceCount]
                    },
                    "jobs": work.jobs,
                    "deliveries": StatusReport.deliveryCounts(work),
                    "findings": work.findings,
                    "recent_jobs": StatusReport.jobs(jobs),
                    "pending_deliveries": StatusReport.pendingDeliveries(pending),
                ]
                let data = try JSONSerialization.data(withJSONObject: payload, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("data_dir   \(dataDirectory.root.path)")
                print("patients   \(counts.patients)")
                print("studies    \(counts.studies)")
                print("series     \(counts.series)")
                print("instances  \(counts.instances)  (\(counts.bytes / 1_048_576) MB)")
                print("missing    \(counts.missingInstances)")
                if !studies.isEmpty {
                    print("\nrecent studies:")
                    for s in studies {
                        print("  \(s.studyInstanceUID)  patient=\(s.patientID)  date=\(s.studyDate ?? "-")  series=\(s.seriesCount)  instances=\(s.instanceCount)  \(s.studyDescription ?? "")")
                    }
                }
                let states = JobState.allCases.map { "\($0.rawValue)=\(work.jobs[$0.rawValue] ?? 0)" }.joined(separator: " ")
                print("\njobs       \(states)")
                print("deliveries pending=\(work.deliveriesPending) (retrying \(work.deliveriesRetrying))  failed=\(work.deliveriesFailed)"
                      + "  sent=\(work.deliveriesSent)")
                print("findings   \(work.findings)")
                if !jobs.isEmpty {
                    print("\nrecent jobs:")
                    for j in jobs {
                        let t = [("load", j.loadSeconds), ("analyze", j.analyzeSeconds), ("encode", j.encodeSeconds)]
                            .compactMap { n, v in v.map { "\(n) \(String(format: "%.2f", $0)) s" } }.joined(separator: ", ")
                        print("  #\(j.id) \(j.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(j.analyzer) \(j.seriesInstanceUID)  from \(j.callingAE)  attempts=\(j.attempts)"
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
            }
        } catch {
            fail("\(error)", code: 1)
        }
    }
}

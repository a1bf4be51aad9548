import Catalog
import CatalogTestSupport
import Foundation
import XCTest

/// Completion, jobs, results, deliveries and findings in the catalog (DESIGN §7a).
final class JobCatalogTests: XCTestCase {
    private let series1 = "1.2.826.0.1.3680043.10.1.1.1"
    private let study1 = "1.2.826.0.1.3680043.10.1.1"

    private func job(_ series: String = "1.2.826.0.1.3680043.10.1.1.1", analyzer: String = "lung") -> NewJob {
        NewJob(seriesInstanceUID: series, studyInstanceUID: study1, analyzer: analyzer, inputSeries: [series],
               rule: "rules[0]", callingAE: "PACS", remoteHost: "10.0.0.1", inputInstances: 2)
    }

    func testQuietSeriesAreRoutedOnceAndReopenedByALateInstance() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1, received: time(0)), makeRecord(sop: 2, received: time(5)),
                               makeRecord(sop: 1, series: 2, received: time(20), callingAE: "CT9")])
        // Quiet since t = 10: series 1 only (series 2 got an instance at t = 20).
        var quiet = try c.quietSeries(quietSince: time(10))
        XCTAssertEqual(quiet.map(\.seriesInstanceUID), [series1])
        XCTAssertEqual(quiet[0].instances, 2)
        XCTAssertEqual(quiet[0].callingAE, "MODALITY")
        XCTAssertEqual(quiet[0].lastReceivedAt, time(5).timeIntervalSince1970)
        let ids = try c.route(seriesInstanceUID: series1, through: quiet[0].lastReceivedAt, jobs: [job()])
        XCTAssertEqual(ids.count, 1)
        XCTAssertEqual(try c.quietSeries(quietSince: time(10)).count, 0, "routed series are not offered again")
        // Series 2 is routed to nothing: never offered again either.
        quiet = try c.quietSeries(quietSince: time(30))
        XCTAssertEqual(quiet.map(\.seriesInstanceUID), ["1.2.826.0.1.3680043.10.1.1.2"])
        XCTAssertEqual(quiet[0].callingAE, "CT9")
        try c.route(seriesInstanceUID: quiet[0].seriesInstanceUID, through: quiet[0].lastReceivedAt, jobs: [])
        XCTAssertEqual(try c.quietSeries(quietSince: time(30)).count, 0)
        // A late instance re-opens series 1 once it is quiet again.
        try c.recordInstances([makeRecord(sop: 3, received: time(40))])
        XCTAssertEqual(try c.quietSeries(quietSince: time(35)).count, 0, "not quiet yet")
        XCTAssertEqual(try c.quietSeries(quietSince: time(50)).map(\.seriesInstanceUID), [series1])
        XCTAssertEqual(try c.instanceFiles(seriesInstanceUID: series1).count, 3)
        XCTAssertEqual(try c.seriesOfStudy(study1), [series1, "1.2.826.0.1.3680043.10.1.1.2"])
    }

    func testJobsAreClaimedOncePerSeriesAndRequeuedAfterACrash() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1)])
        try c.route(seriesInstanceUID: series1, through: 0, jobs: [job(), job(analyzer: "liver")])
        let first = try XCTUnwrap(try c.claimNextJob())
        XCTAssertEqual(first.state, .running)
        XCTAssertEqual(first.attempts, 1)
        XCTAssertEqual(first.inputSeries, [series1])
        XCTAssertNil(try c.claimNextJob(), "a second job of a series never runs beside the first")
        XCTAssertEqual(try c.requeueRunningJobs(), 1)
        let again = try XCTUnwrap(try c.claimNextJob())
        XCTAssertEqual(again.id, first.id)
        XCTAssertEqual(again.attempts, 2, "each claim counts an attempt")
        try c.finishJob(again.id, outcome: JobOutcome(state: .refused, reason: "not a chest", loadSeconds: 0.5))
        let next = try XCTUnwrap(try c.claimNextJob())
        XCTAssertEqual(next.analyzer, "liver")
        XCTAssertFalse(try c.hasNewerJob(than: next))
        try c.route(seriesInstanceUID: series1, through: 1, jobs: [job(analyzer: "liver")])
        XCTAssertTrue(try c.hasNewerJob(than: next), "a re-opened series supersedes the waiting job")
        // Routed again while that job still waits: the waiting job is updated, not doubled.
        var bigger = job(analyzer: "liver")
        bigger.inputInstances = 9
        let again2 = try c.route(seriesInstanceUID: series1, through: 2, jobs: [bigger])
        XCTAssertEqual(try c.jobs(states: [.queued]).map(\.id), again2)
        XCTAssertEqual(try c.jobs(states: [.queued]).map(\.inputInstances), [9])
        let listed = try c.jobs()
        XCTAssertEqual(listed.map(\.state), [.queued, .running, .refused])
        XCTAssertEqual(listed.last?.reason, "not a chest")
        XCTAssertEqual(listed.last?.loadSeconds, 0.5)
        XCTAssertEqual(try c.workCounts().jobs, ["queued": 1, "running": 1, "refused": 1])
    }

    func testResultsReplaceAndDeliveriesRestartOnARerun() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1)])
        let pacs = Destination(aeTitle: "PACS", host: "127.0.0.1", port: 4242)
        let results = [ResultRecord(sopInstanceUID: "2.25.1", seriesInstanceUID: "2.25.10", sopClassUID: "1.2.840.10008.5.1.4.1.1.66.4",
                                    kind: "seg", filePath: "outbox/2.25.1.dcm"),
                       ResultRecord(sopInstanceUID: "2.25.2", seriesInstanceUID: "2.25.20", sopClassUID: "1.2.840.10008.5.1.4.1.1.88.34",
                                    kind: "sr", filePath: "outbox/2.25.2.dcm")]
        let finding = FindingRow(seriesInstanceUID: series1, studyInstanceUID: study1, analyzer: "lung", version: "1.0.0",
                                 number: 1, kind: "nodule", category: "solid", site: "right upper zone", laterality: "right",
                                 confidence: 0.9, measurements: #"{"volume":{"unit":"mL","value":0.5}}"#, createdAt: 0)
        try c.route(seriesInstanceUID: series1, through: 0, jobs: [job()])
        let j1 = try XCTUnwrap(try c.claimNextJob())
        try c.finishJob(j1.id, outcome: JobOutcome(state: .done, findings: 1), results: results, destinations: [pacs],
                        findings: [finding, { var f = finding; f.number = 2; return f }()])
        var due = try c.dueDeliveries(now: Date().addingTimeInterval(1))
        XCTAssertEqual(due.map(\.resultUID), ["2.25.1", "2.25.2"])
        XCTAssertEqual(due[0].kind, "seg")
        XCTAssertEqual(due[0].studyInstanceUID, study1)
        // One fails (retry later), one is acknowledged.
        try c.deliveryFailed(due[0].id, status: nil, error: "connection refused", retryAt: Date().addingTimeInterval(60))
        try c.deliverySucceeded(due[1].id, status: "0000")
        due = try c.dueDeliveries(now: Date().addingTimeInterval(1))
        XCTAssertEqual(due, [], "the failed one waits for its back-off, the sent one is done")
        let waiting = try c.deliveries(pendingOnly: true)
        XCTAssertEqual(waiting.map(\.lastError), ["connection refused"])
        XCTAssertEqual(waiting.map(\.attempts), [1])
        XCTAssertEqual(try c.dueDeliveries(now: Date().addingTimeInterval(61)).map(\.resultUID), ["2.25.1"])
        XCTAssertEqual(try c.findings().map(\.number), [1, 2])
        var counts = try c.workCounts()
        XCTAssertEqual(counts.deliveriesPending, 1)
        XCTAssertEqual(counts.deliveriesSent, 1)
        XCTAssertEqual(counts.deliveriesRetrying, 1)

        // A re-run (late instance): same result UIDs replace, every delivery is due again,
        // the series' findings are replaced, not added.
        try c.route(seriesInstanceUID: series1, through: 1, jobs: [job()])
        let j2 = try XCTUnwrap(try c.claimNextJob())
        try c.finishJob(j2.id, outcome: JobOutcome(state: .done, findings: 1), results: results, destinations: [pacs],
                        findings: [finding])
        due = try c.dueDeliveries(now: Date().addingTimeInterval(1))
        XCTAssertEqual(due.map(\.resultUID), ["2.25.1", "2.25.2"])
        XCTAssertEqual(due.map(\.attempts), [0, 0])
        XCTAssertEqual(try c.findings().count, 1)
        counts = try c.workCounts()
        XCTAssertEqual(counts.deliveriesPending, 2)
        XCTAssertEqual(counts.findings, 1)
        // Patient identifiers only when asked for.
        XCTAssertNil(try c.findings()[0].patientID)
        XCTAssertEqual(try c.findings(withPatient: true)[0].patientID, "P1")
        XCTAssertEqual(try c.findings(since: Date().addingTimeInterval(3600)).count, 0)
    }

    func testDeadLettersWaitForTheOperator() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1)])
        let pacs = Destination(aeTitle: "PACS", host: "127.0.0.1", port: 4242)
        let results = [ResultRecord(sopInstanceUID: "2.25.1", seriesInstanceUID: "2.25.10", sopClassUID: "1.2.840.10008.5.1.4.1.1.66.4",
                                    kind: "seg", filePath: "outbox/2.25.1.dcm")]
        try c.route(seriesInstanceUID: series1, through: 0, jobs: [job()])
        let j = try XCTUnwrap(try c.claimNextJob())
        try c.finishJob(j.id, outcome: JobOutcome(state: .done), results: results, destinations: [pacs])
        let d = try XCTUnwrap(try c.dueDeliveries().first)
        try c.deliveryFailed(d.id, status: "0122", error: "SOP class not supported", retryAt: Date(), deadLetter: true)
        XCTAssertEqual(try c.dueDeliveries(now: Date().addingTimeInterval(3600)), [], "a dead letter is never due")
        XCTAssertEqual(try c.deliveries(pendingOnly: true).map(\.state), ["failed"], "listed as undelivered")
        XCTAssertEqual(try c.workCounts().deliveriesFailed, 1)
        XCTAssertEqual(try c.retryFailedDeliveries(ids: [d.id + 1]), 0, "only the given ids")
        XCTAssertEqual(try c.retryFailedDeliveries(), 1)
        let again = try XCTUnwrap(try c.dueDeliveries(now: Date().addingTimeInterval(1)).first)
        XCTAssertEqual(again.state, "pending")
        XCTAssertEqual(again.attempts, 0)
        XCTAssertEqual(try c.workCounts().deliveriesFailed, 0)
    }
}

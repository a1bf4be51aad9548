import Catalog
import CatalogTestSupport
import Foundation
import XCTest

/// The console's queries and actions (issue 16): each action applies only in its state.
final class ConsoleCatalogTests: XCTestCase {
    private let series1 = "1.2.826.0.1.3680043.10.1.1.1"
    private let study1 = "1.2.826.0.1.3680043.10.1.1"

    private func job(analyzer: String = "lung") -> NewJob {
        NewJob(seriesInstanceUID: series1, studyInstanceUID: study1, analyzer: analyzer, inputSeries: [series1],
               rule: "rules[0]", callingAE: "CT9", remoteHost: "10.0.0.1", inputInstances: 1)
    }

    private func state(_ c: Catalog, _ id: Int64) throws -> JobRecord {
        try XCTUnwrap(try c.jobs(limit: 100).first { $0.id == id })
    }

    func testRetryAndCancelApplyOnlyInTheirStates() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1)])
        let ids = try c.route(seriesInstanceUID: series1, through: 0, jobs: [job(), job(analyzer: "liver")])
        XCTAssertFalse(try c.retryJob(ids[0]), "a queued job is not retried")
        XCTAssertTrue(try c.cancelJob(ids[1]))
        XCTAssertEqual(try state(c, ids[1]).state, .failed)
        XCTAssertEqual(try state(c, ids[1]).reason, Catalog.cancelledReason)
        XCTAssertFalse(try c.cancelJob(ids[1]), "cancelled once")
        let running = try XCTUnwrap(try c.claimNextJob())
        XCTAssertEqual(running.id, ids[0])
        XCTAssertFalse(try c.cancelJob(running.id), "a running job is not cancelled")
        try c.finishJob(running.id, outcome: JobOutcome(state: .refused, reason: "not a chest"))
        XCTAssertTrue(try c.retryJob(running.id))
        let again = try state(c, running.id)
        XCTAssertEqual(again.state, .queued)
        XCTAssertNil(again.reason)
        XCTAssertNil(again.finishedAt)
        XCTAssertTrue(try c.retryJob(ids[1]), "a cancelled job can be retried")
        XCTAssertFalse(try c.retryJob(9999))
    }

    func testUndeliveredResultsAndRedelivery() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1)])
        try c.route(seriesInstanceUID: series1, through: 0, jobs: [job()])
        let j = try XCTUnwrap(try c.claimNextJob())
        let results = ["2.25.1", "2.25.2"].map {
            ResultRecord(sopInstanceUID: $0, seriesInstanceUID: "2.25.9", sopClassUID: "1.2.840.10008.5.1.4.1.1.66.4",
                         kind: "seg", filePath: "outbox/\($0).dcm")
        }
        // No destination: the results wait in the outbox, listed as undelivered.
        try c.finishJob(j.id, outcome: JobOutcome(state: .done, findings: 0), results: results, destinations: [])
        let waiting = try c.undeliveredResults(limit: 10)
        XCTAssertEqual(Set(waiting.map(\.sopInstanceUID)), ["2.25.1", "2.25.2"])
        XCTAssertEqual(waiting.first?.callingAE, "CT9")
        XCTAssertEqual(waiting.first?.jobID, j.id)
        XCTAssertEqual(try c.resultFile(sopInstanceUID: "2.25.1")?.filePath, "outbox/2.25.1.dcm")
        XCTAssertEqual(try c.results(jobID: j.id).count, 2)

        let pacs = Destination(aeTitle: "PACS", host: "127.0.0.1", port: 4242)
        XCTAssertEqual(try c.deliverUndelivered(resultUIDs: ["2.25.1", "2.25.2", "2.25.404"], to: [pacs]), 2)
        XCTAssertEqual(try c.deliverUndelivered(resultUIDs: ["2.25.1"], to: [pacs]), 0, "once")
        XCTAssertTrue(try c.undeliveredResults(limit: 10).isEmpty)
        let due = try c.dueDeliveries()
        XCTAssertEqual(due.count, 2)

        // A dead letter is due now again, attempts reset; a sent one is left alone.
        try c.deliveryFailed(due[0].id, status: "0122", error: "refused", retryAt: Date().addingTimeInterval(3600),
                             deadLetter: true)
        try c.deliverySucceeded(due[1].id, status: "0000")
        XCTAssertTrue(try c.dueDeliveries().isEmpty)
        XCTAssertTrue(try c.redeliverNow(due[0].id))
        XCTAssertFalse(try c.redeliverNow(due[1].id), "sent")
        let again = try c.dueDeliveries()
        XCTAssertEqual(again.map(\.id), [due[0].id])
        XCTAssertEqual(again[0].attempts, 0)
        XCTAssertEqual(again[0].state, "pending")
    }

    func testReceivedSeriesAndPatientNames() throws {
        let c = try Catalog.inMemory(logger: LogCapture().logger())
        try c.recordInstances([makeRecord(sop: 1, received: time(0)), makeRecord(sop: 2, received: time(5)),
                               makeRecord(sop: 1, series: 2, received: time(20), callingAE: "CT9")])
        let rows = try c.receivedSeries(limit: 10)
        XCTAssertEqual(rows.map(\.seriesInstanceUID), ["1.2.826.0.1.3680043.10.1.1.2", series1], "newest first")
        XCTAssertEqual(rows[0].callingAE, "CT9")
        XCTAssertEqual(rows[1].instances, 2)
        XCTAssertEqual(rows[1].firstReceivedAt, time(0))
        let names = try c.patientNames(studyUIDs: [study1, study1, "1.2.3"])
        XCTAssertEqual(names.count, 1)
        XCTAssertEqual(names[study1], rows[1].patientName)
    }
}

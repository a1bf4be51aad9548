import Catalog
import CatalogTestSupport
import Foundation
import XCTest

final class RecordInstancesTests: XCTestCase {
    private var logs = LogCapture()
    private var catalog: Catalog!

    override func setUpWithError() throws {
        logs = LogCapture()
        catalog = try Catalog.inMemory(logger: logs.logger())
    }

    func testRecordedInstanceReadsBackUnchanged() throws {
        let record = makeRecord(sop: 7, received: time(42), size: 123_456)
        try catalog.recordInstances([record])
        let stored = try XCTUnwrap(try catalog.instance(sopInstanceUID: record.sopInstanceUID))
        XCTAssertEqual(stored.record, record)
        XCTAssertEqual(stored.status, .stored)
        XCTAssertNil(try catalog.instance(sopInstanceUID: "1.2.3.999"))
    }

    func testEmptyStringsAndNilsRoundTrip() throws {
        var record = makeRecord(sop: 1)
        record.patientID = ""
        record.patientName = ""
        record.patientBirthDate = nil
        record.studyDate = nil
        record.modality = nil
        record.seriesNumber = nil
        record.instanceNumber = nil
        record.callingAE = ""
        record.remoteHost = ""
        try catalog.recordInstances([record])
        XCTAssertEqual(try catalog.instance(sopInstanceUID: record.sopInstanceUID)?.record, record)
    }

    func testRestoredSOPInstanceReplacesItsRow() throws {
        let first = makeRecord(sop: 1, received: time(0), size: 100)
        try catalog.recordInstances([first])
        var again = first
        again.filePath = "spool/elsewhere/\(first.sopInstanceUID).dcm"
        again.fileSize = 250
        again.receivedAt = time(60)
        again.callingAE = "SECOND"
        try catalog.recordInstances([again])

        let counts = try catalog.counts()
        XCTAssertEqual(counts.instances, 1)
        XCTAssertEqual(counts.bytes, 250)
        let stored = try XCTUnwrap(try catalog.instance(sopInstanceUID: first.sopInstanceUID))
        XCTAssertEqual(stored.record.filePath, again.filePath)
        XCTAssertEqual(stored.record.fileSize, 250)
        XCTAssertEqual(stored.record.receivedAt, time(60))
        XCTAssertEqual(stored.record.callingAE, "SECOND")
        let series = try catalog.seriesSummaries(studyInstanceUID: first.studyInstanceUID)
        XCTAssertEqual(series.map(\.instanceCount), [1])
        XCTAssertEqual(series.first?.firstReceivedAt, time(0))
        XCTAssertEqual(series.first?.lastReceivedAt, time(60))
    }

    func testSameSOPInstanceTwiceInOneBatchIsOneRow() throws {
        var second = makeRecord(sop: 1, size: 7)
        second.filePath += ".v2"
        try catalog.recordInstances([makeRecord(sop: 1, size: 5), second])
        XCTAssertEqual(try catalog.counts().instances, 1)
        XCTAssertEqual(try catalog.instance(sopInstanceUID: second.sopInstanceUID)?.record.fileSize, 7)
    }

    func testBatchOfThousandInOneCall() throws {
        // 2 patients × 2 studies × 5 series × 50 instances.
        var records: [InstanceRecord] = []
        for study in 1...4 {
            for series in 1...5 {
                for sop in 1...50 {
                    records.append(makeRecord(
                        sop: sop, series: series, study: study, patient: study <= 2 ? "P1" : "P2",
                        received: time(study * 1000 + series * 10 + sop % 7), size: Int64(sop)))
                }
            }
        }
        XCTAssertEqual(records.count, 1000)
        try catalog.recordInstances(records)
        let counts = try catalog.counts()
        XCTAssertEqual(counts, CatalogCounts(
            patients: 2, studies: 4, series: 20, instances: 1000, missingInstances: 0,
            bytes: 20 * Int64(50 * 51 / 2)))
        let batchLog = logs.entries(containing: "batch recorded")
        XCTAssertEqual(batchLog.count, 1)
        XCTAssertEqual(batchLog.first?.metadata["catalog.batch_size"], "1000")
    }

    func testRecentStudiesNewestFirstWithCounts() throws {
        try catalog.recordInstances([
            makeRecord(sop: 1, series: 1, study: 1, received: time(10)),
            makeRecord(sop: 2, series: 1, study: 1, received: time(20)),
            makeRecord(sop: 1, series: 2, study: 1, received: time(15)),
            makeRecord(sop: 1, series: 1, study: 2, patient: "P2", received: time(30)),
        ])
        try catalog.recordInstances([makeRecord(sop: 1, series: 1, study: 3, patient: "P3", received: time(5))])

        let studies = try catalog.recentStudies(limit: 10)
        XCTAssertEqual(studies.map(\.studyInstanceUID), [2, 1, 3].map { "1.2.826.0.1.3680043.10.1.\($0)" })
        let study1 = studies[1]
        XCTAssertEqual(study1.patientID, "P1")
        XCTAssertEqual(study1.patientName, "Doe^P1")
        XCTAssertEqual(study1.studyDate, "20240102")
        XCTAssertEqual(study1.studyDescription, "Study 1")
        XCTAssertEqual(study1.accessionNumber, "ACC1")
        XCTAssertEqual(study1.seriesCount, 2)
        XCTAssertEqual(study1.instanceCount, 3)
        XCTAssertEqual(study1.firstReceivedAt, time(10))
        XCTAssertEqual(study1.lastReceivedAt, time(20))
        XCTAssertEqual(try catalog.recentStudies(limit: 2).count, 2)
        XCTAssertEqual(try catalog.recentStudies(limit: 0).count, 0)
    }

    func testSeriesSummariesOrderedByNumber() throws {
        try catalog.recordInstances([
            makeRecord(sop: 1, series: 1, received: time(1), seriesNumber: 3),
            makeRecord(sop: 2, series: 1, received: time(9), seriesNumber: 3),
            makeRecord(sop: 1, series: 2, received: time(2), seriesNumber: 1, modality: "PT"),
            makeRecord(sop: 1, series: 3, study: 2, received: time(3)),
        ])
        let series = try catalog.seriesSummaries(studyInstanceUID: "1.2.826.0.1.3680043.10.1.1")
        XCTAssertEqual(series.map(\.seriesNumber), [1, 3])
        XCTAssertEqual(series.map(\.modality), ["PT", "CT"])
        XCTAssertEqual(series.map(\.instanceCount), [1, 2])
        XCTAssertEqual(series[1].seriesInstanceUID, "1.2.826.0.1.3680043.10.1.1.1")
        XCTAssertEqual(series[1].studyInstanceUID, "1.2.826.0.1.3680043.10.1.1")
        XCTAssertEqual(series[1].bodyPartExamined, "CHEST")
        XCTAssertEqual(series[1].seriesDescription, "Series 1")
        XCTAssertEqual(series[1].firstReceivedAt, time(1))
        XCTAssertEqual(series[1].lastReceivedAt, time(9))
        XCTAssertEqual(series[1].missingInstanceCount, 0)
        XCTAssertEqual(try catalog.seriesSummaries(studyInstanceUID: "9.9.9"), [])
    }

    func testNilAttributesDoNotEraseStoredOnes() throws {
        try catalog.recordInstances([makeRecord(sop: 1, modality: "MR")])
        var later = makeRecord(sop: 2, modality: nil)
        later.studyDescription = nil
        later.patientSex = nil
        try catalog.recordInstances([later])
        let stored = try XCTUnwrap(try catalog.instance(sopInstanceUID: later.sopInstanceUID))
        XCTAssertEqual(stored.record.modality, "MR")
        XCTAssertEqual(stored.record.studyDescription, "Study 1")
        XCTAssertEqual(stored.record.patientSex, "O")
    }

    func testInstanceMovedToAnotherSeriesLeavesNoEmptyParents() throws {
        let original = makeRecord(sop: 1, series: 1, study: 1, patient: "OLD")
        try catalog.recordInstances([original])
        var corrected = makeRecord(sop: 1, series: 2, study: 2, patient: "NEW")
        corrected.sopInstanceUID = original.sopInstanceUID
        try catalog.recordInstances([corrected])
        XCTAssertEqual(try catalog.counts(), CatalogCounts(
            patients: 1, studies: 1, series: 1, instances: 1, missingInstances: 0, bytes: 1000))
        let stored = try catalog.instance(sopInstanceUID: original.sopInstanceUID)
        XCTAssertEqual(stored?.record.seriesInstanceUID, corrected.seriesInstanceUID)
        XCTAssertEqual(stored?.record.patientID, "NEW")
    }

    func testAnotherInstanceAtTheSamePathIsReplaced() throws {
        let first = makeRecord(sop: 1)
        var second = makeRecord(sop: 2)
        second.filePath = first.filePath
        try catalog.recordInstances([first])
        try catalog.recordInstances([second])
        XCTAssertNil(try catalog.instance(sopInstanceUID: first.sopInstanceUID))
        XCTAssertEqual(try catalog.instance(sopInstanceUID: second.sopInstanceUID)?.record.filePath, first.filePath)
        XCTAssertEqual(try catalog.counts().instances, 1)
        XCTAssertEqual(logs.entries(containing: "same path").count, 1)
    }

    func testRecordWithoutUIDIsRefusedAndNothingIsWritten() throws {
        var bad = makeRecord(sop: 2)
        bad.seriesInstanceUID = ""
        XCTAssertThrowsError(try catalog.recordInstances([makeRecord(sop: 1), bad])) { error in
            XCTAssertEqual(error as? CatalogError, .invalidRecord)
            XCTAssertTrue("\(error)".contains("SeriesInstanceUID"), "\(error)")
        }
        XCTAssertEqual(try catalog.counts().instances, 0)
    }

    func testEmptyBatchIsANoOp() throws {
        try catalog.recordInstances([])
        XCTAssertEqual(try catalog.counts(), CatalogCounts())
    }

    func testConcurrentWritersAndReadersShareOneCatalog() throws {
        let catalog = try XCTUnwrap(self.catalog)
        let failures = LogCapture()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                for batch in 0..<25 {
                    if worker % 2 == 0 {
                        let records = (0..<20).map {
                            makeRecord(sop: batch * 20 + $0, series: worker, received: time(batch))
                        }
                        try catalog.recordInstances(records)
                    } else {
                        _ = try catalog.counts()
                        _ = try catalog.recentStudies(limit: 5)
                    }
                }
            } catch {
                failures.append(.init(level: .error, message: "\(error)", metadata: [:]))
            }
        }
        XCTAssertEqual(failures.messages(), [])
        XCTAssertEqual(try catalog.counts().instances, 2 * 25 * 20)
    }
}

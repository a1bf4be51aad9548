import CatalogTestSupport
import Foundation
import XCTest
@testable import Catalog

/// Opening a catalog written before the pipeline migration.
final class UpgradeTests: XCTestCase {
    func testSeriesStoredBeforeThePipelineAreNotAnalyzedRetroactively() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir.appendingPathComponent("old.sqlite").path
        do {  // a catalog as the foundation release left it: 0001 only, one series
            let c = try Connection(path: path, mode: .readWrite)
            try c.execute(script: "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
            try c.execute(script: Migrations.all[0].sql)
            try c.execute(script: """
                INSERT INTO schema_migrations VALUES ('0001_initial', 0);
                INSERT INTO patients (id, patient_id, patient_name) VALUES (1, 'P1', 'Doe^P1');
                INSERT INTO studies (id, study_uid, patient_ref, first_received_at, last_received_at)
                    VALUES (1, '1.2.826.0.1.3680043.10.1.1', 1, 1700000000, 1700000000);
                INSERT INTO series (id, series_uid, study_ref, first_received_at, last_received_at)
                    VALUES (1, '1.2.826.0.1.3680043.10.1.1.1', 1, 1700000000, 1700000000);
                """)
        }
        let catalog = try Catalog(path: path, logger: LogCapture().logger())
        XCTAssertEqual(try catalog.appliedMigrations(), MigrationTests.all)
        XCTAssertEqual(try catalog.quietSeries(quietSince: Date()), [], "old series are not queued for analysis")
        // A new instance re-opens it as usual.
        try catalog.recordInstances([makeRecord(sop: 7, received: time(100))])
        XCTAssertEqual(try catalog.quietSeries(quietSince: Date()).map(\.seriesInstanceUID), ["1.2.826.0.1.3680043.10.1.1.1"])
    }
}

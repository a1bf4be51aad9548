import Foundation
import XCTest
@testable import DICOM

/// What the SCP tests share: DCMTK initialised and a fresh temporary folder with `incoming/`
/// (the SCP's temp files), removed afterwards.
class SCPTestCase: XCTestCase {
    var tmp: URL!

    /// The SCP's `incomingDirectory`.
    var incoming: String { tmp.appendingPathComponent("incoming").path }

    override func setUpWithError() throws {
        try DICOMToolkit.initialize()
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("dicomtests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("incoming"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }
}

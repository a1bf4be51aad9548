import Catalog
import DICOM
import Foundation
import Logging
import Synchronization

/// The C-STORE handler (Orthanc's `IStoreRequestHandler`, in Swift): decides on
/// associations and makes every received instance durable before it is acknowledged:
/// temp file fsync'd → renamed into the spool → folder fsync'd and row committed
/// (group commit) → success. Runs on DCMTK's association threads.
final class IngestService: StorageSCPDelegate {
    struct Policy: Sendable {
        var aeTitle: String
        var allowedCallers: [AllowedCaller]
        var minFreeBytes: UInt64
    }

    struct Counters: Sendable {
        var stored = 0
        var refused = 0
        var bytes: UInt64 = 0
        var associations = 0
        /// Associations rejected at negotiation, and accepted ones left with no usable
        /// presentation context (every proposed SOP class or transfer syntax refused).
        var rejectedAssociations = 0
        /// Accepted associations that ended without a release (aborted by either side,
        /// idle timeout, shutdown, broken PDUs).
        var abortedAssociations = 0
        /// Proposed presentation contexts rejected in accepted associations.
        var rejectedContexts = 0
        /// Open associations with no usable context (counted as rejected, not again as aborted).
        var unusable: Set<UInt64> = []
        /// Connections closed unread over the negotiating caps.
        var refusedConnections = 0
    }

    let dataDirectory: DataDirectory
    let policy: Policy
    private let committer: GroupCommitter
    private let logger: Logger
    private let counters = Mutex(Counters())
    /// Called after each durable store (e.g. to feed series completion later).
    private let onStored: @Sendable (InstanceRecord) -> Void

    init(dataDirectory: DataDirectory, policy: Policy, committer: GroupCommitter, logger: Logger,
         onStored: @escaping @Sendable (InstanceRecord) -> Void = { _ in })
    {
        self.dataDirectory = dataDirectory
        self.policy = policy
        self.committer = committer
        self.logger = logger
        self.onStored = onStored
    }

    var snapshot: Counters { counters.withLock { $0 } }

    private func diskIsLow() -> (low: Bool, freeMB: UInt64) {
        guard policy.minFreeBytes > 0 else { return (false, 0) }
        let free = FileSystem.freeBytes(dataDirectory.root.path) ?? 0
        return (free < policy.minFreeBytes, free / (1024 * 1024))
    }

    // MARK: StorageSCPDelegate

    func acceptAssociation(_ r: AssociationRequest) -> AssociationDecision {
        if r.calledAE != policy.aeTitle {
            return .rejectCalledAE(reason: "called AE '\(r.calledAE)' is not ours ('\(policy.aeTitle)')")
        }
        if !policy.allowedCallers.isEmpty
            && !policy.allowedCallers.contains(where: { $0.matches(callingAE: r.callingAE, peerHost: r.peerHost) })
        {
            return .rejectCallingAE(reason: "calling AE '\(r.callingAE)' from \(r.peerHost) is not in allowed_callers")
        }
        let disk = diskIsLow()
        if disk.low {
            return .rejectNoResources(
                reason: "free space \(disk.freeMB) MB in data_dir is below min_free_mb \(policy.minFreeBytes / 1_048_576)")
        }
        counters.withLock { $0.associations += 1 }
        return .accept
    }

    func precheckStore(callingAE: String) -> StoreOutcome? {
        let disk = diskIsLow()
        guard disk.low else { return nil }
        return StoreOutcome(.outOfResources, "disk below watermark (\(disk.freeMB) MB free)")
    }

    func store(_ r: StoreRequest) -> StoreOutcome {
        let info = r.info
        // Liberal (DESIGN §6): any UID is stored as sent (the bridge hands its identity, padding
        // dropped); only one that is missing leaves the instance without a place in the spool.
        for (name, uid) in [("SOPInstanceUID", info.sopInstanceUID), ("SOPClassUID", info.sopClassUID),
                            ("StudyInstanceUID", info.studyInstanceUID), ("SeriesInstanceUID", info.seriesInstanceUID)]
            where uid.isEmpty
        {
            try? FileManager.default.removeItem(atPath: r.tempPath)
            return refuse(r, .cannotUnderstand, "no \(name)")
        }
        let conformant = [info.sopInstanceUID, info.seriesInstanceUID, info.studyInstanceUID, info.sopClassUID]
            .allSatisfy(UID.isValid)
        let relative = DataDirectory.instancePath(
            study: info.studyInstanceUID, series: info.seriesInstanceUID, instance: info.sopInstanceUID)
        let destination = dataDirectory.url(of: relative).path
        let seriesDirectory = (destination as NSString).deletingLastPathComponent
        var replaced = false
        do {
            // Parents of folders created for a new study/series; synced by the committer.
            let created = try FileSystem.makeDirectories(seriesDirectory)
            try FileSystem.syncFile(r.tempPath)
            replaced = FileSystem.exists(destination)
            try FileSystem.rename(r.tempPath, destination)
            // Concurrent directory fsyncs from several associations share one journal commit.
            try FileSystem.syncDirectory(seriesDirectory)
            let record = InstanceRecord(info, filePath: relative, callingAE: r.callingAE, remoteHost: r.peerHost)
            do {
                try committer.commit(.init(directories: created, record: record))
            } catch {
                // Not acknowledged: take a new file back out (the sender will retry); a file
                // that replaced an earlier copy is complete and stays (reconcile keeps it).
                if !replaced { try? FileManager.default.removeItem(atPath: destination) }
                return refuse(r, error.isNoSpace ? .outOfResources : .processingFailure, error.message)
            }
            counters.withLock {
                $0.stored += 1
                $0.bytes += UInt64(max(0, info.fileSize))
            }
            if !conformant {
                logger.info("stored with a non-conformant UID", metadata: [
                    "dicom.association": "\(r.associationID)", "dicom.calling_ae": "\(r.callingAE)",
                    "dicom.sop_instance_uid": "\(info.sopInstanceUID)", "dicom.sop_class_uid": "\(info.sopClassUID)",
                    "dicom.study_uid": "\(info.studyInstanceUID)", "dicom.series_uid": "\(info.seriesInstanceUID)",
                    "ingest.file": "\(relative)",
                ])
            }
            onStored(record)
            return .success
        } catch {
            try? FileManager.default.removeItem(atPath: r.tempPath)
            return refuse(r, error.isNoSpace ? .outOfResources : .processingFailure, error.description)
        }
    }

    private func refuse(_ r: StoreRequest, _ status: DIMSEStatus, _ reason: String) -> StoreOutcome {
        storeRefused(associationID: r.associationID, callingAE: r.callingAE, status: status, reason: reason)
        return StoreOutcome(status, reason)
    }

    func storeRefused(associationID: UInt64, callingAE: String, status: DIMSEStatus?, reason: String) {
        counters.withLock { $0.refused += 1 }
        logger.warning("store refused", metadata: [
            "dicom.association": "\(associationID)", "dicom.calling_ae": "\(callingAE)",
            "dimse.status": "\(status?.hex ?? "none (association ended)")", "dicom.reason": "\(reason)",
        ])
    }

    func associationRejected(_ r: AssociationRequest, reason: String) {
        if reason.isEmpty {
            logger.debug("connection closed without an association request", metadata: ["dicom.peer": "\(r.peerHost)"])
            return
        }
        counters.withLock { $0.rejectedAssociations += 1 }
        logger.warning("association rejected", metadata: [
            "dicom.calling_ae": "\(r.callingAE)", "dicom.called_ae": "\(r.calledAE)",
            "dicom.peer": "\(r.peerHost)", "dicom.reason": "\(reason)",
        ])
    }

    func connectionsRefused(peerHost: String, count: Int, reason: String) {
        counters.withLock { $0.refusedConnections += count }
        logger.warning("connections closed before negotiation", metadata: [
            "dicom.peer": "\(peerHost)", "dicom.connections": "\(count)", "dicom.reason": "\(reason)",
        ])
    }

    func contextsRejected(associationID: UInt64, callingAE: String, peerHost: String, reasons: String, accepted: Int,
                          rejected: Int) {
        counters.withLock {
            $0.rejectedContexts += rejected
            if accepted == 0 {
                $0.rejectedAssociations += 1
                $0.unusable.insert(associationID)
            }
        }
        logger.warning(accepted == 0 ? "association rejected: no presentation context accepted" : "presentation contexts rejected",
                       metadata: [
                           "dicom.association": "\(associationID)", "dicom.calling_ae": "\(callingAE)",
                           "dicom.peer": "\(peerHost)", "dicom.contexts_accepted": "\(accepted)",
                           "dicom.reason": "\(reasons)",
                       ])
    }

    func associationEnded(_ s: AssociationSummary) {
        let unusable = counters.withLock { $0.unusable.remove(s.associationID) != nil }
        if s.endReason != "released" && !unusable {
            counters.withLock { $0.abortedAssociations += 1 }
            logger.warning("association aborted", metadata: [
                "dicom.association": "\(s.associationID)", "dicom.calling_ae": "\(s.callingAE)",
                "dicom.peer": "\(s.peerHost)", "ingest.instances": "\(s.instancesStored)",
                "dicom.reason": "\(s.endReason)",
            ])
        }
        let rate = s.seconds > 0 ? Double(s.instancesStored) / s.seconds : 0
        logger.info("association ended", metadata: [
            "dicom.association": "\(s.associationID)", "dicom.calling_ae": "\(s.callingAE)",
            "dicom.peer": "\(s.peerHost)", "ingest.instances": "\(s.instancesStored)",
            "ingest.failed": "\(s.instancesFailed)", "ingest.bytes": "\(s.bytesStored)",
            "ingest.seconds": "\(String(format: "%.3f", s.seconds))", "ingest.rate_per_s": "\(String(format: "%.1f", rate))",
            "dicom.end": "\(s.endReason)",
        ])
    }
}

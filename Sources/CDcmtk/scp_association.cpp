// Storage SCP, one association: a DcmThreadSCP that accepts presentation contexts like
// storescp, polls for commands, receives each dataset into a temp file and asks its owner for
// the status. The negotiation worker (scp_negotiation.cpp) has read and checked the request.
#include "scp_internal.h"
#include "pdu_filter.h"
#include "scp_store_file.h"

namespace {

// Transfer syntaxes of DESIGN §6, uncompressed first so that a sender offering both
// never has to compress for us, then lossless before lossy; compressed data that arrives
// compressed is kept as is. JPEG 2000 and HTJ2K are decoded through OpenJPEG (j2k*.cpp).
const char *kStorageTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    "1.2.840.10008.1.2.4.201",  // HTJ2K lossless only (DCMTK 3.6.7 has no name for it)
    "1.2.840.10008.1.2.4.202",  // HTJ2K RPCL lossless only
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEG2000TransferSyntax,  // lossless or lossy
    "1.2.840.10008.1.2.4.203",  // HTJ2K, lossless or lossy
};

const char *kVerificationSOPClasses[] = {UID_VerificationSOPClass};

const char *kVerificationTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
};

}  // namespace

namespace dk_scp_detail {

std::string trimmed(const char *s) {
    std::string v = s ? s : "";
    size_t end = v.find_last_not_of(' ');
    if (end == std::string::npos) return "";
    size_t start = v.find_first_not_of(' ');
    return v.substr(start, end - start + 1);
}

namespace {

class StoreSCP : public DcmThreadSCP {
public:
    StoreSCP(dk_scp *owner, T_ASC_Association *assoc, uint64_t id, std::shared_ptr<Link> link)
        : owner_(owner), assoc_(assoc), id_(id), link_(std::move(link)) {
        callingAE_ = trimmed(assoc->params->DULparams.callingAPTitle);
        calledAE_ = trimmed(assoc->params->DULparams.calledAPTitle);
        peer_ = link_->host;
    }

    void serve() {
        start_ = std::chrono::steady_clock::now();
        run(assoc_);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        if (owner_->cb.association_ended) {
            dk_association_summary s;
            s.association_id = id_;
            s.calling_ae = callingAE_.c_str();
            s.called_ae = calledAE_.c_str();
            s.peer_host = peer_.c_str();
            s.instances_stored = stored_;
            s.instances_failed = failed_;
            s.bytes_stored = bytes_;
            s.seconds = seconds;
            s.end_reason = endReason_.empty() ? "ended" : endReason_.c_str();
            owner_->cb.association_ended(owner_->cb.context, &s);
        }
    }

protected:
    // What storescp does once the request passed the checks of the negotiation worker: an
    // A-ASSOCIATE-AC, even when no proposed context is acceptable (each is then rejected with
    // its reason; DcmSCP would send an RJ). Then the association is served.
    OFCondition processAssociationRQ() override {
        ASC_setAPTitles(assoc_->params, NULL, NULL, owner_->aeTitle.c_str());
        OFCondition cond = negotiateAssociation();
        if (cond.good()) reportRejectedContexts(owner_, assoc_, id_, callingAE_, peer_);
        if (cond.good()) cond = ASC_acknowledgeAssociation(assoc_);
        if (cond.bad()) {
            endReason_ = std::string("error: cannot accept: ") + cond.text();
            refuseAssociation(DCMSCP_INTERNAL_ERROR);  // an RJ rather than silence, if it still can
            return cond;
        }
        realSyntax_ = relabelUnknownSyntaxes(assoc_);  // HTJ2K, after the AC: see scp_store_file.h
        handleAssociation();
        return EC_Normal;
    }

    // The stock loop blocks for the whole DIMSE timeout; ours polls every second so that a
    // shutdown can end an association between commands. idle_timeout is the watchdog's
    // (scp_watchdog.cpp): it ends the wait DCMTK is in, between messages or inside a PDU,
    // and every DIMSE call then fails and lands here.
    void handleAssociation() override {
        OFCondition cond = EC_Normal;
        T_DIMSE_Message message;
        T_ASC_PresentationContextID presID = 0;
        for (;;) {
            if (owner_->abortAll.load() || link_->expired.load() != kNotExpired) break;
            cond = DIMSE_receiveCommand(assoc_, DIMSE_NONBLOCKING, 1, &presID, &message, NULL);
            if (cond == DIMSE_NODATAAVAILABLE) continue;
            if (cond.bad()) break;
            DcmPresentationContextInfo info;
            getPresentationContextInfo(assoc_, presID, info);
            cond = handleIncomingCommand(&message, info);
            if (cond.bad()) break;
        }
        int expired = link_->expired.load();
        if (expired != kNotExpired || owner_->abortAll.load()) {
            endReason_ = expired == kIdle ? "idle timeout" : "shutdown";
            ASC_abortAssociation(assoc_);  // unless the transport already sent the A-ABORT
        } else if (cond == DUL_PEERREQUESTEDRELEASE) {
            endReason_ = "released";
            ASC_acknowledgeRelease(assoc_);
        } else if (cond == DUL_PEERABORTEDASSOCIATION) {
            endReason_ = "aborted by peer";
        } else {
            endReason_ = std::string("error: ") + cond.text();
            ASC_abortAssociation(assoc_);
        }
    }

    // What storescp does: accept Verification and every storage SOP class DCMTK knows,
    // choosing the first of our transfer syntaxes that the caller proposed.
    OFCondition negotiateAssociation() override {
        OFCondition cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
            assoc_->params, kVerificationSOPClasses, 1, kVerificationTransferSyntaxes,
            (int)(sizeof(kVerificationTransferSyntaxes) / sizeof(kVerificationTransferSyntaxes[0])));
        if (cond.good())
            cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
                assoc_->params, dcmAllStorageSOPClassUIDs, numberOfDcmAllStorageSOPClassUIDs,
                kStorageTransferSyntaxes,
                (int)(sizeof(kStorageTransferSyntaxes) / sizeof(kStorageTransferSyntaxes[0])));
        return cond;
    }

    OFCondition handleIncomingCommand(T_DIMSE_Message *msg, const DcmPresentationContextInfo &info) override {
        if (msg->CommandField == DIMSE_C_STORE_RQ) {
            try {
                return handleStore(msg->msg.CStoreRQ, info.presentationContextID);
            } catch (const std::exception &e) {
                endReason_ = std::string("exception: ") + e.what();
                return makeOFCondition(0xffff, 2, OF_error, e.what());
            }
        }
        return DcmThreadSCP::handleIncomingCommand(msg, info);
    }

    // Starts write-back of what has been received so far, so that the fsync that
    // makes the file durable mostly waits for the tail only.
    void notifyRECEIVEProgress(const unsigned long byteCount) override {
        receivedBytes_ = byteCount;
        if (currentTemp_.empty()) return;
        if (progressFd_ < 0) progressFd_ = ::open(currentTemp_.c_str(), O_RDONLY | O_CLOEXEC);
        if (progressFd_ >= 0 && byteCount - lastSync_ >= (1u << 18)) {
            sync_file_range(progressFd_, 0, 0, SYNC_FILE_RANGE_WRITE);
            lastSync_ = byteCount;
        }
    }

private:
    /// DIMSE progress callback of our own receive (the context is the StoreSCP).
    static void receiveProgress(void *context, unsigned long byteCount) {
        static_cast<StoreSCP *>(context)->notifyRECEIVEProgress(byteCount);
    }

    OFCondition respond(T_ASC_PresentationContextID presID, const T_DIMSE_C_StoreRQ &req, uint16_t status,
                        const char *comment) {
        DcmDataset *detail = nullptr;
        if (status != STATUS_Success && comment && comment[0]) {
            detail = new DcmDataset;
            std::string c(comment);
            if (c.size() > 64) c.resize(64);
            detail->putAndInsertString(DCM_ErrorComment, c.c_str());
        }
        OFCondition cond = sendSTOREResponse(presID, req.MessageID, req.AffectedSOPClassUID,
                                             req.AffectedSOPInstanceUID, status, detail);
        delete detail;
        return cond;
    }

    OFCondition refuse(T_ASC_PresentationContextID presID, const T_DIMSE_C_StoreRQ &req, uint16_t status,
                       const std::string &reason) {
        failed_++;
        if (owner_->cb.store_refused)
            owner_->cb.store_refused(owner_->cb.context, id_, callingAE_.c_str(), status, reason.c_str());
        return respond(presID, req, status, reason.c_str());
    }

    OFCondition handleStore(T_DIMSE_C_StoreRQ &req, T_ASC_PresentationContextID presID) {
        char comment[256] = {0};
        uint16_t pre = owner_->cb.precheck_store
                           ? owner_->cb.precheck_store(owner_->cb.context, callingAE_.c_str(), comment, sizeof(comment))
                           : 0;
        if (pre != 0) {
            DIC_UL bytesRead = 0, pdvCount = 0;
            OFCondition cond = DIMSE_ignoreDataSet(assoc_, DIMSE_NONBLOCKING, owner_->idleTimeout, &bytesRead, &pdvCount);
            if (cond.bad()) return cond;
            return refuse(presID, req, pre, comment);
        }

        std::string temp = owner_->incomingDir + "/" + std::to_string(id_) + "-" + std::to_string(++counter_) + ".part";
        currentTemp_ = temp;
        lastSync_ = 0;
        receivedBytes_ = 0;
        // The file meta carries the provenance (calling AE, peer, our AE), so that a catalog
        // rebuilt from the spool still knows where each instance came from.
        StoreTarget target{temp, Provenance{callingAE_, calledAE_, peer_}, getDIMSEBlockingMode(),
                           (int)getDIMSETimeout(), &StoreSCP::receiveProgress, this};
        auto relabeled = realSyntax_.find(presID);
        if (relabeled != realSyntax_.end()) target.transferSyntax = relabeled->second;
        T_ASC_PresentationContextID datasetPresID = presID;
        OFCondition cond = receiveIntoFile(assoc_, req, presID, target, datasetPresID);
        if (progressFd_ >= 0) {
            ::close(progressFd_);
            progressFd_ = -1;
        }
        currentTemp_.clear();
        if (cond.bad()) {
            ::unlink(temp.c_str());
            // A file that could not be created or written (disk full, permissions):
            // DCMTK has read the rest of the dataset off the wire, so we can answer.
            if (cond.code() == DIMSEC_OUTOFRESOURCES)
                return refuse(presID, req, STATUS_STORE_Refused_OutOfResources,
                              std::string("cannot write to spool: ") + cond.text());
            failed_++;
            if (owner_->cb.store_refused) {
                std::string why = std::string("dataset not received: ") + cond.text();
                owner_->cb.store_refused(owner_->cb.context, id_, callingAE_.c_str(), 0, why.c_str());
            }
            return cond;  // the association is broken: it ends here
        }
        // The file stream buffers: a failed final flush (ENOSPC) leaves a short file.
        struct stat st;
        if (::stat(temp.c_str(), &st) != 0 || (uint64_t)st.st_size < (uint64_t)receivedBytes_ + 132) {
            ::unlink(temp.c_str());
            return refuse(presID, req, STATUS_STORE_Refused_OutOfResources,
                          "short write to spool (disk full?)");
        }

        // Bounded, non-recursive walk of the file before DCMTK parses it: nesting, counts,
        // lengths, completeness of Pixel Data, and the identity of the instance as stored
        // (dataset_scan*.cpp). Non-conformant UIDs are stored (DESIGN §6); only a dataset
        // without SOP UIDs or naming another instance than its command is refused.
        dk_scan_options limits;
        dk_scan_default_options(&limits);
        limits.check_uids = 1;
        dk_scan_report scan;
        dk_status scanned = dk_scan_file(temp.c_str(), &limits, &scan);
        if (!scanned.ok || scan.problem != DK_SCAN_OK) {
            ::unlink(temp.c_str());
            if (!scanned.ok)
                return refuse(presID, req, STATUS_STORE_Error_CannotUnderstand, std::string("cannot scan dataset: ") + scanned.text);
            return refuse(presID, req, scan.dimse_status, scan.reason);
        }
        // The command's Affected SOP Instance UID as the peer sent it: the PDU filter kept its
        // bytes (DCMTK's parse trims it and drops spaces and what follows a NUL).
        CommandIdentity command;
        command.sopClass = trimmed(req.AffectedSOPClassUID);
        command.sopInstanceParsed = trimmed(req.AffectedSOPInstanceUID);
        command.haveRaw = lastAffectedInstance(assoc_, command.sopInstanceRaw, command.sopInstanceRawLength);
        std::string why;
        if (uint16_t status = checkIdentity(scan, command, why)) {
            ::unlink(temp.c_str());
            return refuse(presID, req, status, why);
        }

        DcmFileFormat ff;
        cond = ff.loadFileUntilTag(temp.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect,
                                   DCM_PixelData);
        if (cond.bad()) {
            ::unlink(temp.c_str());
            return refuse(presID, req, STATUS_STORE_Error_CannotUnderstand,
                          std::string("unreadable dataset: ") + cond.text());
        }
        dk_file_info info;
        dk_fill_file_info(ff, temp.c_str(), &info);
        dk_use_scan_identity(scan, &info);

        dk_store_request sr;
        sr.temp_path = temp.c_str();
        sr.calling_ae = callingAE_.c_str();
        sr.peer_host = peer_.c_str();
        sr.association_id = id_;
        sr.command_sop_class_uid = req.AffectedSOPClassUID;
        sr.command_sop_instance_uid = req.AffectedSOPInstanceUID;
        sr.info = &info;
        uint16_t status = owner_->cb.store(owner_->cb.context, &sr, comment, sizeof(comment));
        if (status == STATUS_Success) {
            stored_++;
            bytes_ += (uint64_t)info.file_size;
        } else {
            ::unlink(temp.c_str());
            failed_++;
        }
        return respond(presID, req, status, comment);
    }

    dk_scp *owner_;
    T_ASC_Association *assoc_;
    uint64_t id_;
    std::shared_ptr<Link> link_;
    std::string callingAE_, calledAE_, peer_, endReason_;
    std::map<T_ASC_PresentationContextID, std::string> realSyntax_;  // relabeled contexts' real syntaxes
    std::string currentTemp_;
    int progressFd_ = -1;
    unsigned long lastSync_ = 0;
    unsigned long receivedBytes_ = 0;
    uint64_t counter_ = 0, stored_ = 0, failed_ = 0, bytes_ = 0;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace

void runAssociation(dk_scp *scp, T_ASC_Association *assoc, uint64_t id, std::shared_ptr<Link> link) {
    try {
        StoreSCP worker(scp, assoc, id, std::move(link));
        worker.setSharedConfig(scp->shared);
        worker.serve();
        // ~DcmSCP drops and destroys the association.
    } catch (...) {
    }
}

}  // namespace dk_scp_detail

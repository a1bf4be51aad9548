// Storage SCP: our own accept loop plus one DcmThreadSCP per association on its
// own thread (DcmSCPPool leaks a thread per association in 3.6.7, DCMTK_NOTES §2).
#include "internal.h"

#include "dcmtk/dcmnet/scpthrd.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dulstruc.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmtls/tlslayer.h"
#include "dcmtk/dcmtls/tlscond.h"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

struct dk_scp {
    std::string aeTitle;
    std::string incomingDir;
    int port = 0;
    int maxAssociations = 16;
    uint32_t maxPDU = 131072;
    int acseTimeout = 30;
    int idleTimeout = 60;
    dk_scp_callbacks cb;
    T_ASC_Network *net = nullptr;
    // Owned here (not by the network): deleted in dk_scp_free, after every association ended.
    DcmTLSTransportLayer *tls = nullptr;
    DcmSharedSCPConfig shared;
    std::thread acceptThread;
    std::atomic<bool> accepting{true};
    std::atomic<bool> abortAll{false};
    std::atomic<uint64_t> nextAssociationID{1};
    std::mutex mutex;
    std::condition_variable changed;
    int active = 0;
};

namespace {

// Transfer syntaxes of DESIGN §6, uncompressed first so that a sender offering both
// never has to compress for us; compressed data that arrives compressed is kept as is.
const char *kStorageTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
};

const char *kVerificationSOPClasses[] = {UID_VerificationSOPClass};

const char *kVerificationTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
};

void rejectAndDrop(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
                   T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason) {
    T_ASC_RejectParameters rej;
    rej.result = result;
    rej.source = source;
    rej.reason = reason;
    ASC_rejectAssociation(assoc, &rej);
    ASC_dropAssociation(assoc);
    ASC_destroyAssociation(&assoc);
}

// A TLS connection closed before or during the handshake without a TLS alert: a port
// probe or health check (what a plain TCP connect without an A-ASSOCIATE-RQ is without TLS).
bool closedDuringHandshake(const OFCondition &cond) {
    if (cond.module() != OFM_dcmtls) return false;
    if (cond == DCMTLS_EC_OpenSSLIOError || cond == DCMTLS_EC_TLSConnectionClosedByPeer) return true;
    const char *text = cond.text();
    return text && strstr(text, "unexpected eof") != nullptr;
}

std::string trimmed(const char *s) {
    std::string v = s ? s : "";
    size_t end = v.find_last_not_of(' ');
    if (end == std::string::npos) return "";
    size_t start = v.find_first_not_of(' ');
    return v.substr(start, end - start + 1);
}

class StoreSCP : public DcmThreadSCP {
public:
    StoreSCP(dk_scp *owner, T_ASC_Association *assoc, uint64_t id)
        : owner_(owner), assoc_(assoc), id_(id) {
        callingAE_ = trimmed(assoc->params->DULparams.callingAPTitle);
        calledAE_ = trimmed(assoc->params->DULparams.calledAPTitle);
        peer_ = assoc->params->DULparams.callingPresentationAddress;
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
    // The stock loop blocks for the whole DIMSE timeout; ours polls every second so
    // that idle associations time out and a shutdown can end them between commands.
    void handleAssociation() override {
        OFCondition cond = EC_Normal;
        T_DIMSE_Message message;
        T_ASC_PresentationContextID presID = 0;
        int idleSeconds = 0;
        for (;;) {
            if (owner_->abortAll.load()) {
                endReason_ = "shutdown";
                ASC_abortAssociation(assoc_);
                return;
            }
            cond = DIMSE_receiveCommand(assoc_, DIMSE_NONBLOCKING, 1, &presID, &message, NULL);
            if (cond == DIMSE_NODATAAVAILABLE) {
                if (++idleSeconds >= owner_->idleTimeout) {
                    endReason_ = "idle timeout";
                    ASC_abortAssociation(assoc_);
                    return;
                }
                continue;
            }
            idleSeconds = 0;
            if (cond.bad()) break;
            DcmPresentationContextInfo info;
            getPresentationContextInfo(assoc_, presID, info);
            cond = handleIncomingCommand(&message, info);
            if (cond.bad()) break;
        }
        if (cond == DUL_PEERREQUESTEDRELEASE) {
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
        OFCondition cond = receiveSTORERequest(req, presID, OFString(temp.c_str()));
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
        if (info.sop_instance_uid[0] == 0 || info.sop_class_uid[0] == 0) {
            ::unlink(temp.c_str());
            return refuse(presID, req, STATUS_STORE_Error_CannotUnderstand,
                          "dataset has no SOP Class or SOP Instance UID");
        }
        if (strcmp(info.sop_class_uid, trimmed(req.AffectedSOPClassUID).c_str()) != 0 ||
            strcmp(info.sop_instance_uid, trimmed(req.AffectedSOPInstanceUID).c_str()) != 0) {
            ::unlink(temp.c_str());
            return refuse(presID, req, STATUS_STORE_Error_DataSetDoesNotMatchSOPClass,
                          "dataset SOP Class/Instance UID differs from the command");
        }

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
    std::string callingAE_, calledAE_, peer_, endReason_;
    std::string currentTemp_;
    int progressFd_ = -1;
    unsigned long lastSync_ = 0;
    unsigned long receivedBytes_ = 0;
    uint64_t counter_ = 0, stored_ = 0, failed_ = 0, bytes_ = 0;
    std::chrono::steady_clock::time_point start_;
};

void runAssociation(dk_scp *scp, T_ASC_Association *assoc, uint64_t id) {
    try {
        StoreSCP worker(scp, assoc, id);
        worker.setSharedConfig(scp->shared);
        worker.serve();
        // ~DcmSCP drops and destroys the association.
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(scp->mutex);
    scp->active--;
    scp->changed.notify_all();
}

void acceptLoop(dk_scp *scp) {
    while (scp->accepting.load()) {
        T_ASC_Association *assoc = nullptr;
        // With TLS, the handshake runs inside (on this thread, bounded by DCMTK's socket
        // receive timeout) before the A-ASSOCIATE-RQ is read.
        OFCondition cond = ASC_receiveAssociation(scp->net, &assoc, scp->maxPDU, NULL, NULL,
                                                  scp->tls ? OFTrue : OFFalse, DUL_NOBLOCK, 1);
        if (cond == DUL_NOASSOCIATIONREQUEST) {
            ASC_destroyAssociation(&assoc);
            continue;
        }
        if (cond.bad()) {
            // Garbage on the port, a peer that vanished during the request, a failed TLS
            // handshake (plain DICOM on the TLS port, untrusted or missing client certificate).
            std::string peer;
            if (assoc) {
                if (assoc->params) peer = assoc->params->DULparams.callingPresentationAddress;
                ASC_dropAssociation(assoc);
                ASC_destroyAssociation(&assoc);
            }
            if (scp->cb.association_rejected) {
                std::string why;  // empty: logged as a connection without a request
                if (closedDuringHandshake(cond)) why = "";
                else if (cond.module() == OFM_dcmtls) why = std::string("TLS handshake failed: ") + cond.text();
                else why = std::string("bad association request: ") + cond.text();
                scp->cb.association_rejected(scp->cb.context, "", "", peer.c_str(), why.c_str());
            }
            continue;
        }
        std::string calling = trimmed(assoc->params->DULparams.callingAPTitle);
        std::string called = trimmed(assoc->params->DULparams.calledAPTitle);
        std::string peer = assoc->params->DULparams.callingPresentationAddress;

        if (calling.empty() && called.empty()) {
            // A TCP connect without an A-ASSOCIATE-RQ (port probe, health check).
            ASC_dropAssociation(assoc);
            ASC_destroyAssociation(&assoc);
            if (scp->cb.association_rejected)
                scp->cb.association_rejected(scp->cb.context, "", "", peer.c_str(), "");
            continue;
        }
        if (!scp->accepting.load()) {
            if (scp->cb.association_rejected)
                scp->cb.association_rejected(scp->cb.context, calling.c_str(), called.c_str(), peer.c_str(),
                                             "node is shutting down");
            rejectAndDrop(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                          ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
            break;
        }
        bool tooMany;
        {
            std::lock_guard<std::mutex> lock(scp->mutex);
            tooMany = scp->active >= scp->maxAssociations;
        }
        int decision = DK_ASSOC_ACCEPT;
        char reason[256] = {0};
        if (tooMany) {
            decision = DK_ASSOC_REJECT_TOO_MANY;
            snprintf(reason, sizeof(reason), "too many associations (max_associations = %d)", scp->maxAssociations);
        } else if (scp->cb.accept_association) {
            decision = scp->cb.accept_association(scp->cb.context, calling.c_str(), called.c_str(), peer.c_str(),
                                                  reason, sizeof(reason));
        }
        if (decision != DK_ASSOC_ACCEPT) {
            if (scp->cb.association_rejected)
                scp->cb.association_rejected(scp->cb.context, calling.c_str(), called.c_str(), peer.c_str(), reason);
            switch (decision) {
            case DK_ASSOC_REJECT_CALLING_AE:
                rejectAndDrop(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                              ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
                break;
            case DK_ASSOC_REJECT_CALLED_AE:
                rejectAndDrop(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                              ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
                break;
            case DK_ASSOC_REJECT_TOO_MANY:
                rejectAndDrop(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                              ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
                break;
            default:
                rejectAndDrop(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                              ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
                break;
            }
            continue;
        }
        uint64_t id = scp->nextAssociationID.fetch_add(1);
        {
            std::lock_guard<std::mutex> lock(scp->mutex);
            scp->active++;
        }
        try {
            std::thread(runAssociation, scp, assoc, id).detach();
        } catch (...) {
            {
                std::lock_guard<std::mutex> lock(scp->mutex);
                scp->active--;
            }
            rejectAndDrop(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                          ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
        }
    }
}

} // namespace

extern "C" dk_status dk_scp_start(const dk_scp_config *config, dk_scp_callbacks callbacks, dk_scp **out) {
    *out = nullptr;
    try {
        dk_scp *scp = new dk_scp;
        scp->aeTitle = config->ae_title ? config->ae_title : "AUTOSEG";
        scp->incomingDir = config->incoming_dir ? config->incoming_dir : ".";
        scp->maxAssociations = config->max_associations > 0 ? config->max_associations : 16;
        scp->maxPDU = config->max_pdu ? config->max_pdu : 131072;
        scp->acseTimeout = config->acse_timeout > 0 ? config->acse_timeout : 30;
        scp->idleTimeout = config->idle_timeout > 0 ? config->idle_timeout : 60;
        scp->cb = callbacks;

        DcmSCPConfig &cfg = *scp->shared;
        cfg.setAETitle(scp->aeTitle.c_str());
        cfg.setMaxReceivePDULength(scp->maxPDU);
        cfg.setACSETimeout(scp->acseTimeout);
        cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        cfg.setDIMSETimeout(scp->idleTimeout);
        cfg.setHostLookupEnabled(OFFalse);
        cfg.setProgressNotificationMode(OFTrue);
        // Presentation contexts are negotiated in StoreSCP::negotiateAssociation (the
        // configuration's profile is limited to 128 entries; we accept ~150 SOP classes).
        OFCondition cond = ASC_initializeNetwork(NET_ACCEPTOR, config->port, scp->acseTimeout, &scp->net);
        if (cond.bad()) {
            delete scp;
            return dk_from_condition(cond);
        }
        if (config->tls) {
            dk_status st = dk_tls_make_layer(config->tls, true, &scp->tls);
            if (st.ok) {
                cond = ASC_setTransportLayer(scp->net, scp->tls, OFFalse);
                if (cond.bad()) st = dk_from_condition(cond);
            }
            if (!st.ok) {
                ASC_dropNetwork(&scp->net);
                delete scp->tls;
                delete scp;
                return st;
            }
        }
        scp->port = config->port;
        // With port 0 the kernel picked one: read it back from the listening socket.
        PRIVATE_NETWORKKEY *key = reinterpret_cast<PRIVATE_NETWORKKEY *>(scp->net->network);
        if (key) {
            struct sockaddr_storage addr;
            socklen_t len = sizeof(addr);
            if (getsockname(key->networkSpecific.TCP.listenSocket, (struct sockaddr *)&addr, &len) == 0) {
                if (addr.ss_family == AF_INET) scp->port = ntohs(((struct sockaddr_in *)&addr)->sin_port);
                else if (addr.ss_family == AF_INET6) scp->port = ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
            }
        }
        scp->acceptThread = std::thread(acceptLoop, scp);
        *out = scp;
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_scp_start");
    }
}

extern "C" int dk_scp_port(const dk_scp *scp) { return scp ? scp->port : 0; }

extern "C" int dk_scp_active_associations(const dk_scp *scp) {
    if (!scp) return 0;
    std::lock_guard<std::mutex> lock(const_cast<dk_scp *>(scp)->mutex);
    return scp->active;
}

extern "C" void dk_scp_stop_accepting(dk_scp *scp) {
    if (!scp) return;
    bool was = scp->accepting.exchange(false);
    if (was && scp->acceptThread.joinable()) scp->acceptThread.join();
    if (scp->net) ASC_dropNetwork(&scp->net);  // closes the listening socket
}

extern "C" int dk_scp_shutdown(dk_scp *scp, double grace) {
    if (!scp) return 0;
    dk_scp_stop_accepting(scp);
    std::unique_lock<std::mutex> lock(scp->mutex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace > 0 ? grace : 0);
    scp->changed.wait_until(lock, deadline, [scp] { return scp->active == 0; });
    int aborted = scp->active;
    if (aborted > 0) {
        scp->abortAll.store(true);
        scp->changed.wait(lock, [scp] { return scp->active == 0; });
    }
    return aborted;
}

extern "C" void dk_scp_free(dk_scp *scp) {
    if (!scp) return;
    dk_scp_shutdown(scp, 0);
    delete scp->tls;  // the network is dropped and no association is left
    delete scp;
}

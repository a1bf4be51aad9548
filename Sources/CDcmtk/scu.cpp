// SCU: C-ECHO with DcmSCU, C-STORE of files with DcmStorageSCU.
#include "internal.h"

#include "dcmtk/dcmnet/scu.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/dstorscu.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmtls/tlslayer.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

template <class SCU> void configure(SCU &scu, const dk_scu_target *t) {
    scu.setAETitle(t->calling_ae && t->calling_ae[0] ? t->calling_ae : "AUTOSEG");
    scu.setPeerAETitle(t->peer_ae);
    scu.setPeerHostName(t->host);
    scu.setPeerPort((Uint16)t->port);
    scu.setMaxReceivePDULength(t->max_pdu ? t->max_pdu : 131072);
    scu.setACSETimeout(t->acse_timeout > 0 ? t->acse_timeout : 30);
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setDIMSETimeout(t->dimse_timeout > 0 ? t->dimse_timeout : 60);
    scu.setConnectionTimeout(t->acse_timeout > 0 ? t->acse_timeout : 30);
}

// TLS client credentials for `t` (nothing when t->tls is NULL). The layer must outlive
// the SCU: declare it before the SCU object.
dk_status makeClientTLS(const dk_scu_target *t, std::unique_ptr<DcmTLSTransportLayer> &out) {
    if (!t->tls) return dk_ok();
    DcmTLSTransportLayer *layer = nullptr;
    dk_status st = dk_tls_make_layer(t->tls, false, &layer);
    out.reset(layer);
    return st;
}

// After initNetwork (DcmSCU creates the network there).
template <class SCU> OFCondition useTLS(SCU &scu, DcmTLSTransportLayer *layer) {
    return layer ? scu.useSecureConnection(layer) : EC_Normal;
}

class ReportingStorageSCU : public DcmStorageSCU {
public:
    ReportingStorageSCU(void *context, dk_send_progress progress, size_t total)
        : context_(context), progress_(progress), total_(total) {}
    using DcmSCU::useSecureConnection;
    size_t reported = 0;

    void report(const char *path, int sent, uint16_t status, const char *uid, const char *message) {
        dk_send_result r;
        memset(&r, 0, sizeof(r));
        r.path = path;
        r.sent = sent;
        r.dimse_status = status;
        dk_copy(r.sop_instance_uid, sizeof(r.sop_instance_uid), uid);
        dk_copy(r.message, sizeof(r.message), message);
        if (progress_) progress_(context_, &r, reported, total_);
        reported++;
    }

    // Files DCMTK could not send are reported once the reason is known (the condition that
    // ended the association, or no accepted presentation context), not with a guess.
    void reportUnsent(const std::string &why) {
        for (auto &u : unsent_) report(u.first.c_str(), 0, 0, u.second.c_str(), why.c_str());
        unsent_.clear();
    }

protected:
    void notifySOPInstanceSent(const TransferEntry &e) override {
        std::string path = e.Filename.getCharPointer() ? e.Filename.getCharPointer() : "";
        if (!e.RequestSent) {
            unsent_.emplace_back(path, e.SOPInstanceUID.c_str());
            return;
        }
        report(path.c_str(), 1, e.ResponseStatusCode, e.SOPInstanceUID.c_str(), DU_cstoreStatusString(e.ResponseStatusCode));
    }

private:
    std::vector<std::pair<std::string, std::string>> unsent_;
    void *context_;
    dk_send_progress progress_;
    size_t total_;
};

} // namespace

/// The reason a peer gave for rejecting an association, as DCMTK words it ("Rejected
/// Permanent, Service User, Called AE Title Not Recognized").
static std::string rejectionText(T_ASC_Parameters *params) {
    T_ASC_RejectParameters rej;
    ASC_getRejectParameters(params, &rej);
    OFString text;
    ASC_printRejectParameters(text, &rej);
    std::string out;
    for (char c : std::string(text.c_str())) out += (c == '\n') ? std::string(", ") : std::string(1, c);
    return "association rejected by the peer: " + out;
}

extern "C" dk_status dk_echo(const dk_scu_target *t, uint16_t *dimse_status) {
    // The association is negotiated with the ASC API itself (not DcmSCU, which keeps the
    // A-ASSOCIATE-RJ parameters private), so that a rejection says why.
    T_ASC_Network *net = nullptr;
    T_ASC_Association *assoc = nullptr;
    std::unique_ptr<DcmTLSTransportLayer> tls;
    auto finish = [&](dk_status st) {
        if (assoc) {
            ASC_destroyAssociation(&assoc);
        }
        if (net) ASC_dropNetwork(&net);
        return st;
    };
    try {
        dk_status st = makeClientTLS(t, tls);
        if (!st.ok) return st;
        const int acse = t->acse_timeout > 0 ? t->acse_timeout : 30;
        OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, acse, &net);
        if (cond.bad()) return finish(dk_from_condition(cond));
        if (tls) {
            cond = ASC_setTransportLayer(net, tls.get(), 0);
            if (cond.bad()) return finish(dk_from_condition(cond));
        }
        T_ASC_Parameters *params = nullptr;
        cond = ASC_createAssociationParameters(&params, t->max_pdu ? t->max_pdu : 131072);
        if (cond.bad()) return finish(dk_from_condition(cond));
        ASC_setAPTitles(params, t->calling_ae && t->calling_ae[0] ? t->calling_ae : "AUTOSEG", t->peer_ae, nullptr);
        std::string peer = std::string(t->host) + ":" + std::to_string(t->port);
        ASC_setPresentationAddresses(params, OFStandard::getHostName().c_str(), peer.c_str());
        if (tls) ASC_setTransportLayerType(params, OFTrue);
        const char *syntaxes[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
        cond = ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, syntaxes, 2);
        if (cond.bad()) {
            ASC_destroyAssociationParameters(&params);
            return finish(dk_from_condition(cond));
        }
        cond = ASC_requestAssociation(net, params, &assoc);
        if (cond.bad()) {
            if (cond == DUL_ASSOCIATIONREJECTED) {
                std::string why = rejectionText(assoc ? assoc->params : params);
                if (!assoc) ASC_destroyAssociationParameters(&params);
                return finish(dk_error(why.c_str()));
            }
            if (!assoc) ASC_destroyAssociationParameters(&params);
            return finish(dk_from_condition(cond));
        }
        if (ASC_countAcceptedPresentationContexts(assoc->params) == 0) {
            ASC_abortAssociation(assoc);
            return finish(dk_error("the peer accepted the association but not the Verification SOP Class"));
        }
        DIC_US status = 0;
        DcmDataset *detail = nullptr;
        cond = DIMSE_echoUser(assoc, assoc->nextMsgID++, DIMSE_BLOCKING, t->dimse_timeout > 0 ? t->dimse_timeout : 60,
                              &status, &detail);
        delete detail;
        *dimse_status = cond.good() ? status : 0xffff;
        if (cond.good()) ASC_releaseAssociation(assoc);
        else ASC_abortAssociation(assoc);
        return finish(dk_from_condition(cond));
    } catch (const std::exception &e) {
        return finish(dk_error(e.what()));
    } catch (...) {
        return finish(dk_error("unknown C++ exception in dk_echo"));
    }
}

extern "C" dk_status dk_send_files(const dk_scu_target *target, const char *const *paths, size_t count,
                                   void *context, dk_send_progress progress) {
    try {
        std::unique_ptr<DcmTLSTransportLayer> tls;
        dk_status st = makeClientTLS(target, tls);
        if (!st.ok) return st;
        ReportingStorageSCU scu(context, progress, count);
        configure(scu, target);
        scu.setHaltOnUnsuccessfulStoreMode(OFFalse);
        scu.setDecompressionMode(DcmStorageSCU::DM_never);
        size_t added = 0;
        for (size_t i = 0; i < count; i++) {
            OFCondition cond = scu.addDicomFile(paths[i], ERM_fileOnly, OFFalse);
            if (cond.bad()) {
                std::string msg = std::string("not a readable DICOM file: ") + cond.text();
                scu.report(paths[i], 0, 0, "", msg.c_str());
            } else {
                added++;
            }
        }
        if (added == 0) return dk_ok();
        OFCondition cond;
        bool networkReady = false;
        while ((cond = scu.addPresentationContexts()).good()) {
            if (!networkReady) {
                cond = scu.initNetwork();
                if (cond.good()) cond = useTLS(scu, tls.get());
                if (cond.bad()) return dk_from_condition(cond);
                networkReady = true;
            }
            cond = scu.negotiateAssociation();
            if (cond.bad()) {
                if (cond == NET_EC_NoAcceptablePresentationContexts && scu.getNumberOfSOPInstancesToBeSent() > 0)
                    continue;
                return dk_from_condition(cond);
            }
            cond = scu.sendSOPInstances();
            if (cond.bad()) {
                // A DIMSE timeout is a peer that accepted the association and stopped answering.
                std::string why = cond == DIMSE_NODATAAVAILABLE
                                      ? "no C-STORE response within the DIMSE timeout (peer stalled)"
                                      : std::string("association ended before a C-STORE response: ") + cond.text();
                scu.reportUnsent(why);
                if (cond == DUL_PEERABORTEDASSOCIATION) scu.closeAssociation(DCMSCU_PEER_ABORTED_ASSOCIATION);
                else scu.abortAssociation();
                return dk_from_condition(cond);
            }
            scu.reportUnsent("not sent: the peer accepted no presentation context for its SOP class and transfer syntax");
            scu.releaseAssociation();
        }
        scu.reportUnsent("not sent: the peer accepted no presentation context for its SOP class and transfer syntax");
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_send_files");
    }
}

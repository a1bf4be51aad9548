// Storage SCP: one negotiation worker per accepted connection. It hands the socket to DCMTK
// (inetd mode, see scp_watchdog.cpp), which does the TLS handshake and reads the
// A-ASSOCIATE-RQ on this thread while the watchdog holds it to acse_timeout; then it answers
// every request with an A-ASSOCIATE-AC or -RJ and, once accepted, serves the association.
#include "scp_internal.h"

namespace dk_scp_detail {

namespace {

// PS3.8 Sta3, "awaiting local A-ASSOCIATE response primitive": DUL's STATE3 (dulfsm.h, not
// installed), the state DUL_ReceiveAssociationRQ leaves an association in once it has read a
// request. A connection closed before a whole PDU header also comes back "good", in Sta1.
const int kSta3AwaitingLocalResponse = 3;

bool gotRequest(T_ASC_Association *assoc) {
    if (!assoc || !assoc->params || !assoc->DULassociation) return false;
    return reinterpret_cast<PRIVATE_ASSOCIATIONKEY *>(assoc->DULassociation)->protocolState ==
           kSta3AwaitingLocalResponse;
}

// A TLS connection closed before or during the handshake without a TLS alert: a port
// probe or health check (what a plain TCP connect without an A-ASSOCIATE-RQ is without TLS).
bool closedDuringHandshake(const OFCondition &cond) {
    if (cond.module() != OFM_dcmtls) return false;
    if (cond == DCMTLS_EC_OpenSSLIOError || cond == DCMTLS_EC_TLSConnectionClosedByPeer) return true;
    const char *text = cond.text();
    return text && strstr(text, "unexpected eof") != nullptr;
}

/// DCMTK reads the TLS handshake and the A-ASSOCIATE-RQ from `link`'s socket.
OFCondition receiveRequest(dk_scp *scp, const std::shared_ptr<Link> &link, T_ASC_Association **assoc) {
    setHandoffLink(link);
    beginSocketHandoff(link->fd);
    // block/timeout only concern DCMTK's own listening socket, unused in inetd mode.
    OFCondition cond = ASC_receiveAssociation(scp->net, assoc, scp->maxPDU, NULL, NULL,
                                              scp->tls ? OFTrue : OFFalse, DUL_BLOCK, 0);
    endSocketHandoff();  // when DCMTK failed before it took the socket
    setHandoffLink(nullptr);
    return cond;
}

/// Why a connection ended without a request we could answer ("" for a port probe: a connect
/// that closed without a word, logged at debug level only).
std::string whyNoRequest(dk_scp *scp, const Link &link, const OFCondition &cond) {
    switch (link.expired.load()) {
    case kArtim: {
        std::string why = "no complete association request within acse_timeout (" +
                          std::to_string(scp->acseTimeout) + " s): ";
        uint64_t got = link.bytesIn.load();
        if (scp->tls) why += got ? std::to_string(got) + " bytes of it received" : "TLS handshake or request unfinished";
        else why += got ? std::to_string(got) + " bytes received" : "nothing received";
        return why;
    }
    case kShutdown: return "closed while negotiating: node is shutting down";
    default: break;
    }
    if (cond.good() || closedDuringHandshake(cond)) return "";
    if (cond.module() == OFM_dcmtls) return std::string("TLS handshake failed: ") + cond.text();
    return std::string("bad association request: ") + cond.text();
}

/// An A-ASSOCIATE-RJ to send, and why (for the owner's log).
struct Rejection {
    T_ASC_RejectParametersResult result;
    T_ASC_RejectParametersSource source;
    T_ASC_RejectParametersReason reason;
    std::string why;
};

void reject(T_ASC_Association *assoc, const Rejection &r) {
    T_ASC_RejectParameters rej;
    rej.result = r.result;
    rej.source = r.source;
    rej.reason = r.reason;
    ASC_rejectAssociation(assoc, &rej);
}

/// Checks of the request itself (PS3.8 9.3.2), before the owner is asked: true when `out`
/// holds a rejection.
bool malformed(dk_scp *scp, T_ASC_Association *assoc, const std::string &calling, Rejection &out) {
    if (!scp->accepting.load()) {
        out = {ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
               ASC_REASON_SP_PRES_TEMPORARYCONGESTION, "node is shutting down"};
        return true;
    }
    if (calling.empty()) {
        // "16 spaces meaning no Application Name specified shall not be used" (PS3.8 9.3.2);
        // DCMTK could not even build an AC for it (storescp and Orthanc then answer nothing).
        out = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED,
               "blank calling AE title (PS3.8 9.3.2 does not allow it)"};
        return true;
    }
    char context[BUFSIZ] = {0};
    if (ASC_getApplicationContextName(assoc->params, context, sizeof(context)).bad() ||
        strcmp(context, UID_StandardApplicationContext) != 0) {
        out = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED,
               std::string("application context '") + context + "' not supported"};
        return true;
    }
    if (ASC_countPresentationContexts(assoc->params) == 0) {
        // An AC must carry a result per proposed context (PS3.8 9.3.3): nothing to accept.
        out = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_NOREASON,
               "no presentation context proposed"};
        return true;
    }
    return false;
}

/// The owner's decision as a rejection (false: accept).
bool refusedByOwner(int decision, int maxAssociations, const char *reason, Rejection &out) {
    switch (decision) {
    case DK_ASSOC_ACCEPT: return false;
    case DK_ASSOC_REJECT_CALLING_AE:
        out = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED, reason};
        return true;
    case DK_ASSOC_REJECT_CALLED_AE:
        out = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED, reason};
        return true;
    case DK_ASSOC_REJECT_TOO_MANY:
        out = {ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
               ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED,
               reason[0] ? reason : "too many associations (max_associations = " + std::to_string(maxAssociations) + ")"};
        return true;
    default:
        out = {ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
               ASC_REASON_SP_PRES_TEMPORARYCONGESTION, reason};
        return true;
    }
}

void dropAssociation(T_ASC_Association *assoc) {
    if (!assoc) return;
    ASC_dropAssociation(assoc);
    ASC_destroyAssociation(&assoc);
}

/// A max_associations slot, if one is free, given back when the association (or its
/// rejection) is over.
class Slot {
public:
    explicit Slot(dk_scp *scp) : scp_(scp) {
        std::lock_guard<std::mutex> lock(scp_->mutex);
        held_ = scp_->active < scp_->maxAssociations;
        if (held_) scp_->active++;
    }
    ~Slot() {
        if (!held_) return;
        std::lock_guard<std::mutex> lock(scp_->mutex);
        scp_->active--;
        scp_->changed.notify_all();
    }
    bool held() const { return held_; }

private:
    dk_scp *scp_;
    bool held_;
};

/// Answers the request: an RJ, or (holding a max_associations slot) the association itself.
void decideAndServe(dk_scp *scp, const std::shared_ptr<Link> &link, T_ASC_Association *assoc) {
    std::string calling = trimmed(assoc->params->DULparams.callingAPTitle);
    std::string called = trimmed(assoc->params->DULparams.calledAPTitle);
    const std::string &peer = link->host;
    Rejection rej;
    if (!malformed(scp, assoc, calling, rej)) {
        Slot slot(scp);
        char reason[256] = {0};
        int decision = slot.held() ? DK_ASSOC_ACCEPT : DK_ASSOC_REJECT_TOO_MANY;
        if (slot.held() && scp->cb.accept_association)
            decision = scp->cb.accept_association(scp->cb.context, calling.c_str(), called.c_str(), peer.c_str(),
                                                  reason, sizeof(reason));
        if (!refusedByOwner(decision, scp->maxAssociations, reason, rej)) {
            runAssociation(scp, assoc, scp->nextAssociationID.fetch_add(1), link);  // drops it
            return;
        }
    }
    if (scp->cb.association_rejected)
        scp->cb.association_rejected(scp->cb.context, calling.c_str(), called.c_str(), peer.c_str(), rej.why.c_str());
    reject(assoc, rej);
    dropAssociation(assoc);
}

/// The negotiation is over (request read or connection lost): the connection no longer counts
/// against the negotiating caps, and from now on idle_timeout applies.
void endNegotiation(dk_scp *scp, Link &link) {
    std::lock_guard<std::mutex> lock(scp->mutex);
    link.negotiating.store(false);
    scp->negotiating--;
    if (--scp->negotiatingPerHost[link.host] <= 0) scp->negotiatingPerHost.erase(link.host);
    scp->changed.notify_all();
}

/// A SOP class or transfer syntax by DCMTK's name for it, with the UID ("" for none).
std::string named(const char *uid) {
    if (!uid || !uid[0]) return "(none)";
    const char *name = dcmFindNameOfUID(uid, nullptr);
    return name ? std::string(name) + " (" + uid + ")" : std::string(uid);
}

/// Why a proposed context was not accepted, in words.
std::string contextRejection(const T_ASC_PresentationContext &pc) {
    std::string what = named(pc.abstractSyntax) + ": ";
    switch (pc.resultReason) {
    case ASC_P_ABSTRACTSYNTAXNOTSUPPORTED:
        // A DICOMDIR is for media only (PS3.10 7.2, PS3.4 Annex F): no network storage for it.
        if (strcmp(pc.abstractSyntax, UID_MediaStorageDirectoryStorage) == 0)
            return what + "SOP class not supported (a DICOMDIR is not sent over the network: send its images)";
        return what + "SOP class not supported (not a storage SOP class we accept)";
    case ASC_P_TRANSFERSYNTAXESNOTSUPPORTED: {
        std::string proposed;
        for (int i = 0; i < pc.transferSyntaxCount; i++)
            proposed += (i ? ", " : "") + named(pc.proposedTransferSyntaxes[i]);
        return what + "none of the proposed transfer syntaxes is supported (" + proposed + ")";
    }
    case ASC_P_USERREJECTION: return what + "rejected by us";
    default: return what + "rejected, no reason given";
    }
}

}  // namespace

void reportRejectedContexts(dk_scp *scp, T_ASC_Association *assoc, uint64_t id, const std::string &calling,
                            const std::string &peer) {
    if (!scp->cb.contexts_rejected || !assoc || !assoc->params) return;
    std::string reasons;
    int accepted = 0, rejected = 0;
    int count = ASC_countPresentationContexts(assoc->params);
    for (int i = 0; i < count; i++) {
        T_ASC_PresentationContext pc;
        if (ASC_getPresentationContext(assoc->params, i, &pc).bad()) continue;
        if (pc.resultReason == ASC_P_ACCEPTANCE) {
            accepted++;
            continue;
        }
        rejected++;
        reasons += (reasons.empty() ? "" : "; ") + contextRejection(pc);
    }
    if (reasons.empty()) return;
    scp->cb.contexts_rejected(scp->cb.context, id, calling.c_str(), peer.c_str(), reasons.c_str(), accepted, rejected);
}

void negotiateAndServe(dk_scp *scp, std::shared_ptr<Link> link) {
    T_ASC_Association *assoc = nullptr;
    bool negotiating = true;
    try {
        OFCondition cond = receiveRequest(scp, link, &assoc);
        bool request = cond.good() && gotRequest(assoc);
        endNegotiation(scp, *link);
        negotiating = false;
        if (request) {
            decideAndServe(scp, link, assoc);
        } else {
            std::string why = whyNoRequest(scp, *link, cond);
            std::string peer = link->host;
            dropAssociation(assoc);
            closeUnadopted(scp, *link);
            if (scp->cb.association_rejected)
                scp->cb.association_rejected(scp->cb.context, "", "", peer.c_str(), why.c_str());
        }
    } catch (...) {
        // Nothing may escape a detached thread; the connection is lost either way.
        if (negotiating) endNegotiation(scp, *link);
        closeUnadopted(scp, *link);
    }
    std::lock_guard<std::mutex> lock(scp->mutex);
    scp->links.remove(link);
    scp->threads--;
    scp->changed.notify_all();
}

}  // namespace dk_scp_detail

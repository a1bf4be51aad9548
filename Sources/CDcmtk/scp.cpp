// Storage SCP: our own accept loop plus one DcmThreadSCP per association on its
// own thread (DcmSCPPool leaks a thread per association in 3.6.7, DCMTK_NOTES §2).
#include "scp_internal.h"
#include "pdu_filter.h"

using dk_scp_detail::runAssociation;
using dk_scp_detail::trimmed;

namespace {

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
        // Every byte a peer sends passes the PDU filter (pdu_filter.cpp) on its way to DCMTK: a
        // DIMSE command set that could exhaust DCMTK's recursive parser ends the association.
        cond = dk_scp_detail::installPduFilter(scp);
        if (cond.bad()) {
            ASC_dropNetwork(&scp->net);
            delete scp->tls;
            delete scp;
            return dk_from_condition(cond);
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

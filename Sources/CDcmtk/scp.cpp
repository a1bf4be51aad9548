// Storage SCP: lifecycle and the accept thread. The accept thread only accepts TCP connections
// (it never reads from a peer: one that sends nothing, or a byte a second, cannot hold it) and
// hands each to a negotiation worker of its own (scp_negotiation.cpp), within caps on how many
// connections may be negotiating at once, in total and per source address. DcmSCPPool is not
// used: it leaks a thread per association in 3.6.7 (DCMTK_NOTES §2).
#include "scp_internal.h"
#include "pdu_filter.h"

#include "dcmtk/dcmnet/dul.h"

#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <poll.h>

using namespace dk_scp_detail;

namespace {

std::string ipAddress(const struct sockaddr_storage &addr) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&addr)->sin_addr, text, sizeof(text));
    else if (addr.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&addr)->sin6_addr, text, sizeof(text));
    return text;
}

/// Admits a connection from `host` as negotiating (a Link in scp->links), or says why not.
std::shared_ptr<Link> admit(dk_scp *scp, int fd, const std::string &host, std::string &why,
                            std::vector<RefusalReport> &reports) {
    std::lock_guard<std::mutex> lock(scp->mutex);
    if (scp->negotiating >= scp->maxNegotiating) {
        why = "too many connections still negotiating (max_negotiating = " + std::to_string(scp->maxNegotiating) + ")";
    } else if (scp->negotiatingPerHost[host] >= scp->maxNegotiatingPerHost) {
        why = "too many connections still negotiating from " + host +
              " (max_negotiating_per_host = " + std::to_string(scp->maxNegotiatingPerHost) + ")";
    }
    if (!why.empty()) {
        if (scp->negotiatingPerHost[host] == 0) scp->negotiatingPerHost.erase(host);
        noteRefusalLocked(scp, host, why, reports);
        return nullptr;
    }
    auto link = std::make_shared<Link>(fd, host, nowNs() + seconds(scp->acseTimeout));
    scp->links.push_back(link);
    scp->negotiating++;
    scp->negotiatingPerHost[host]++;
    scp->threads++;
    return link;
}

/// Undoes `admit` when no worker could be started.
void unadmit(dk_scp *scp, const std::shared_ptr<Link> &link) {
    std::lock_guard<std::mutex> lock(scp->mutex);
    scp->links.remove(link);
    scp->negotiating--;
    if (--scp->negotiatingPerHost[link->host] <= 0) scp->negotiatingPerHost.erase(link->host);
    scp->threads--;
    link->fd = -1;
    scp->changed.notify_all();
}

void acceptLoop(dk_scp *scp) {
    while (scp->accepting.load()) {
        struct pollfd pfd = {scp->listenFd, POLLIN, 0};
        if (poll(&pfd, 1, 250) <= 0) continue;  // 250 ms: how soon a stop is noticed
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        int fd = accept4(scp->listenFd, (struct sockaddr *)&addr, &len, SOCK_CLOEXEC);
        if (fd < 0) {
            // Out of descriptors: let the workers free some rather than spin.
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        if (fd == 0) {
            // DCMTK's inetd mode takes socket 0 for "none" (dul.cc: `if (sock > 0)`).
            int moved = fcntl(fd, F_DUPFD_CLOEXEC, 1);
            ::close(fd);
            if (moved < 0) continue;
            fd = moved;
        }
        std::shared_ptr<Link> link;
        try {
            std::string why;
            std::vector<RefusalReport> reports;
            link = admit(scp, fd, ipAddress(addr), why, reports);
            if (!link) {
                ::close(fd);  // at once: reading the request to answer it would be negotiating
                reportRefusals(scp, reports);
                continue;
            }
            std::thread(negotiateAndServe, scp, link).detach();
        } catch (...) {
            // No memory or no thread for this one: it is closed; the loop goes on.
            if (link) unadmit(scp, link);
            ::close(fd);
        }
    }
}

/// Reads the listening socket DCMTK opened (and, with port 0, the port the kernel chose).
void useListeningSocket(dk_scp *scp) {
    PRIVATE_NETWORKKEY *key = reinterpret_cast<PRIVATE_NETWORKKEY *>(scp->net->network);
    if (!key) return;
    scp->listenFd = key->networkSpecific.TCP.listenSocket;
    // Only the accept thread polls it; never block in accept() if a connection went away.
    int flags = fcntl(scp->listenFd, F_GETFL);
    if (flags >= 0) fcntl(scp->listenFd, F_SETFL, flags | O_NONBLOCK);
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getsockname(scp->listenFd, (struct sockaddr *)&addr, &len) == 0) {
        if (addr.ss_family == AF_INET) scp->port = ntohs(((struct sockaddr_in *)&addr)->sin_port);
        else if (addr.ss_family == AF_INET6) scp->port = ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    }
}

/// Re-binds DCMTK's listening socket to `host` (DCMTK 3.6.7 always binds every interface): a
/// new socket bound to host:port replaces it under the same descriptor number (dup2), so that
/// ASC_dropNetwork closes ours. The port stays the one DCMTK bound (port 0: the kernel's choice).
dk_status bindToHost(dk_scp *scp, const std::string &host) {
    PRIVATE_NETWORKKEY *key = reinterpret_cast<PRIVATE_NETWORKKEY *>(scp->net->network);
    if (!key) return dk_error(("no listening socket to bind to " + host).c_str());
    int fd = key->networkSpecific.TCP.listenSocket;
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) return dk_error((std::string("getsockname: ") + strerror(errno)).c_str());
    int port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    struct addrinfo *found = nullptr;
    int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (gai != 0 || !found) return dk_error(("node.host \"" + host + "\" is not an address of this machine: " + gai_strerror(gai)).c_str());
    int s = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s >= 0) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::close(fd);  // frees the port for the socket bound to host
    int err = 0;
    if (s < 0 || bind(s, found->ai_addr, found->ai_addrlen) != 0 || listen(s, SOMAXCONN) != 0) err = errno;
    freeaddrinfo(found);
    if (err != 0 || s < 0) {
        if (s >= 0) ::close(s);
        // Keep the descriptor number valid for ASC_dropNetwork.
        int placeholder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (placeholder >= 0 && placeholder != fd) { dup2(placeholder, fd); ::close(placeholder); }
        return dk_error(("cannot listen on " + host + ":" + std::to_string(port) + ": " + strerror(err)).c_str());
    }
    if (s != fd) {
        dup2(s, fd);
        ::close(s);
    }
    return dk_ok();
}

/// The network, its listening socket and its transport layer (TLS when configured).
dk_status openNetwork(dk_scp *scp, const dk_scp_config *config) {
    OFCondition cond;
    // DCMTK's own ARTIM timer (per read, the first PDU only) is a backstop, a little later than
    // the watchdog's deadline over the whole negotiation, so that the watchdog's is the one seen.
    const int dcmtkARTIM = scp->acseTimeout + 5;
    // An acceptor network opens no listening socket while dcmExternalSocketHandle is set.
    withSocketHandoffLock([&] { cond = ASC_initializeNetwork(NET_ACCEPTOR, config->port, dcmtkARTIM, &scp->net); });
    if (cond.bad()) return dk_from_condition(cond);
    if (config->tls) {
        dk_status st = dk_tls_make_layer(config->tls, true, &scp->tls);
        if (!st.ok) return st;
    }
    // Every byte a peer sends passes the PDU filter (pdu_filter.cpp) on its way to DCMTK: a DIMSE
    // command set that could exhaust DCMTK's recursive parser ends the association. The watchdog's
    // layer wraps it (byte accounting and deadlines), and it wraps TLS (it sees plain PDUs).
    scp->filter = makeScpPduFilter(scp, scp->tls);
    scp->layer = makeWatchedLayer(scp, scp->filter);
    cond = ASC_setTransportLayer(scp->net, scp->layer, OFFalse);
    if (cond.bad()) return dk_from_condition(cond);
    scp->port = config->port;
    if (config->host && config->host[0] != 0) {
        dk_status st = bindToHost(scp, config->host);
        if (!st.ok) return st;
    }
    useListeningSocket(scp);
    return dk_ok();
}

void freeNetwork(dk_scp *scp) {
    if (scp->net) ASC_dropNetwork(&scp->net);
    delete scp->layer;
    delete scp->filter;
    delete scp->tls;
}

}  // namespace

extern "C" dk_status dk_scp_start(const dk_scp_config *config, dk_scp_callbacks callbacks, dk_scp **out) {
    *out = nullptr;
    dk_scp *scp = nullptr;
    try {
        scp = new dk_scp;
        scp->aeTitle = config->ae_title ? config->ae_title : "AUTOSEG";
        scp->incomingDir = config->incoming_dir ? config->incoming_dir : ".";
        scp->maxAssociations = config->max_associations > 0 ? config->max_associations : 16;
        scp->maxNegotiating = config->max_negotiating > 0 ? config->max_negotiating : 16;
        scp->maxNegotiatingPerHost = config->max_negotiating_per_host > 0 ? config->max_negotiating_per_host : 4;
        scp->maxPDU = config->max_pdu ? config->max_pdu : 131072;
        scp->acseTimeout = config->acse_timeout > 0 ? config->acse_timeout : 30;
        scp->idleTimeout = config->idle_timeout > 0 ? config->idle_timeout : 60;
        scp->cb = callbacks;

        DcmSCPConfig &cfg = *scp->shared;
        cfg.setAETitle(scp->aeTitle.c_str());
        cfg.setMaxReceivePDULength(scp->maxPDU);
        cfg.setACSETimeout(scp->acseTimeout);
        cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        // The watchdog enforces idle_timeout (scp_watchdog.cpp); DCMTK's own per-read timer,
        // a little later, is only a backstop.
        cfg.setDIMSETimeout(scp->idleTimeout + 10);
        cfg.setHostLookupEnabled(OFFalse);
        cfg.setProgressNotificationMode(OFTrue);
        // No reverse DNS while a socket is being handed to DCMTK (the handoff lock is held).
        dcmDisableGethostbyaddr.set(OFTrue);
        // Presentation contexts are negotiated in StoreSCP::negotiateAssociation (the
        // configuration's profile is limited to 128 entries; we accept ~150 SOP classes).
        dk_status st = openNetwork(scp, config);
        if (!st.ok) {
            freeNetwork(scp);
            delete scp;
            return st;
        }
        scp->watchdogThread = std::thread(watchdogLoop, scp);
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

extern "C" int dk_scp_negotiating(const dk_scp *scp) {
    if (!scp) return 0;
    std::lock_guard<std::mutex> lock(const_cast<dk_scp *>(scp)->mutex);
    return scp->negotiating;
}

extern "C" void dk_scp_stop_accepting(dk_scp *scp) {
    if (!scp) return;
    std::lock_guard<std::mutex> stop(scp->stopMutex);
    bool was = scp->accepting.exchange(false);
    if (was && scp->acceptThread.joinable()) scp->acceptThread.join();
    if (!scp->net) return;
    // Connections still negotiating are closed at once; the network (which their workers are
    // using inside ASC_receiveAssociation) is dropped once they all gave it up.
    std::unique_lock<std::mutex> lock(scp->mutex);
    for (const std::shared_ptr<Link> &link : scp->links)
        if (link->negotiating.load()) expireLocked(*link, kShutdown);
    scp->changed.wait(lock, [scp] { return scp->negotiating == 0; });
    lock.unlock();
    ASC_dropNetwork(&scp->net);  // closes the listening socket
}

extern "C" int dk_scp_shutdown(dk_scp *scp, double grace) {
    if (!scp) return 0;
    dk_scp_stop_accepting(scp);
    std::unique_lock<std::mutex> lock(scp->mutex);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace > 0 ? grace : 0);
    scp->changed.wait_until(lock, deadline, [scp] { return scp->active == 0; });
    int aborted = scp->active;
    if (aborted > 0) {
        scp->abortAll.store(true);  // between commands, and (watchdog) wherever one waits for its peer
        scp->changed.wait(lock, [scp] { return scp->active == 0; });
    }
    return aborted;
}

extern "C" void dk_scp_free(dk_scp *scp) {
    if (!scp) return;
    dk_scp_shutdown(scp, 0);
    {
        // Rejected connections' workers may still be finishing; then the watchdog stops.
        std::unique_lock<std::mutex> lock(scp->mutex);
        scp->changed.wait(lock, [scp] { return scp->threads == 0; });
        scp->watchdogStop = true;
        scp->changed.notify_all();
    }
    if (scp->watchdogThread.joinable()) scp->watchdogThread.join();
    freeNetwork(scp);  // the network is dropped and no connection is left
    delete scp;
}

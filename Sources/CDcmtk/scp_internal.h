// Shared declarations of the storage SCP's translation units. Not part of the C API.
//   scp.cpp              lifecycle and the accept thread (accepts TCP connections, never reads)
//   scp_negotiation.cpp  one negotiation worker per connection: TLS handshake, A-ASSOCIATE-RQ,
//                        AC/RJ; the same thread then serves the association
//   scp_watchdog.cpp     the watchdog (acse_timeout per negotiation, idle_timeout per
//                        association) and the transport layer that lets it see every wait
//   scp_association.cpp  one association (DIMSE, C-STORE into a temp file)
#ifndef CDCMTK_SCP_INTERNAL_H
#define CDCMTK_SCP_INTERNAL_H

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
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dk_scp_detail {

/// steady_clock in nanoseconds (0 is never a valid time stamp: the clock starts at boot).
int64_t nowNs();
inline int64_t seconds(double s) { return (int64_t)(s * 1e9); }

/// Why the watchdog ended a connection (`Link::expired`).
enum Expiry : int { kNotExpired = 0, kArtim = 1, kIdle = 2, kShutdown = 3 };
/// What a connection's thread is blocked on right now (`Link::waiting`).
enum Waiting : int { kBusy = 0, kWaitRead = 1, kWaitWrite = 2 };

/// One accepted TCP connection, from accept() until its socket is closed: what the watchdog
/// needs to hold it to acse_timeout while it negotiates and to idle_timeout afterwards.
struct Link {
    Link(int fd, std::string host, int64_t deadline) : fd(fd), host(std::move(host)), deadlineNs(deadline) {}
    /// The socket; guarded by dk_scp::mutex and set to -1 (under it) before anyone closes the
    /// socket, so the watchdog never shuts down a number the kernel has given to another file.
    int fd;
    const std::string host;     // the peer's IP address, from accept()
    const int64_t deadlineNs;   // accept time + acse_timeout: the whole negotiation (ARTIM)
    std::atomic<bool> negotiating{true};  // written under dk_scp::mutex
    bool adopted = false;       // DCMTK's transport connection owns `fd` (its close closes it); worker only
    // Written by the connection's own thread, read by the watchdog:
    std::atomic<int> waiting{kBusy};
    /// When the thread first waited for the peer after the last byte in or out; 0: it has not
    /// waited since. While it waits, now - idleSinceNs is how long the peer has been silent.
    std::atomic<int64_t> idleSinceNs{0};
    std::atomic<uint64_t> bytesIn{0};
    std::atomic<int> expired{kNotExpired};  // set once, by the watchdog (or shutdown)
    std::atomic<bool> abortSent{false};     // the transport sent A-ABORT itself (see WatchedConnection)
};

/// Over-cap connections from one source, logged at once and then at most every 5 s with a count.
struct Refusals {
    uint64_t pending = 0;
    int64_t lastLoggedNs = 0;
    std::string reason;
};

/// A refusal summary to hand to the owner once the mutex is released.
struct RefusalReport {
    std::string host, reason;
    uint64_t count;
};

}  // namespace dk_scp_detail

struct dk_scp {
    std::string aeTitle;
    std::string incomingDir;
    int port = 0;
    int maxAssociations = 16;
    int maxNegotiating = 16;
    int maxNegotiatingPerHost = 4;
    uint32_t maxPDU = 131072;
    int acseTimeout = 30;
    int idleTimeout = 60;
    dk_scp_callbacks cb;
    T_ASC_Network *net = nullptr;
    int listenFd = -1;  // the network's listening socket; only the accept thread uses it
    // Owned here (not by the network): deleted in dk_scp_free, after every connection ended.
    DcmTLSTransportLayer *tls = nullptr;
    DcmTransportLayer *layer = nullptr;   // scp_watchdog.cpp's, wrapping `filter`
    DcmTransportLayer *filter = nullptr;  // pdu_filter.cpp's, wrapping `tls` (or plain TCP)
    DcmSharedSCPConfig shared;
    std::thread acceptThread;
    std::thread watchdogThread;
    std::atomic<bool> accepting{true};
    std::atomic<bool> abortAll{false};
    std::atomic<uint64_t> nextAssociationID{1};
    std::mutex stopMutex;  // serialises dk_scp_stop_accepting

    // Guarded by `mutex`; `changed` is notified whenever a count below drops or the watchdog stops.
    std::mutex mutex;
    std::condition_variable changed;
    int active = 0;       // negotiated associations: what max_associations limits
    int negotiating = 0;  // connections accepted and not yet negotiated
    int threads = 0;      // worker threads alive (negotiating, rejecting or serving)
    bool watchdogStop = false;
    std::map<std::string, int> negotiatingPerHost;
    std::list<std::shared_ptr<dk_scp_detail::Link>> links;
    std::map<std::string, dk_scp_detail::Refusals> refusals;
};

namespace dk_scp_detail {

/// `s` without leading and trailing spaces ("" for NULL).
std::string trimmed(const char *s);

/// Thread body of a negotiation worker (scp_negotiation.cpp): negotiates the connection of
/// `link` and, once accepted, serves the association on the same thread. Ends by taking the
/// link out of `scp->links` and counting itself out of `scp->threads`.
void negotiateAndServe(dk_scp *scp, std::shared_ptr<Link> link);

/// Serves a negotiated association (a StoreSCP: AC, DIMSE until release/abort/timeout) on
/// the calling thread (scp_association.cpp). The caller holds its max_associations slot.
void runAssociation(dk_scp *scp, T_ASC_Association *assoc, uint64_t id, std::shared_ptr<Link> link);

// scp_watchdog.cpp
/// The transport layer the network uses: wraps each connection DCMTK creates (plain TCP, or
/// TLS through `tls`) so that the watchdog sees when its thread waits for the peer.
DcmTransportLayer *makeWatchedLayer(dk_scp *scp, DcmTransportLayer *tls);

/// The connection a watched connection wraps (nil for any other connection).
DcmTransportConnection *watchedInner(DcmTransportConnection *connection);
/// The link whose socket the calling worker hands to DCMTK next (the layer wraps its
/// connection); nullptr when done.
void setHandoffLink(std::shared_ptr<Link> link);
/// Hands `fd` to DCMTK's inetd mode (the process-wide dcmExternalSocketHandle) under a
/// process-wide lock, released as soon as DCMTK has read it (in the layer's createConnection)
/// or by `endSocketHandoff` if DCMTK failed before.
void beginSocketHandoff(int fd);
void endSocketHandoff();
/// Runs `body` while no worker is between beginSocketHandoff and DCMTK's read of the handle
/// (ASC_initializeNetwork of an acceptor reads it too).
void withSocketHandoffLock(const std::function<void()> &body);
/// Closes `link`'s socket unless DCMTK adopted it (and then its connection closes it).
void closeUnadopted(dk_scp *scp, Link &link);
/// Shuts `link`'s socket down for `why` (caller holds scp->mutex). A waiting read is woken
/// (SHUT_RD keeps the write side for the A-ABORT of an association); a negotiation, a
/// blocked write or a shutdown closes both sides.
void expireLocked(Link &link, Expiry why);
/// The watchdog thread: every 100 ms enforces the deadlines and flushes refusal summaries.
void watchdogLoop(dk_scp *scp);
/// Counts an over-cap connection from `host` (caller holds scp->mutex); appends a report when
/// one is due (the first from a source, then at most every 5 s).
void noteRefusalLocked(dk_scp *scp, const std::string &host, const std::string &reason,
                       std::vector<RefusalReport> &out);
void reportRefusals(dk_scp *scp, const std::vector<RefusalReport> &reports);
/// After the contexts of an accepted association were negotiated: tells the owner which were
/// rejected and why (`contexts_rejected`), so that a sender that cannot store anything (a
/// private SOP class, a DICOMDIR, a transfer syntax we do not take) is seen (scp_negotiation.cpp).
void reportRejectedContexts(dk_scp *scp, T_ASC_Association *assoc, uint64_t id, const std::string &calling,
                            const std::string &peer);

}  // namespace dk_scp_detail

#endif

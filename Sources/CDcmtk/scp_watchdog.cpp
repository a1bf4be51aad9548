// Storage SCP: the watchdog and what it needs from DCMTK. Every connection the accept thread
// hands to a worker is a Link; the network's transport layer wraps DCMTK's connection of each
// so that every wait for the peer (poll, read, write) is visible here. The watchdog holds a
// negotiation to its ARTIM deadline (acse_timeout from accept, however slowly bytes trickle
// in) and an association to idle_timeout of silence, even inside a PDU, by shutting the socket
// down: that wakes the read DCMTK is blocked in, on this thread's terms, from outside it.
#include "scp_internal.h"

#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dul.h"

#include <cerrno>
#include <new>

namespace dk_scp_detail {

int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// MARK: - Handing an accepted socket to DCMTK

// DCMTK 3.6.7 negotiates only on a connection it accepted itself, or, in inetd mode, on the
// socket in dcmExternalSocketHandle: one process-wide OFGlobal that receiveTransportConnectionTCP
// reads once, before it creates the transport connection (our layer's createConnection) and
// before any byte is read. One worker at a time sets it, under this lock, and the lock is
// released the moment DCMTK has taken the socket: the TLS handshake and the A-ASSOCIATE-RQ of
// each connection then proceed concurrently, each on its own thread.
namespace {
std::mutex &handoffMutex() {
    static std::mutex m;
    return m;
}
thread_local bool tHandoffHeld = false;
thread_local std::shared_ptr<Link> tHandoffLink;
}  // namespace

void beginSocketHandoff(int fd) {
    handoffMutex().lock();
    tHandoffHeld = true;
    dcmExternalSocketHandle.set(fd);
}

void endSocketHandoff() {
    if (!tHandoffHeld) return;
    dcmExternalSocketHandle.set(DCMNET_INVALID_SOCKET);
    tHandoffHeld = false;
    handoffMutex().unlock();
}

void withSocketHandoffLock(const std::function<void()> &body) {
    std::lock_guard<std::mutex> guard(handoffMutex());
    body();
}

void setHandoffLink(std::shared_ptr<Link> link) { tHandoffLink = std::move(link); }

namespace {

/// Marks `link`'s socket closed (nobody may shut it down any more) before it is closed.
void forgetSocket(dk_scp *scp, Link &link) {
    std::lock_guard<std::mutex> lock(scp->mutex);
    link.fd = -1;
}

/// While alive, the connection's thread is blocked on its peer (`kind`).
class Wait {
public:
    Wait(Link &link, Waiting kind) : link_(link) {
        int64_t none = 0;
        link_.idleSinceNs.compare_exchange_strong(none, nowNs());
        link_.waiting.store(kind);
    }
    ~Wait() { link_.waiting.store(kBusy); }

private:
    Link &link_;
};

/// DCMTK's connection (plain TCP or TLS) with every wait for the peer reported to the link.
/// Once the watchdog expired the link, a wait ends as a timeout (networkDataAvailable) or as
/// end of stream (read): DCMTK then fails the DIMSE call in progress and the association
/// aborts. When DCMTK was inside a read, it will see a closed connection and cannot abort any
/// more, so this connection sends the A-ABORT itself first (source: service user, like
/// ASC_abortAssociation), once, and swallows what DCMTK writes after it.
class WatchedConnection : public DcmTransportConnection {
public:
    WatchedConnection(dk_scp *scp, std::shared_ptr<Link> link, DcmNativeSocketType sock,
                      DcmTransportConnection *inner)
        : DcmTransportConnection(sock), scp_(scp), link_(std::move(link)), inner_(inner) {}
    ~WatchedConnection() override {
        forgetSocket(scp_, *link_);
        delete inner_;
    }

    /// The connection this one watches (the PDU filter's, around TLS or plain TCP).
    DcmTransportConnection *inner() const { return inner_; }

    OFCondition serverSideHandshake() override { return inner_->serverSideHandshake(); }
    OFCondition clientSideHandshake() override { return inner_->clientSideHandshake(); }
    OFCondition renegotiate(const char *suite) override { return inner_->renegotiate(suite); }

    ssize_t read(void *buf, size_t nbyte) override {
        if (link_->expired.load() != kNotExpired) return endOfStream();
        ssize_t n;
        {
            Wait wait(*link_, kWaitRead);
            n = inner_->read(buf, nbyte);
            if (n > 0) activity((uint64_t)n);
        }
        if (n <= 0 && link_->expired.load() != kNotExpired) return endOfStream();
        return n;
    }

    ssize_t write(void *buf, size_t nbyte) override {
        if (link_->abortSent.load()) return (ssize_t)nbyte;  // the association is over for the peer
        Wait wait(*link_, kWaitWrite);
        ssize_t n = inner_->write(buf, nbyte);
        if (n > 0) activity(0);
        return n;
    }

    OFBool networkDataAvailable(int timeout) override {
        if (link_->expired.load() != kNotExpired) return OFFalse;
        OFBool available;
        {
            Wait wait(*link_, kWaitRead);
            available = inner_->networkDataAvailable(timeout);
        }
        return link_->expired.load() != kNotExpired ? OFFalse : available;
    }

    void close() override {
        forgetSocket(scp_, *link_);
        inner_->close();
    }
    void closeTransportConnection() override {
        forgetSocket(scp_, *link_);
        inner_->closeTransportConnection();
    }
    unsigned long getPeerCertificateLength() override { return inner_->getPeerCertificateLength(); }
    unsigned long getPeerCertificate(void *buf, unsigned long len) override {
        return inner_->getPeerCertificate(buf, len);
    }
    OFBool isTransparentConnection() override { return inner_->isTransparentConnection(); }
    OFString &dumpConnectionParameters(OFString &str) override { return inner_->dumpConnectionParameters(str); }

private:
    void activity(uint64_t bytesIn) {
        if (bytesIn) link_->bytesIn.fetch_add(bytesIn);
        link_->idleSinceNs.store(0);
    }

    ssize_t endOfStream() {
        int why = link_->expired.load();
        if ((why == kIdle || why == kShutdown) && !link_->negotiating.load() && !link_->abortSent.exchange(true)) {
            unsigned char abort[10] = {0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0};  // A-ABORT, service user, no reason
            (void)inner_->write(abort, sizeof(abort));
        }
        errno = ECONNRESET;
        return 0;
    }

    dk_scp *scp_;
    std::shared_ptr<Link> link_;
    DcmTransportConnection *inner_;
};

class WatchedLayer : public DcmTransportLayer {
public:
    WatchedLayer(dk_scp *scp, DcmTransportLayer *tls) : scp_(scp), tls_(tls) {}

    DcmTransportConnection *createConnection(DcmNativeSocketType sock, OFBool secure) override {
        endSocketHandoff();  // DCMTK has read dcmExternalSocketHandle: the next worker may set it
        std::shared_ptr<Link> link = tHandoffLink;
        DcmTransportConnection *inner =
            tls_ ? tls_->createConnection(sock, secure) : DcmTransportLayer::createConnection(sock, secure);
        if (!link) return inner;
        link->adopted = true;  // from here DCMTK closes the socket (NULL: right away, itself)
        if (!inner) {
            forgetSocket(scp_, *link);
            return nullptr;
        }
        WatchedConnection *watched = new (std::nothrow) WatchedConnection(scp_, link, sock, inner);
        if (!watched) forgetSocket(scp_, *link);  // unwatched, but still closed by DCMTK
        return watched ? watched : inner;
    }

private:
    dk_scp *scp_;
    DcmTransportLayer *tls_;
};

}  // namespace

DcmTransportLayer *makeWatchedLayer(dk_scp *scp, DcmTransportLayer *tls) { return new WatchedLayer(scp, tls); }

void closeUnadopted(dk_scp *scp, Link &link) {
    if (link.adopted) return;
    int fd;
    {
        std::lock_guard<std::mutex> lock(scp->mutex);
        fd = link.fd;
        link.fd = -1;
    }
    if (fd >= 0) ::close(fd);
}

// MARK: - The watchdog

void expireLocked(Link &link, Expiry why) {
    int none = kNotExpired;
    if (!link.expired.compare_exchange_strong(none, why)) return;
    if (link.fd < 0) return;
    bool keepWriteSide = !link.negotiating.load() && link.waiting.load() == kWaitRead;
    ::shutdown(link.fd, keepWriteSide ? SHUT_RD : SHUT_RDWR);
}

void noteRefusalLocked(dk_scp *scp, const std::string &host, const std::string &reason,
                       std::vector<RefusalReport> &out) {
    Refusals &r = scp->refusals[host];
    r.pending++;
    r.reason = reason;
    int64_t now = nowNs();
    if (r.lastLoggedNs == 0 || now - r.lastLoggedNs >= seconds(5)) {
        out.push_back({host, r.reason, r.pending});
        r.pending = 0;
        r.lastLoggedNs = now;
    }
}

void reportRefusals(dk_scp *scp, const std::vector<RefusalReport> &reports) {
    if (!scp->cb.connections_refused) return;
    for (const RefusalReport &r : reports)
        scp->cb.connections_refused(scp->cb.context, r.host.c_str(), r.count, r.reason.c_str());
}

namespace {

/// One round of the watchdog (caller holds `lock` on scp->mutex; released around callbacks).
void watchOnce(dk_scp *scp, std::unique_lock<std::mutex> &lock) {
    const int64_t idle = seconds(scp->idleTimeout);
    const int64_t now = nowNs();
    const bool stopping = !scp->accepting.load(), abortAll = scp->abortAll.load();
    for (const std::shared_ptr<Link> &link : scp->links) {
        if (link->fd < 0 || link->expired.load() != kNotExpired) continue;
        if (link->negotiating.load()) {
            if (stopping) expireLocked(*link, kShutdown);
            else if (now >= link->deadlineNs) expireLocked(*link, kArtim);
            continue;
        }
        if (link->waiting.load() == kBusy) continue;  // our own work (e.g. a store's fsync)
        int64_t since = link->idleSinceNs.load();
        if (since != 0 && now - since >= idle) expireLocked(*link, kIdle);
        else if (abortAll) expireLocked(*link, kShutdown);
    }
    std::vector<RefusalReport> due;
    for (auto it = scp->refusals.begin(); it != scp->refusals.end();) {
        Refusals &r = it->second;
        if (r.pending > 0 && now - r.lastLoggedNs >= seconds(5)) {
            due.push_back({it->first, r.reason, r.pending});
            r.pending = 0;
            r.lastLoggedNs = now;
        }
        if (r.pending == 0 && now - r.lastLoggedNs >= seconds(60)) it = scp->refusals.erase(it);
        else ++it;
    }
    if (!due.empty()) {
        lock.unlock();
        reportRefusals(scp, due);
        lock.lock();
    }
}

}  // namespace

void watchdogLoop(dk_scp *scp) {
    std::unique_lock<std::mutex> lock(scp->mutex);
    while (!scp->watchdogStop) {
        try {
            watchOnce(scp, lock);
        } catch (...) {
            // Out of memory for a report: the deadlines are enforced again in 100 ms.
            if (!lock.owns_lock()) lock.lock();
        }
        scp->changed.wait_for(lock, std::chrono::milliseconds(100));
    }
}

DcmTransportConnection *watchedInner(DcmTransportConnection *connection) {
    auto *w = dynamic_cast<WatchedConnection *>(connection);
    return w ? w->inner() : nullptr;
}

}  // namespace dk_scp_detail

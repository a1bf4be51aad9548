// Storage SCP: the watchdog and what it needs from DCMTK. Every connection the accept thread
// hands to a worker is a Link; the network's transport layer wraps DCMTK's connection of each
// so that its socket is known here until it is closed. The watchdog holds a negotiation to its
// ARTIM deadline (acse_timeout from accept, however slowly bytes trickle in) by shutting the
// socket down: that wakes the read DCMTK is blocked in, from outside it.
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

/// DCMTK's connection (plain TCP or TLS), counting the bytes read. Once the watchdog expired
/// the link, a wait ends as a timeout (networkDataAvailable) or as end of stream (read), so
/// DCMTK gives the negotiation up.
class WatchedConnection : public DcmTransportConnection {
public:
    WatchedConnection(dk_scp *scp, std::shared_ptr<Link> link, DcmNativeSocketType sock,
                      DcmTransportConnection *inner)
        : DcmTransportConnection(sock), scp_(scp), link_(std::move(link)), inner_(inner) {}
    ~WatchedConnection() override {
        forgetSocket(scp_, *link_);
        delete inner_;
    }

    OFCondition serverSideHandshake() override { return inner_->serverSideHandshake(); }
    OFCondition clientSideHandshake() override { return inner_->clientSideHandshake(); }
    OFCondition renegotiate(const char *suite) override { return inner_->renegotiate(suite); }

    ssize_t read(void *buf, size_t nbyte) override {
        if (link_->expired.load() != kNotExpired) return endOfStream();
        ssize_t n = inner_->read(buf, nbyte);
        if (n > 0) link_->bytesIn.fetch_add((uint64_t)n);
        if (n <= 0 && link_->expired.load() != kNotExpired) return endOfStream();
        return n;
    }

    ssize_t write(void *buf, size_t nbyte) override { return inner_->write(buf, nbyte); }

    OFBool networkDataAvailable(int timeout) override {
        if (link_->expired.load() != kNotExpired) return OFFalse;
        OFBool available = inner_->networkDataAvailable(timeout);
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
    ssize_t endOfStream() {
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
    if (link.fd >= 0) ::shutdown(link.fd, SHUT_RDWR);
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
    const int64_t now = nowNs();
    const bool stopping = !scp->accepting.load();
    for (const std::shared_ptr<Link> &link : scp->links) {
        if (link->fd < 0 || link->expired.load() != kNotExpired || !link->negotiating.load()) continue;
        if (stopping) expireLocked(*link, kShutdown);
        else if (now >= link->deadlineNs) expireLocked(*link, kArtim);
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

}  // namespace dk_scp_detail

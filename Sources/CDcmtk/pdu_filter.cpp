// The check on a peer's PDU stream (pdu_filter.h): a byte-driven state machine over PDU
// headers (PS3.8 9.3.1: type, reserved, 4-byte big-endian length), the PDVs of P-DATA-TF
// (9.3.5.1: 4-byte length, context ID, message control header: bit 0 command, bit 1 last
// fragment) and the elements of command sets (implicit VR little endian), and the transport
// connection that runs every byte DCMTK reads through it.
#include "pdu_filter.h"
#include "scp_internal.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dul.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>

namespace dk_scp_detail {

bool PduStreamCheck::fail(const std::string &why) {
    if (reason_.empty()) reason_ = why;
    return false;
}

bool PduStreamCheck::command(const uint8_t *p, size_t n) {
    commandBytes_ += n;
    if (commandBytes_ > kMaxCommandBytes)
        return fail("command set larger than " + std::to_string(kMaxCommandBytes) + " bytes");
    while (n > 0) {
        if (valueLeft_ > 0) {
            size_t k = (size_t)std::min<uint64_t>(n, valueLeft_);
            if (capturing_) uid_.append((const char *)p, std::min(k, (size_t)80 - std::min(uid_.size(), (size_t)80)));
            valueLeft_ -= k, p += k, n -= k;
            continue;
        }
        size_t k = std::min(n, sizeof(element_) - elementHave_);
        memcpy(element_ + elementHave_, p, k);
        elementHave_ += k, p += k, n -= k;
        if (elementHave_ < sizeof(element_)) break;
        elementHave_ = 0;
        uint16_t group = (uint16_t)(element_[0] | element_[1] << 8), elem = (uint16_t)(element_[2] | element_[3] << 8);
        uint32_t length = (uint32_t)element_[4] | (uint32_t)element_[5] << 8 | (uint32_t)element_[6] << 16 |
                          (uint32_t)element_[7] << 24;
        char tag[16];
        snprintf(tag, sizeof(tag), "(%04X,%04X)", group, elem);
        if (group != 0x0000) return fail(std::string("element ") + tag + " outside group 0000 in a command set");
        if (length == 0xFFFFFFFFu) return fail(std::string("undefined length in command element ") + tag);
        valueLeft_ = length;
        capturing_ = elem == 0x1000;  // Affected SOP Instance UID: kept as sent
        if (capturing_) {
            uid_.clear();
            uidLength_ = length;
            haveUID_ = true;
        }
    }
    return true;
}

bool PduStreamCheck::collectHeader(const uint8_t *&p, size_t &n) {
    size_t k = std::min(n, (size_t)6 - have_);
    memcpy(header_ + have_, p, k);
    have_ += k, p += k, n -= k;
    if (have_ < 6) return false;
    have_ = 0;
    return true;
}

bool PduStreamCheck::feed(const uint8_t *p, size_t n) {
    if (!reason_.empty()) return false;
    while (n > 0) {
        switch (state_) {
        case State::PduHeader: {
            if (!collectHeader(p, n)) break;
            uint32_t length = (uint32_t)header_[2] << 24 | (uint32_t)header_[3] << 16 | (uint32_t)header_[4] << 8 | header_[5];
            if (header_[0] == 0x04) {
                pduLeft_ = length;
                state_ = length ? State::PdvHeader : State::PduHeader;
            } else {
                skip_ = length;
                state_ = length ? State::Skip : State::PduHeader;
            }
            break;
        }
        case State::Skip: {
            size_t k = (size_t)std::min<uint64_t>(n, skip_);
            skip_ -= k, p += k, n -= k;
            if (skip_ == 0) state_ = State::PduHeader;
            break;
        }
        case State::PdvHeader: {
            if (!collectHeader(p, n)) break;
            uint32_t length = (uint32_t)header_[0] << 24 | (uint32_t)header_[1] << 16 | (uint32_t)header_[2] << 8 | header_[3];
            if (length < 2 || pduLeft_ < 6 || length - 2 > pduLeft_ - 6)
                return fail("PDV length " + std::to_string(length) + " does not fit its P-DATA-TF");
            pduLeft_ -= 6;
            pdvLeft_ = length - 2;
            isCommand_ = header_[5] & 0x01;
            isLast_ = header_[5] & 0x02;
            state_ = State::PdvData;
            if (pdvLeft_ > 0) break;
        }
            [[fallthrough]];
        case State::PdvData: {
            size_t k = (size_t)std::min<uint64_t>(n, pdvLeft_);
            if (isCommand_ && k > 0 && !command(p, k)) return false;
            pdvLeft_ -= k, pduLeft_ -= k, p += k, n -= k;
            if (pdvLeft_ > 0) break;
            if (isCommand_ && isLast_) {  // the command set is complete: the next one starts fresh
                haveLastUID_ = haveUID_;
                lastUID_ = uid_;
                lastUIDLength_ = uidLength_;
                commandBytes_ = 0;
                elementHave_ = 0;
                valueLeft_ = 0;
                capturing_ = haveUID_ = false;
                uid_.clear();
            }
            state_ = pduLeft_ > 0 ? State::PdvHeader : State::PduHeader;
            break;
        }
        }
    }
    return true;
}

namespace {

/// `inner` with every byte read checked; owns `inner`.
class FilteredConnection : public DcmTransportConnection {
public:
    FilteredConnection(DcmTransportConnection *inner, DcmNativeSocketType socket, PduViolationReport report,
                       void *context)
        : DcmTransportConnection(socket), inner_(inner), report_(report), context_(context) {}
    ~FilteredConnection() override { delete inner_; }

    ssize_t read(void *buf, size_t nbyte) override {
        if (refused_) return refuse();
        ssize_t n = inner_->read(buf, nbyte);
        if (n > 0 && !check_.feed((const uint8_t *)buf, (size_t)n)) {
            refused_ = true;
            if (report_) report_(context_, peer().c_str(), check_.reason().c_str());
            return refuse();
        }
        return n;
    }
    ssize_t write(void *buf, size_t nbyte) override { return inner_->write(buf, nbyte); }
    OFCondition serverSideHandshake() override { return inner_->serverSideHandshake(); }
    OFCondition clientSideHandshake() override { return inner_->clientSideHandshake(); }
    OFCondition renegotiate(const char *suite) override { return inner_->renegotiate(suite); }
    void close() override {
        inner_->close();
        setSocket(OFstatic_cast(DcmNativeSocketType, -1));
    }
    void closeTransportConnection() override { inner_->closeTransportConnection(); }
    unsigned long getPeerCertificateLength() override { return inner_->getPeerCertificateLength(); }
    unsigned long getPeerCertificate(void *buf, unsigned long len) override { return inner_->getPeerCertificate(buf, len); }
    OFBool networkDataAvailable(int timeout) override { return refused_ || inner_->networkDataAvailable(timeout); }
    OFBool isTransparentConnection() override { return inner_->isTransparentConnection(); }
    OFString &dumpConnectionParameters(OFString &str) override { return inner_->dumpConnectionParameters(str); }
    const PduStreamCheck &check() const { return check_; }

private:
    ssize_t refuse() {
        errno = EPROTO;
        return -1;
    }
    std::string peer() {
        sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        char host[64] = "";
        if (getpeername(getSocket(), (sockaddr *)&addr, &len) == 0) {
            if (addr.ss_family == AF_INET) inet_ntop(AF_INET, &((sockaddr_in *)&addr)->sin_addr, host, sizeof(host));
            else if (addr.ss_family == AF_INET6) inet_ntop(AF_INET6, &((sockaddr_in6 *)&addr)->sin6_addr, host, sizeof(host));
        }
        return host;
    }

    DcmTransportConnection *inner_;
    PduViolationReport report_;
    void *context_;
    PduStreamCheck check_;
    bool refused_ = false;
};

class FilterLayer : public DcmTransportLayer {
public:
    FilterLayer(DcmTransportLayer *inner, PduViolationReport report, void *context)
        : inner_(inner), report_(report), context_(context) {}
    DcmTransportConnection *createConnection(DcmNativeSocketType socket, OFBool secure) override {
        DcmTransportConnection *c = inner_ ? inner_->createConnection(socket, secure)
                                           : DcmTransportLayer::createConnection(socket, secure);
        return c ? new FilteredConnection(c, socket, report_, context_) : nullptr;
    }

private:
    DcmTransportLayer *inner_;
    PduViolationReport report_;
    void *context_;
};

}  // namespace

DcmTransportLayer *makePduFilterLayer(DcmTransportLayer *inner, PduViolationReport report, void *context) {
    return new FilterLayer(inner, report, context);
}

bool lastAffectedInstance(T_ASC_Association *assoc, std::string &bytes, uint32_t &length) {
    if (!assoc || !assoc->DULassociation) return false;
    DcmTransportConnection *outer = DUL_getTransportConnection(assoc->DULassociation);
    auto *connection = dynamic_cast<FilteredConnection *>(outer);
    if (!connection) connection = dynamic_cast<FilteredConnection *>(watchedInner(outer));  // inside the watchdog's
    return connection && connection->check().lastAffectedInstance(bytes, length);
}

namespace {
void reportToOwner(void *context, const char *peer, const char *reason) {
    dk_scp *scp = static_cast<dk_scp *>(context);
    if (!scp->cb.store_refused) return;
    std::string why = std::string("command set from ") + (peer[0] ? peer : "?") + " refused: " + reason +
                      "; association aborted";
    scp->cb.store_refused(scp->cb.context, 0, "", 0, why.c_str());
}
}  // namespace

DcmTransportLayer *makeScpPduFilter(dk_scp *scp, DcmTransportLayer *inner) {
    return makePduFilterLayer(inner, reportToOwner, scp);
}

}  // namespace dk_scp_detail

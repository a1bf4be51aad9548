// A check on the bytes a peer sends, as DCMTK's upper layer reads them: DIMSE command sets are
// parsed by DCMTK in memory with its recursive parser, before any code of ours sees them, so
// their bytes are checked on the way in (PS3.8 9.3.5 P-DATA-TF and PDVs, PS3.7 6.3 and E.1:
// a command set is group 0000 elements in implicit VR little endian, no sequences). Not part
// of the C API.
#ifndef CDCMTK_PDU_FILTER_H
#define CDCMTK_PDU_FILTER_H

#include "scp_internal.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace dk_scp_detail {

/// Follows a peer's PDU stream (any chunking) and checks every DIMSE command set in it: each
/// element in group 0000 with a defined length, the whole set at most `maxCommandBytes`.
/// Everything else (association PDUs, datasets) passes unchecked: datasets go to a file and
/// through the pre-scan (dataset_scan*.cpp).
class PduStreamCheck {
public:
    static constexpr uint32_t kMaxCommandBytes = 1u << 20;

    /// Feeds the next bytes; false from the first violation on (`reason()` says which).
    bool feed(const uint8_t *bytes, size_t count);
    const std::string &reason() const { return reason_; }
    /// The Affected SOP Instance UID (0000,1000) of the last complete command set, as its
    /// bytes were sent (at most 80 kept) and its length; false if that command had none.
    bool lastAffectedInstance(std::string &bytes, uint32_t &length) const {
        bytes = lastUID_;
        length = lastUIDLength_;
        return haveLastUID_;
    }

private:
    enum class State { PduHeader, Skip, PdvHeader, PdvData };
    bool fail(const std::string &why);
    /// Moves bytes of a 6-byte PDU or PDV header into header_; true once it is complete.
    bool collectHeader(const uint8_t *&p, size_t &n);
    bool command(const uint8_t *bytes, size_t count);

    State state_ = State::PduHeader;
    uint8_t header_[8];
    size_t have_ = 0;           // header bytes collected
    uint64_t skip_ = 0;         // PDU bytes to pass (not P-DATA)
    uint64_t pduLeft_ = 0;      // bytes left in the current P-DATA-TF
    uint64_t pdvLeft_ = 0;      // data bytes left in the current PDV
    bool isCommand_ = false, isLast_ = false;
    // The command set being received: element header bytes collected, value bytes to skip.
    uint8_t element_[8];
    size_t elementHave_ = 0;
    uint64_t valueLeft_ = 0;
    uint64_t commandBytes_ = 0;
    bool capturing_ = false, haveUID_ = false, haveLastUID_ = false;
    std::string uid_, lastUID_;
    uint32_t uidLength_ = 0, lastUIDLength_ = 0;
    std::string reason_;
};

/// Told about a refused stream: `reason` says what the peer at `peer` sent.
typedef void (*PduViolationReport)(void *context, const char *peer, const char *reason);

/// A transport layer that creates `inner`'s connections (plain TCP when `inner` is NULL, TLS
/// otherwise) and runs every byte read from them through a `PduStreamCheck`; on a violation
/// `report` is called once, the read fails (EPROTO) and DCMTK ends the association. `inner` is
/// not owned and must outlive the layer.
DcmTransportLayer *makePduFilterLayer(DcmTransportLayer *inner, PduViolationReport report, void *context);

/// The filter for `scp`'s network, around `inner` (its TLS layer, or nil for plain TCP); the caller
/// owns it and puts it inside the watchdog's layer. A violation is reported through
/// `store_refused` (association 0, status 0: "none, association ended") with the peer and the reason.
DcmTransportLayer *makeScpPduFilter(dk_scp *scp, DcmTransportLayer *inner);

/// The raw Affected SOP Instance UID of the last command set read on `assoc`'s connection
/// (see `PduStreamCheck::lastAffectedInstance`); false when there is none or the connection is
/// not filtered.
bool lastAffectedInstance(T_ASC_Association *assoc, std::string &bytes, uint32_t &length);

}  // namespace dk_scp_detail

#endif

// Shared declarations of the storage SCP's translation units (scp.cpp: accept loop and
// lifecycle; scp_association.cpp: one association). Not part of the C API.
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

namespace dk_scp_detail {

/// `s` without leading and trailing spaces ("" for NULL).
std::string trimmed(const char *s);

/// Serves one accepted association on the calling thread (a StoreSCP), then counts it
/// out of `scp->active`.
void runAssociation(dk_scp *scp, T_ASC_Association *assoc, uint64_t id);

}  // namespace dk_scp_detail

#endif

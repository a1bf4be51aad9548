// libFuzzer target "pdu": arbitrary bytes from a TCP peer to the bridge's storage SCP, as a
// hostile caller sends them: one in-process SCP (dk_scp_start on a free loopback port, an
// owner that accepts every association and stores nothing), and per input one connection that
// sends the bytes, half-closes and waits until the SCP has dropped it. DCMTK's upper layer
// parses the A-ASSOCIATE-RQ (items, presentation contexts, user information), the P-DATA PDUs
// and PDVs, the DIMSE command set; a C-STORE's dataset goes through the bridge's receive,
// pre-scan and header parse. A crash in any SCP thread aborts the process while this input is
// the one being served, so libFuzzer keeps it. Seeds (corpus/pdu) start with a valid request.
#include "cdcmtk.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

static dk_scp *scp = nullptr;
static int port = 0;
static char incoming[] = "/dev/shm/fuzz-pdu-XXXXXX";

/// At exit: the SCP's incoming folder goes (with any file a killed receive left).
static void removeIncoming() {
    if (DIR *d = opendir(incoming)) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(incoming);
}

static int acceptAll(void *, const char *, const char *, const char *, char *, size_t) { return DK_ASSOC_ACCEPT; }
static uint16_t noPrecheck(void *, const char *, char *, size_t) { return 0; }
static uint16_t dropStore(void *, const dk_store_request *r, char *, size_t) {
    unlink(r->temp_path);
    return 0;
}
static void refused(void *, uint64_t, const char *, uint16_t, const char *) {}
static void rejected(void *, const char *, const char *, const char *, const char *) {}
static void ended(void *, const dk_association_summary *) {}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    if (!dk_global_init(0).ok) abort();
    if (!mkdtemp(incoming)) abort();
    atexit(removeIncoming);
    dk_scp_callbacks cb = {nullptr, acceptAll, noPrecheck, dropStore, refused, rejected, ended};
    dk_scp_config config = {"AUTOSEG", 0, 4, 65536, 5, 2, incoming, nullptr};
    dk_status s = dk_scp_start(&config, cb, &scp);
    if (!s.ok) {
        fprintf(stderr, "dk_scp_start: %s\n", s.text);
        abort();
    }
    port = dk_scp_port(scp);
    return 0;
}

/// A connection to the SCP. A connect can fail now and then because the 4-tuple of a
/// recycled ephemeral port is still in TIME_WAIT on the SCP's side (it closed first): retry
/// with a fresh socket; only an SCP that stops accepting for a second is a finding.
static int connectToSCP() {
    sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lastError = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) abort();
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (sockaddr *)&addr, sizeof(addr)) == 0) return fd;
        lastError = errno;
        close(fd);
        usleep(10000);
    }
    fprintf(stderr, "the SCP accepts no connection any more: %s\n", strerror(lastError));
    abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = connectToSCP();
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the SCP already closed: fine
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    // Wait (at most 10 s) until the SCP has dropped the connection: the input is served.
    char buf[4096];
    for (int waited = 0; waited < 10000;) {
        pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 100);
        waited += 100;
        if (r > 0 && recv(fd, buf, sizeof(buf), 0) <= 0) break;
    }
    linger off = {1, 0};  // close with RST: no TIME_WAIT, thousands of connections a second
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
    close(fd);
    // The association thread counts itself out after the socket closes.
    for (int i = 0; i < 2000 && dk_scp_active_associations(scp) > 0; i++) usleep(500);
    return 0;
}

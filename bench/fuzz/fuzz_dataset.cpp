// libFuzzer target "dataset": the bridge's file path on arbitrary bytes. The bounded pre-scan
// (dk_scan_buffer, with and without the UID check) and then, through a memfd (no disk), what
// every reader does with a file: dk_read_file_info (scan + DCMTK header parse + file info, the
// path of FileInfo.read and reconcile), dk_image_header_read (pixel geometry) and
// dk_image_header_read_with_study (the volume loader's first file). Oracle: AddressSanitizer
// and libFuzzer's crash, timeout and out-of-memory detection; plus one invariant: a file the
// pre-scan accepts must not make the header readers crash (they parse it with DCMTK).
#include "cdcmtk.h"
#include "cdcmtk_results.h"

#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char memPath[64];

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    dk_status s = dk_global_init(0);
    if (!s.ok) {
        fprintf(stderr, "dk_global_init: %s\n", s.text);
        abort();
    }
    memfd = memfd_create("fuzz-dataset", 0);
    if (memfd < 0) abort();
    snprintf(memPath, sizeof(memPath), "/proc/self/fd/%d", memfd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dk_scan_options options;
    dk_scan_default_options(&options);
    dk_scan_report report;
    dk_scan_buffer(data, size, &options, &report);
    int accepted = report.problem == DK_SCAN_OK;
    options.check_uids = 1;
    dk_scan_buffer(data, size, &options, &report);

    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) abort();
    dk_file_info info;
    dk_status s = dk_read_file_info(memPath, &info);
    if (!accepted && s.ok) abort();  // the reader must refuse what the pre-scan refuses
    if (!accepted) return 0;
    dk_image_header header;
    if (dk_image_header_read(memPath, &header).ok) dk_image_header_free(&header);
    dk_study_attributes study;
    if (dk_image_header_read_with_study(memPath, &header, &study).ok) {
        dk_image_header_free(&header);
        dk_study_attributes_free(&study);
    }
    return 0;
}

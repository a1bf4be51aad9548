// The bounded pre-scan of a file: where the dataset starts and how it is encoded (file meta,
// or detected for a raw dataset), the walk (dataset_scan.cpp), then the checks that need the
// whole dataset: encapsulated Pixel Data complete, native Pixel Data as long as the image
// needs; and the identifying UIDs as stored (the instance's identity, conformant or not).
// Runs before any DCMTK parse of the file.
#include "dataset_scan.h"
#include "j2k.h"

#include "dcmtk/dcmdata/dcxfer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dk_scan;

namespace {

const char *kDeflated = "1.2.840.10008.1.2.1.99";

dk_scan_options normalized(const dk_scan_options *given) {
    dk_scan_options o;
    dk_scan_default_options(&o);
    if (!given) return o;
    if (given->max_depth) o.max_depth = given->max_depth;
    if (given->max_elements) o.max_elements = given->max_elements;
    if (given->max_items) o.max_items = given->max_items;
    if (given->max_inflated_bytes) o.max_inflated_bytes = given->max_inflated_bytes;
    o.check_uids = given->check_uids;
    return o;
}

/// A captured string value without its padding: trailing NULs, and with `spaces` also leading
/// and trailing spaces.
std::string text(const Captured &c, bool spaces) {
    size_t n = c.stored();
    while (n > 0 && (c.bytes[n - 1] == 0 || (spaces && c.bytes[n - 1] == ' '))) n--;
    size_t start = 0;
    while (spaces && start < n && c.bytes[start] == ' ') start++;
    return std::string((const char *)c.bytes + start, n - start);
}

uint32_t us(const Captured &c) { return c.present && c.stored() >= 2 ? (uint32_t)(c.bytes[0] | c.bytes[1] << 8) : 0; }

/// A captured raw value shown safely (`dk_shown_bytes`).
std::string shown(const Captured &c) { return dk_shown_bytes(c.bytes, c.stored(), c.length > c.stored()); }

/// The longest identity kept (`dk_scan_report`): twice the 64 characters PS3.5 9.1 allows, so
/// that non-conformant UIDs real devices send (over-long, padded) still fit, while a value
/// that is no UID at all (kilobytes of text) is refused rather than cut to a false identity.
const size_t kMaxIdentity = 128;

/// The identity of a captured UI value; false when it does not fit `kMaxIdentity`.
bool identity(const Captured &c, std::string &out) {
    out.clear();
    if (!c.present || c.length == 0) return true;
    if (c.length > c.stored()) return false;
    out = dk_uid_identity(c.bytes, c.length);
    return out.size() <= kMaxIdentity;
}

/// Native Pixel Data must hold Rows × Columns × SamplesPerPixel × NumberOfFrames samples of
/// BitsAllocated bits (PS3.5 8.1.1, PS3.3 C.7.6.3); YBR_*_422 stores two samples per pixel.
std::string pixelProblem(const Facts &f, uint16_t &status) {
    if (f.encapsulatedPixelData) {
        status = 0xC000;
        if (f.pixelItems == 0) return "encapsulated Pixel Data has no Basic Offset Table item";
        status = 0xA900;
        if (f.pixelItems == 1) return "encapsulated Pixel Data holds no fragment";
        return "";
    }
    if (!f.nativePixelData) return "";
    uint32_t rows = us(f.rows), columns = us(f.columns), bits = us(f.bitsAllocated);
    if (rows == 0 || columns == 0 || bits == 0) return "";  // not an image the checks can size
    uint32_t samples = f.samplesPerPixel.present ? us(f.samplesPerPixel) : 1;
    if (samples == 0) samples = 1;
    std::string photometric = text(f.photometric, true);
    if (samples == 3 && photometric.size() > 4 && photometric.compare(photometric.size() - 4, 4, "_422") == 0) samples = 2;
    uint64_t frames = 1;
    std::string nf = text(f.numberOfFrames, true);
    if (!nf.empty()) {
        char *end = nullptr;
        long long v = strtoll(nf.c_str(), &end, 10);
        if (end && *end == 0 && v > 0) frames = (uint64_t)v;
    }
    unsigned __int128 needed = (unsigned __int128)rows * columns * samples * frames * bits;
    needed = (needed + 7) / 8;
    if ((unsigned __int128)f.nativePixelLength >= needed) return "";
    status = 0xA900;
    std::string need = needed > (unsigned __int128)UINT64_MAX ? "more than 2^64" : std::to_string((uint64_t)needed);
    return "Pixel Data holds " + std::to_string(f.nativePixelLength) + " bytes, the image needs " + need;
}

/// Checks that need the whole walk; sets `out` and returns false on the first problem.
bool checkFacts(const Facts &f, const dk_scan_options &o, Outcome &out, uint16_t &status) {
    std::string why = pixelProblem(f, status);
    if (!why.empty()) {
        out.problem = DK_SCAN_PIXEL_DATA;
        out.reason = why;
        return false;
    }
    if (!o.check_uids) return true;
    const struct { const Captured *value; const char *name; } uids[] = {
        {&f.sopInstance, "SOP Instance UID"}, {&f.sopClass, "SOP Class UID"},
        {&f.study, "Study Instance UID"}, {&f.series, "Series Instance UID"},
    };
    std::string kept;
    for (const auto &u : uids) {
        if (identity(*u.value, kept)) continue;
        status = 0xC000;
        out.problem = DK_SCAN_UID;
        out.reason = std::string(u.name) + " of " + std::to_string(u.value->length) +
                     " bytes is longer than the " + std::to_string(kMaxIdentity) + " characters kept: \"" +
                     shown(*u.value) + "\"";
        return false;
    }
    return true;
}

/// Guesses the encoding of a dataset without file meta from its first element (as DCMTK
/// does): little endian unless the group reads small only as big endian; explicit VR when
/// bytes 4-5 are a VR.
Syntax detect(const uint8_t *d, size_t n) {
    if (n < 6) return Syntax::ImplicitLE;
    bool big = d[0] == 0 && d[1] != 0;
    bool letters = d[4] >= 'A' && d[4] <= 'Z' && d[5] >= 'A' && d[5] <= 'Z';
    if (big) return letters ? Syntax::ExplicitBE : Syntax::ImplicitLE;
    return letters ? Syntax::ExplicitLE : Syntax::ImplicitLE;
}

/// Bytes in memory (`dk_scan_buffer`).
struct MemoryInput {
    const uint8_t *data;
    size_t size;
    size_t bytes(uint64_t at, uint8_t *dst, size_t n) {
        size_t k = at >= size ? 0 : (size_t)std::min<uint64_t>(n, size - at);
        memcpy(dst, data + at, k);
        return k;
    }
    void walk(uint64_t start, Syntax s, bool metaOnly, const dk_scan_options &o, Facts &f, Outcome &out) {
        walkMemory(data, size, (size_t)start, s, metaOnly, o, f, out);
    }
    void walkDeflated(uint64_t start, const dk_scan_options &o, Facts &f, Outcome &out) {
        dk_scan::walkDeflated(data, size, (size_t)start, o, f, out);
    }
};

/// A file (`dk_scan_file`): read through pread; a deflated dataset is mapped and inflated.
struct FileInput {
    int fd;
    uint64_t size;
    size_t bytes(uint64_t at, uint8_t *dst, size_t n) {
        ssize_t r = at >= size ? 0 : ::pread(fd, dst, n, (off_t)at);
        return r > 0 ? (size_t)r : 0;
    }
    void walk(uint64_t start, Syntax s, bool metaOnly, const dk_scan_options &o, Facts &f, Outcome &out) {
        walkFile(fd, size, start, s, metaOnly, o, f, out);
    }
    void walkDeflated(uint64_t start, const dk_scan_options &o, Facts &f, Outcome &out) {
        void *mapped = ::mmap(nullptr, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped == MAP_FAILED) {
            out.problem = DK_SCAN_MALFORMED;
            out.reason = std::string("cannot map the deflated file: ") + strerror(errno);
            return;
        }
        dk_scan::walkDeflated((const uint8_t *)mapped, (size_t)size, (size_t)start, o, f, out);
        ::munmap(mapped, (size_t)size);
    }
};

template <class Input>
void scan(Input &in, const dk_scan_options &o, dk_scan_report *report) {
    Facts facts;
    Outcome out;
    uint8_t head[132];
    size_t got = in.bytes(0, head, sizeof(head));
    uint64_t start = 0;
    bool meta = false;
    if (got == 132 && memcmp(head + 128, "DICM", 4) == 0) {
        start = 132;
        meta = true;
    } else if (got >= 6 && head[0] == 0x02 && head[1] == 0 && head[4] >= 'A' && head[4] <= 'Z') {
        meta = true;  // file meta without preamble
    }
    if (meta) in.walk(start, Syntax::ExplicitLE, true, o, facts, out);
    uint64_t datasetStart = meta ? out.end : 0;
    uint64_t left = in.size - datasetStart;
    std::string ts = text(facts.transferSyntax, true);
    uint16_t status = 0xC000;
    if (out.problem == DK_SCAN_OK) {
        if (left > 0 && left < 8) {
            out.problem = DK_SCAN_TRUNCATED;
            out.reason = "dataset too short to hold one element";
        } else if (ts == kDeflated) {
            if (left > 0xFFFFFFF0u) {
                out.problem = DK_SCAN_MALFORMED;
                out.reason = "deflated dataset larger than 4 GiB";
            } else {
                in.walkDeflated(datasetStart, o, facts, out);
            }
        } else {
            DcmXfer xfer(ts.c_str());
            bool known = xfer.getXfer() != EXS_Unknown;
            Syntax syntax = Syntax::ExplicitLE;  // every compressed syntax, known to DCMTK or not
            if (ts.empty()) {
                uint8_t first[6];
                syntax = detect(first, in.bytes(datasetStart, first, sizeof(first)));
            } else if (known && xfer.isImplicitVR()) {
                syntax = Syntax::ImplicitLE;
            } else if (known && xfer.isBigEndian()) {
                syntax = Syntax::ExplicitBE;
            }
            in.walk(datasetStart, syntax, false, o, facts, out);
            // DCMTK 3.6.7 does not know HTJ2K (.201-.203): compressed all the same.
            bool encapsulated = (known && xfer.isEncapsulated()) || dk_j2k_is_transfer_syntax(ts.c_str());
            if (out.problem == DK_SCAN_OK && encapsulated && facts.nativePixelData) {
                out.problem = DK_SCAN_MALFORMED;
                out.reason = "Pixel Data of a compressed transfer syntax is not encapsulated";
            }
        }
        if (out.problem == DK_SCAN_OK) checkFacts(facts, o, out, status);
    }
    report->problem = out.problem;
    report->dimse_status = out.problem == DK_SCAN_OK ? 0 : status;
    dk_copy(report->reason, sizeof(report->reason), out.reason.c_str());
    dk_copy(report->transfer_syntax_uid, sizeof(report->transfer_syntax_uid), ts.c_str());
    report->elements = out.elements;
    report->items = out.items;
    report->depth = out.depth;
    report->dataset_offset = datasetStart;
    const struct { const Captured *value; char *to; } ids[] = {
        {&facts.sopClass, report->sop_class_uid}, {&facts.sopInstance, report->sop_instance_uid},
        {&facts.study, report->study_instance_uid}, {&facts.series, report->series_instance_uid},
    };
    std::string kept;
    for (const auto &id : ids)
        if (identity(*id.value, kept)) dk_copy(id.to, sizeof(report->sop_class_uid), kept.c_str());
}

}  // namespace

extern "C" void dk_scan_default_options(dk_scan_options *out) {
    out->max_depth = 32;
    out->max_elements = 1000000;
    out->max_items = 250000;
    out->max_inflated_bytes = 1ull << 30;
    out->check_uids = 0;
}

extern "C" dk_status dk_scan_buffer(const uint8_t *data, size_t size, const dk_scan_options *options,
                                    dk_scan_report *out) {
    try {
        memset(out, 0, sizeof(*out));
        MemoryInput in{data ? data : (const uint8_t *)"", data ? size : 0};
        scan(in, normalized(options), out);
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_scan_buffer");
    }
}

extern "C" dk_status dk_scan_file(const char *path, const dk_scan_options *options, dk_scan_report *out) {
    memset(out, 0, sizeof(*out));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dk_error((std::string("cannot open ") + path + ": " + strerror(errno)).c_str());
    dk_status result = dk_ok();
    try {
        struct stat st;
        if (::fstat(fd, &st) != 0) {
            result = dk_error((std::string("cannot stat ") + path + ": " + strerror(errno)).c_str());
        } else {
            FileInput in{fd, (uint64_t)st.st_size};
            scan(in, normalized(options), out);
        }
    } catch (const std::exception &e) {
        result = dk_error(e.what());
    } catch (...) {
        result = dk_error("unknown C++ exception in dk_scan_file");
    }
    ::close(fd);
    return result;
}

std::string dk_uid_identity(const uint8_t *bytes, size_t length) {
    size_t n = length;
    while (n > 0 && (bytes[n - 1] == 0 || bytes[n - 1] == ' ')) n--;
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = bytes[i];
        if (b >= 0x20 && b < 0x7F && b != '%' && b != '\\') {
            out += (char)b;
        } else {
            char hex[4];
            snprintf(hex, sizeof(hex), "%%%02X", b);
            out += hex;
        }
    }
    return out;
}

void dk_use_scan_identity(const dk_scan_report &scan, dk_file_info *info) {
    dk_copy(info->sop_class_uid, sizeof(info->sop_class_uid), scan.sop_class_uid);
    dk_copy(info->sop_instance_uid, sizeof(info->sop_instance_uid), scan.sop_instance_uid);
    dk_copy(info->study_instance_uid, sizeof(info->study_instance_uid), scan.study_instance_uid);
    dk_copy(info->series_instance_uid, sizeof(info->series_instance_uid), scan.series_instance_uid);
}

dk_status dk_scan_before_parse(const char *path) {
    dk_scan_report report;
    dk_status s = dk_scan_file(path, nullptr, &report);
    if (!s.ok || report.problem == DK_SCAN_OK) return s;
    return dk_error((std::string("refused before parsing: ") + report.reason).c_str());
}

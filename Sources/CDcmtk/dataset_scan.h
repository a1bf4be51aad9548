// The bounded pre-scan's element walker, shared by dataset_scan.cpp (the walk) and
// dataset_scan_file.cpp (file meta, transfer syntax, checks, the C API). Not part of the C API.
#ifndef CDCMTK_DATASET_SCAN_H
#define CDCMTK_DATASET_SCAN_H

#include "internal.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace dk_scan {

/// How the elements of a dataset are encoded (PS3.5 7.1).
enum class Syntax { ImplicitLE, ExplicitLE, ExplicitBE };

/// A value kept from the top level of the dataset (or the file meta): at most 128 bytes of
/// it, and its full length.
struct Captured {
    bool present = false;
    uint32_t length = 0;
    uint8_t bytes[128];
    size_t stored() const { return length < sizeof(bytes) ? length : sizeof(bytes); }
};

/// What the walk keeps for the checks after it: identifying UIDs (raw), the attributes that
/// say how large native Pixel Data must be, and what Pixel Data was found.
struct Facts {
    Captured transferSyntax, sopClass, sopInstance, study, series;
    Captured rows, columns, samplesPerPixel, bitsAllocated, numberOfFrames, photometric;
    bool nativePixelData = false;
    uint64_t nativePixelLength = 0;
    bool encapsulatedPixelData = false;
    uint64_t pixelItems = 0;   // items of the encapsulated Pixel Data, offset table included
};

/// Where the walk stopped and why (problem is a DK_SCAN_* code).
struct Outcome {
    int problem = DK_SCAN_OK;
    std::string reason;
    uint64_t elements = 0;
    uint64_t items = 0;
    uint32_t depth = 0;
    uint64_t end = 0;          // offset after the last element read
};

/// Walks the elements of `data[start ..< size)` in `syntax`, iteratively. With `metaOnly`
/// it stops before the first top-level element outside group 0002 (the file meta).
/// Counts add to `out` (the meta's counts carry into the dataset's walk).
void walkMemory(const uint8_t *data, size_t size, size_t start, Syntax syntax, bool metaOnly,
                const dk_scan_options &options, Facts &facts, Outcome &out);

/// `walkMemory` on the file `fd` of `size` bytes, read through a small window (pread).
void walkFile(int fd, uint64_t size, uint64_t start, Syntax syntax, bool metaOnly, const dk_scan_options &options,
              Facts &facts, Outcome &out);

/// Walks a deflated explicit VR little endian dataset (`data[start ..< size)` is raw
/// deflate, RFC 1951), inflating into a fixed window; never more than
/// `options.max_inflated_bytes` bytes.
void walkDeflated(const uint8_t *data, size_t size, size_t start, const dk_scan_options &options,
                  Facts &facts, Outcome &out);

/// "(gggg,eeee)".
std::string tagText(uint16_t group, uint16_t element);

}  // namespace dk_scan

#endif

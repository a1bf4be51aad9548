// JPEG 2000 (PS3.5 A.4.4) and High-Throughput JPEG 2000 (A.4.11) pixel data, decoded through
// OpenJPEG (libopenjp2 2.5, which decodes Part 1 and Part 15 codestreams), next to DCMTK's
// codecs. DCMTK 3.6.7 has no JPEG 2000 codec and does not know the HTJ2K transfer syntaxes;
// it still parses their datasets (explicit VR little endian) and pixel sequences. Not part of
// the C API.
#ifndef CDCMTK_J2K_H
#define CDCMTK_J2K_H

#include "internal.h"

#include "dcmtk/dcmdata/dcfcache.h"

#include <cstddef>
#include <cstdint>
#include <vector>

class DcmElement;
class DcmPixelSequence;

/// Whether `uid` is one of the JPEG 2000 / HTJ2K transfer syntaxes decoded here:
/// 1.2.840.10008.1.2.4.90 (lossless only), .91 (lossless or lossy), .201 (HTJ2K lossless),
/// .202 (HTJ2K lossless RPCL), .203 (HTJ2K).
bool dk_j2k_is_transfer_syntax(const char *uid);

/// Decodes one JPEG 2000 codestream (a JP2 file is tolerated) of one frame into `dst`:
/// rows × columns samples of `bitsAllocated` bits (8, 16 or 32), native byte order, each the
/// decoded integer in two's complement cut to that width (the caller masks BitsStored and
/// sign-extends by PixelRepresentation). A clear error, never a crash, for a corrupt or
/// truncated codestream, another image size, more than one component, subsampling, or a
/// precision beyond BitsAllocated.
dk_status dk_j2k_decode_codestream(const uint8_t *data, size_t size, uint32_t rows, uint32_t columns,
                                   uint16_t bitsAllocated, uint8_t *dst, size_t dstBytes);

/// The frames of one encapsulated Pixel Data element: which fragments hold which frame
/// (PS3.5 A.4: the Basic Offset Table; without one, one frame per fragment, or a new frame at
/// each fragment that starts a codestream), each frame's fragments joined and decoded.
class DkJ2KFrames {
public:
    /// Maps the fragments of `pixelData` (read lazily through the file cache) to `frames` frames.
    dk_status open(DcmElement *pixelData, uint32_t frames);
    /// Decodes frame `frame` (0-based) into `dst` (see `dk_j2k_decode_codestream`).
    dk_status decode(uint32_t frame, uint32_t rows, uint32_t columns, uint16_t bitsAllocated, uint8_t *dst,
                     size_t dstBytes);

private:
    dk_status fragment(size_t index, size_t offset, size_t length, uint8_t *dst);

    DcmPixelSequence *sequence_ = nullptr;
    std::vector<size_t> firstFragment_;  // per frame, index into the fragments (item 1 = fragment 0)
    std::vector<size_t> fragmentCount_;
    std::vector<uint32_t> fragmentLength_;
    std::vector<uint8_t> codestream_;
    DcmFileCache cache_;
};

#endif

// One JPEG 2000 / HTJ2K codestream → samples, through OpenJPEG from a memory stream.
#include "j2k.h"

#include <openjpeg.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

/// The transfer syntaxes of PS3.5 A.4.4 (JPEG 2000) and A.4.11 (HTJ2K).
const char *kJ2KTransferSyntaxes[] = {
    "1.2.840.10008.1.2.4.90",   // JPEG 2000 Image Compression (Lossless Only)
    "1.2.840.10008.1.2.4.91",   // JPEG 2000 Image Compression
    "1.2.840.10008.1.2.4.201",  // High-Throughput JPEG 2000 Image Compression (Lossless Only)
    "1.2.840.10008.1.2.4.202",  // High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)
    "1.2.840.10008.1.2.4.203",  // High-Throughput JPEG 2000 Image Compression
};

/// A codestream in memory, read by OpenJPEG through its stream callbacks.
struct MemoryStream {
    const uint8_t *data;
    size_t size;
    size_t at;
};

OPJ_SIZE_T readStream(void *buffer, OPJ_SIZE_T n, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (s->at >= s->size) return (OPJ_SIZE_T)-1;  // end of stream, as OpenJPEG expects
    size_t k = std::min((size_t)n, s->size - s->at);
    memcpy(buffer, s->data + s->at, k);
    s->at += k;
    return k;
}

OPJ_OFF_T skipStream(OPJ_OFF_T n, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (n < 0) {
        if ((size_t)(-n) > s->at) return -1;
        s->at -= (size_t)(-n);
        return n;
    }
    size_t k = std::min((size_t)n, s->size - std::min(s->at, s->size));
    s->at += k;
    return (OPJ_OFF_T)k;
}

OPJ_BOOL seekStream(OPJ_OFF_T to, void *user) {
    auto *s = static_cast<MemoryStream *>(user);
    if (to < 0 || (uint64_t)to > s->size) return OPJ_FALSE;
    s->at = (size_t)to;
    return OPJ_TRUE;
}

/// OpenJPEG's first error message, kept for the status text.
void keepError(const char *message, void *user) {
    auto *first = static_cast<std::string *>(user);
    if (!first->empty()) return;
    *first = message ? message : "";
    while (!first->empty() && (first->back() == '\n' || first->back() == ' ')) first->pop_back();
}

void ignore(const char *, void *) {}

/// Owns the codec, stream and image of one decode.
struct Decoder {
    opj_codec_t *codec = nullptr;
    opj_stream_t *stream = nullptr;
    opj_image_t *image = nullptr;
    ~Decoder() {
        if (image) opj_image_destroy(image);
        if (stream) opj_stream_destroy(stream);
        if (codec) opj_destroy_codec(codec);
    }
};

dk_status failure(const char *what, const std::string &detail) {
    std::string text = std::string("JPEG 2000: ") + what;
    if (!detail.empty()) text += " (" + detail + ")";
    return dk_error(text.c_str());
}

template <typename T>
void store(const OPJ_INT32 *src, uint8_t *dst, size_t n) {
    T *out = reinterpret_cast<T *>(dst);
    for (size_t i = 0; i < n; i++) out[i] = (T)(uint32_t)src[i];  // two's complement, cut to width
}

}  // namespace

bool dk_j2k_is_transfer_syntax(const char *uid) {
    if (uid == nullptr) return false;
    for (const char *ts : kJ2KTransferSyntaxes)
        if (strcmp(uid, ts) == 0) return true;
    return false;
}

dk_status dk_j2k_decode_codestream(const uint8_t *data, size_t size, uint32_t rows, uint32_t columns,
                                   uint16_t bitsAllocated, uint8_t *dst, size_t dstBytes) {
    static const uint8_t kCodestream[] = {0xFF, 0x4F, 0xFF, 0x51};  // SOC then SIZ (ISO 15444-1 A.4.1)
    static const uint8_t kJP2[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};  // JP2 signature box
    OPJ_CODEC_FORMAT format;
    if (size >= sizeof(kCodestream) && memcmp(data, kCodestream, sizeof(kCodestream)) == 0) {
        format = OPJ_CODEC_J2K;
    } else if (size >= sizeof(kJP2) && memcmp(data, kJP2, sizeof(kJP2)) == 0) {
        format = OPJ_CODEC_JP2;  // not what PS3.5 A.4.4 allows, but written by some encoders
    } else {
        return failure("frame does not start with a codestream (SOC/SIZ markers)", "");
    }
    const size_t samples = (size_t)rows * columns;
    if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) return failure("BitsAllocated not 8, 16 or 32", "");
    if (dstBytes < samples * (bitsAllocated / 8)) return failure("frame buffer too small", "");

    std::string error;
    Decoder d;
    d.codec = opj_create_decompress(format);
    if (d.codec == nullptr) return failure("cannot create the decoder", "");
    opj_set_error_handler(d.codec, keepError, &error);
    opj_set_warning_handler(d.codec, ignore, nullptr);
    opj_set_info_handler(d.codec, ignore, nullptr);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(d.codec, &parameters)) return failure("cannot set up the decoder", error);
    // Strict: a truncated codestream is an error, not an image with missing detail (OpenJPEG's
    // default decodes what is there, which for lossless data would be silently wrong pixels).
    opj_decoder_set_strict_mode(d.codec, OPJ_TRUE);

    MemoryStream source{data, size, 0};
    d.stream = opj_stream_create(64 * 1024, OPJ_TRUE);
    if (d.stream == nullptr) return failure("cannot create a stream", "");
    opj_stream_set_user_data(d.stream, &source, nullptr);
    opj_stream_set_user_data_length(d.stream, size);
    opj_stream_set_read_function(d.stream, readStream);
    opj_stream_set_skip_function(d.stream, skipStream);
    opj_stream_set_seek_function(d.stream, seekStream);

    if (!opj_read_header(d.stream, d.codec, &d.image) || d.image == nullptr)
        return failure("unreadable codestream header", error);
    char text[200];
    if (d.image->numcomps != 1) {
        snprintf(text, sizeof(text), "%u components in the codestream: only single-component (grayscale) images are decoded",
                 d.image->numcomps);
        return failure(text, "");
    }
    const opj_image_comp_t &header = d.image->comps[0];
    const uint32_t width = d.image->x1 - d.image->x0, height = d.image->y1 - d.image->y0;
    if (width != columns || height != rows) {
        snprintf(text, sizeof(text), "codestream is %u×%u, the dataset says %u×%u", width, height, columns, rows);
        return failure(text, "");
    }
    if (header.dx != 1 || header.dy != 1) return failure("subsampled component", "");
    if (header.prec == 0 || header.prec > bitsAllocated) {
        snprintf(text, sizeof(text), "codestream precision %u bits exceeds BitsAllocated %u", header.prec, bitsAllocated);
        return failure(text, "");
    }
    if (!opj_decode(d.codec, d.stream, d.image) || !opj_end_decompress(d.codec, d.stream))
        return failure("corrupt or truncated codestream", error);
    const opj_image_comp_t &c = d.image->comps[0];
    if (c.data == nullptr || c.w != columns || c.h != rows) return failure("decoder returned no complete image", error);
    switch (bitsAllocated) {
    case 8: store<uint8_t>(c.data, dst, samples); break;
    case 16: store<uint16_t>(c.data, dst, samples); break;
    default: store<uint32_t>(c.data, dst, samples); break;
    }
    return dk_ok();
}

// Frames of encapsulated JPEG 2000 / HTJ2K Pixel Data: fragments → frames (PS3.5 A.4), decode.
#include "j2k.h"

#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"

#include <cstdio>
#include <cstring>

namespace {

dk_status framesError(const char *text) { return dk_error((std::string("encapsulated Pixel Data: ") + text).c_str()); }

}  // namespace

dk_status DkJ2KFrames::fragment(size_t index, size_t offset, size_t length, uint8_t *dst) {
    DcmPixelItem *item = nullptr;
    if (sequence_->getItem(item, (unsigned long)(index + 1)).bad() || item == nullptr) return framesError("missing fragment");
    OFCondition cond = item->getPartialValue(dst, (Uint32)offset, (Uint32)length, &cache_);
    if (cond.bad()) return dk_from_condition(cond);
    return dk_ok();
}

dk_status DkJ2KFrames::open(DcmElement *pixelData, uint32_t frames) {
    auto *pixels = dynamic_cast<DcmPixelData *>(pixelData);
    if (pixels == nullptr) return framesError("Pixel Data is not a pixel data element");
    E_TransferSyntax repType = EXS_Unknown;
    const DcmRepresentationParameter *repParam = nullptr;
    pixels->getOriginalRepresentationKey(repType, repParam);
    if (pixels->getEncapsulatedRepresentation(repType, repParam, sequence_).bad() || sequence_ == nullptr)
        return framesError("not encapsulated (no fragments)");
    const unsigned long items = sequence_->card();
    if (items < 2) return framesError("no fragment after the Basic Offset Table");
    const size_t fragments = items - 1;
    fragmentLength_.resize(fragments);
    for (size_t i = 0; i < fragments; i++) {
        DcmPixelItem *item = nullptr;
        if (sequence_->getItem(item, (unsigned long)(i + 1)).bad() || item == nullptr) return framesError("missing fragment");
        fragmentLength_[i] = item->getLength();
    }
    firstFragment_.clear();
    fragmentCount_.clear();

    // The Basic Offset Table: each frame's offset from the first fragment's item tag.
    DcmPixelItem *table = nullptr;
    std::vector<uint32_t> offsets;
    if (sequence_->getItem(table, 0).good() && table != nullptr && table->getLength() >= 4) {
        const Uint32 length = table->getLength();
        if (length % 4 != 0) return framesError("Basic Offset Table length is not a multiple of 4");
        std::vector<uint8_t> bytes(length);
        OFCondition cond = table->getPartialValue(bytes.data(), 0, length, &cache_);
        if (cond.bad()) return dk_from_condition(cond);
        for (Uint32 i = 0; i < length; i += 4)
            offsets.push_back((uint32_t)bytes[i] | (uint32_t)bytes[i + 1] << 8 | (uint32_t)bytes[i + 2] << 16 |
                              (uint32_t)bytes[i + 3] << 24);
    }

    char text[200];
    if (frames == 1) {
        firstFragment_.push_back(0);  // one frame: every fragment is part of it
    } else if (!offsets.empty()) {
        if (offsets.size() != frames) {
            snprintf(text, sizeof(text), "Basic Offset Table lists %zu frames, NumberOfFrames is %u", offsets.size(), frames);
            return framesError(text);
        }
        uint64_t at = 0;
        size_t next = 0;
        for (size_t i = 0; i < fragments && next < frames; i++) {
            if (at == offsets[next]) {
                firstFragment_.push_back(i);
                next++;
            } else if (at > offsets[next]) {
                break;
            }
            at += 8 + (uint64_t)fragmentLength_[i];
        }
        if (next != frames) return framesError("a Basic Offset Table entry does not point at a fragment");
    } else if (fragments == frames) {
        for (size_t i = 0; i < fragments; i++) firstFragment_.push_back(i);
    } else {
        // No offset table and not one fragment per frame: a frame starts at each fragment that
        // starts a codestream (SOC, SIZ markers) or a JP2 file.
        for (size_t i = 0; i < fragments; i++) {
            uint8_t head[8] = {0};
            if (fragmentLength_[i] >= 8) {
                dk_status st = fragment(i, 0, 8, head);
                if (!st.ok) return st;
            }
            bool soc = head[0] == 0xFF && head[1] == 0x4F && head[2] == 0xFF && head[3] == 0x51;
            bool jp2 = memcmp(head, "\x00\x00\x00\x0C\x6A\x50\x20\x20", 8) == 0;
            if (soc || jp2 || i == 0) firstFragment_.push_back(i);
        }
        if (firstFragment_.size() != frames) {
            snprintf(text, sizeof(text), "%zu codestreams in %zu fragments, NumberOfFrames is %u", firstFragment_.size(),
                     fragments, frames);
            return framesError(text);
        }
    }
    // A frame runs from its first fragment to the next frame's.
    for (size_t f = 0; f < firstFragment_.size(); f++) {
        size_t end = f + 1 < firstFragment_.size() ? firstFragment_[f + 1] : fragments;
        fragmentCount_.push_back(end - firstFragment_[f]);
    }
    return dk_ok();
}

dk_status DkJ2KFrames::decode(uint32_t frame, uint32_t rows, uint32_t columns, uint16_t bitsAllocated, uint8_t *dst,
                              size_t dstBytes) {
    if (frame >= firstFragment_.size()) return framesError("frame beyond the fragments");
    const size_t first = firstFragment_[frame], count = fragmentCount_[frame];
    uint64_t total = 0;
    for (size_t i = first; i < first + count; i++) total += fragmentLength_[i];
    if (total == 0) return framesError("frame has no bytes");
    codestream_.resize((size_t)total);
    size_t at = 0;
    for (size_t i = first; i < first + count; i++) {
        if (fragmentLength_[i] == 0) continue;
        dk_status st = fragment(i, 0, fragmentLength_[i], codestream_.data() + at);
        if (!st.ok) return st;
        at += fragmentLength_[i];
    }
    // A fragment is padded to even length (PS3.5 A.4): a trailing 0x00 after EOC is harmless.
    return dk_j2k_decode_codestream(codestream_.data(), codestream_.size(), rows, columns, bitsAllocated, dst, dstBytes);
}

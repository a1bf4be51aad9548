// The bounded pre-scan's element walker: one loop over the element stream with an explicit
// stack of open sequences, items and pixel fragments (never recursion), values skipped, not
// copied (only a few top-level ones are kept for the checks). Encoding rules: PS3.5 7.1
// (element headers), 7.5 (sequences and items), A.4 (encapsulated Pixel Data), 6.2.2 (UN of
// undefined length is a sequence in implicit VR little endian).
#include "dataset_scan.h"
#include "dataset_scan_sources.h"

#include "dcmtk/dcmdata/dctag.h"

#include <cstring>
#include <vector>

namespace dk_scan {

std::string tagText(uint16_t group, uint16_t element) {
    char s[16];
    snprintf(s, sizeof(s), "(%04X,%04X)", group, element);
    return s;
}

namespace {

// MARK: Value representations

enum class VRKind { Invalid, Short, Long, SQ, UN, OBOW };

/// PS3.5 Table 7.1-1/7.1-2: what each two-letter VR is; OB, OD, OF, OL, OV, OW, SQ, SV,
/// UC, UN, UR, UT and UV have a 4-byte length after two reserved bytes. A 26×26 table built
/// once, so that a header costs one lookup.
VRKind explicitVR(uint8_t a, uint8_t b) {
    static const std::vector<VRKind> table = [] {
        std::vector<VRKind> t(26 * 26, VRKind::Invalid);
        auto set = [&t](const char *v, VRKind k) { t[(v[0] - 'A') * 26 + (v[1] - 'A')] = k; };
        for (const char *v : {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH",
                              "SL", "SS", "ST", "TM", "UI", "UL", "US"})
            set(v, VRKind::Short);
        for (const char *v : {"OD", "OF", "OL", "OV", "SV", "UC", "UR", "UT", "UV"}) set(v, VRKind::Long);
        set("SQ", VRKind::SQ);
        set("UN", VRKind::UN);
        set("OB", VRKind::OBOW);
        set("OW", VRKind::OBOW);
        return t;
    }();
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return VRKind::Invalid;
    return table[(a - 'A') * 26 + (b - 'A')];
}

/// What DCMTK's data dictionary says of a tag in implicit VR: SQ, unknown (private or not in
/// the dictionary), or another VR.
VRKind dictionaryVR(uint16_t group, uint16_t element) {
    DcmEVR vr = DcmTag(DcmTagKey(group, element)).getEVR();
    if (vr == EVR_SQ) return VRKind::SQ;
    if (vr == EVR_UN || vr == EVR_UNKNOWN || vr == EVR_UNKNOWN2B) return VRKind::UN;
    return VRKind::Short;
}

// MARK: The walker

template <class Source>
class Walker {
public:
    Walker(Source &src, const dk_scan_options &options, Facts &facts, Outcome &out)
        : src_(src), opt_(options), facts_(facts), out_(out) {}

    void run(Syntax syntax, bool metaOnly) {
        stack_.push_back(Frame{Kind::Dataset, syntax, false, src_.bound(), src_.bound(), 0, 0, false});
        while (out_.problem == DK_SCAN_OK) {
            Frame f = stack_.back();
            if (stack_.size() == 1) {
                if (src_.atEnd()) break;
                uint8_t b[2];
                if (metaOnly && (!src_.peek(b, 2) || (b[0] | b[1] << 8) != 0x0002)) break;
            } else if (!f.undefined) {
                if (src_.pos() >= f.end) {
                    pop();
                    continue;
                }
            } else if (src_.pos() >= f.bound || src_.atEnd()) {
                if (src_.problem != DK_SCAN_OK) break;
                if (f.kind == Kind::Fragments) fail(DK_SCAN_TRUNCATED, "encapsulated Pixel Data has no sequence delimiter");
                else if (f.kind == Kind::Sequence) fail(DK_SCAN_TRUNCATED, "sequence " + tagText(f.group, f.element) + " is never closed");
                else fail(DK_SCAN_TRUNCATED, "item of sequence " + tagText(f.group, f.element) + " is never closed");
                break;
            }
            if (f.kind == Kind::Dataset) element(f);
            else if (f.kind == Kind::Sequence) item(f);
            else fragment(f);
        }
        if (src_.problem != DK_SCAN_OK && (out_.problem == DK_SCAN_OK || out_.problem == DK_SCAN_TRUNCATED)) {
            out_.problem = src_.problem;
            out_.reason = src_.error;
        }
        out_.end = src_.pos();
    }

private:
    enum class Kind { Dataset, Sequence, Fragments };
    struct Frame {
        Kind kind;
        Syntax syntax;
        bool undefined;
        uint64_t end;    // defined length: where it ends
        uint64_t bound;  // no value may run past this (own end or an enclosing one)
        uint16_t group, element;  // the sequence this frame belongs to
        bool topPixelData;        // fragments of the top-level Pixel Data
    };

    void fail(int problem, const std::string &why) {
        if (out_.problem != DK_SCAN_OK) return;
        out_.problem = problem;
        out_.reason = why + " (at " + Source::kPosition + " " + std::to_string(src_.pos()) + ")";
    }
    void truncatedHeader() { fail(DK_SCAN_TRUNCATED, "element header cut off by the end of the data"); }

    void pop() {
        if (stack_.back().kind == Kind::Sequence) depth_--;
        stack_.pop_back();
    }

    uint16_t u16(Syntax s, const uint8_t *b) { return s == Syntax::ExplicitBE ? (b[0] << 8 | b[1]) : (b[0] | b[1] << 8); }
    uint32_t u32(Syntax s, const uint8_t *b) {
        return s == Syntax::ExplicitBE ? ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3])
                                       : ((uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0]);
    }
    /// Tag and 4-byte length of an item or delimiter (no VR in any transfer syntax).
    bool itemHeader(Syntax s, uint16_t &g, uint16_t &e, uint32_t &len) {
        uint8_t b[8];
        if (!src_.read(b, 8)) return false;
        g = u16(s, b), e = u16(s, b + 2), len = u32(s, b + 4);
        return true;
    }
    bool room(const Frame &f, uint64_t len) { return len <= f.bound - src_.pos(); }
    std::string where(const Frame &f) { return f.bound == src_.bound() ? "the data" : "its sequence or item"; }
    /// False (and the walk fails) when a header just read crossed the end of its container.
    bool inside(const Frame &f) {
        if (src_.pos() <= f.bound) return true;
        fail(DK_SCAN_TRUNCATED, "element header crosses the end of its sequence or item");
        return false;
    }

    void element(const Frame &f) {
        uint8_t b[8];
        if (!src_.read(b, 4)) return truncatedHeader();
        uint16_t g = u16(f.syntax, b), e = u16(f.syntax, b + 2);
        if (g == 0xFFFE) {
            if (!src_.read(b, 4)) return truncatedHeader();
            if (!inside(f)) return;
            if (e == 0xE00D && f.undefined && stack_.size() > 1) return pop();
            return fail(DK_SCAN_MALFORMED, "unexpected " + tagText(g, e) + " among the elements of " +
                                               (stack_.size() == 1 ? std::string("the dataset") : "an item"));
        }
        if (++out_.elements > opt_.max_elements)
            return fail(DK_SCAN_ELEMENTS, "more than " + std::to_string(opt_.max_elements) + " data elements");
        VRKind vr;
        uint32_t len;
        bool isExplicit = f.syntax != Syntax::ImplicitLE;
        if (isExplicit) {
            if (!src_.read(b, 2)) return truncatedHeader();
            vr = explicitVR(b[0], b[1]);
            if (vr == VRKind::Invalid) {
                char v[16];
                snprintf(v, sizeof(v), "%02X %02X", b[0], b[1]);
                return fail(DK_SCAN_MALFORMED, "invalid VR (bytes " + std::string(v) + ") in " + tagText(g, e));
            }
            if (vr == VRKind::Short) {
                if (!src_.read(b, 2)) return truncatedHeader();
                len = u16(f.syntax, b);
            } else {
                if (!src_.read(b, 6)) return truncatedHeader();
                len = u32(f.syntax, b + 2);
            }
        } else {
            if (!src_.read(b, 4)) return truncatedHeader();
            len = u32(f.syntax, b);
            vr = dictionaryVR(g, e);
        }
        if (!inside(f)) return;
        bool undefined = len == 0xFFFFFFFFu;
        bool pixelData = g == 0x7FE0 && e == 0x0010;
        Syntax inner = f.syntax;
        bool sequence = vr == VRKind::SQ;
        if (isExplicit && vr == VRKind::UN && undefined) {
            sequence = true;  // PS3.5 6.2.2: its items are implicit VR little endian
            inner = Syntax::ImplicitLE;
        } else if (!isExplicit && vr == VRKind::UN && !pixelData) {
            // Private or unknown: DCMTK may know it as SQ (private dictionary); treat what
            // starts like an item as a sequence so that its nesting is bounded too.
            uint8_t p[4];
            sequence = undefined || (len >= 8 && room(f, len) && src_.peek(p, 4) && u16(inner, p) == 0xFFFE &&
                                     u16(inner, p + 2) == 0xE000);
        }
        if (sequence) return openSequence(f, g, e, inner, undefined, len);
        if (undefined) {
            if (pixelData && isExplicit && vr == VRKind::OBOW) {
                bool top = stack_.size() == 1;
                if (top) facts_.encapsulatedPixelData = true;
                stack_.push_back(Frame{Kind::Fragments, f.syntax, true, 0, f.bound, g, e, top});
                return;
            }
            return fail(DK_SCAN_UNDEFINED_LENGTH, "undefined length in " + tagText(g, e) + ", which is not a sequence");
        }
        if (!room(f, len))
            return fail(DK_SCAN_TRUNCATED, "value of " + tagText(g, e) + " (" + std::to_string(len) +
                                               " bytes) runs past the end of " + where(f));
        if (stack_.size() == 1) return keep(f.syntax, g, e, len);
        if (!src_.skip(len)) fail(DK_SCAN_TRUNCATED, "value of " + tagText(g, e) + " runs past the end of the data");
    }

    void openSequence(const Frame &f, uint16_t g, uint16_t e, Syntax inner, bool undefined, uint32_t len) {
        if (depth_ + 1 > opt_.max_depth)
            return fail(DK_SCAN_DEPTH, "sequences nested deeper than " + std::to_string(opt_.max_depth) + " levels");
        if (!undefined && !room(f, len))
            return fail(DK_SCAN_TRUNCATED, "sequence " + tagText(g, e) + " (" + std::to_string(len) +
                                               " bytes) runs past the end of " + where(f));
        depth_++;
        if (depth_ > out_.depth) out_.depth = depth_;
        uint64_t end = undefined ? 0 : src_.pos() + len;
        stack_.push_back(Frame{Kind::Sequence, inner, undefined, end, undefined ? f.bound : end, g, e, false});
    }

    void item(const Frame &f) {
        uint16_t g, e;
        uint32_t len;
        if (!itemHeader(f.syntax, g, e, len)) return truncatedHeader();
        if (!inside(f)) return;
        if (g == 0xFFFE && e == 0xE000) {
            if (++out_.items > opt_.max_items)
                return fail(DK_SCAN_ITEMS, "more than " + std::to_string(opt_.max_items) + " items");
            if (len == 0xFFFFFFFFu) {
                stack_.push_back(Frame{Kind::Dataset, f.syntax, true, 0, f.bound, f.group, f.element, false});
            } else if (!room(f, len)) {
                fail(DK_SCAN_TRUNCATED, "item of sequence " + tagText(f.group, f.element) + " (" + std::to_string(len) +
                                            " bytes) runs past the end of " + where(f));
            } else {
                uint64_t end = src_.pos() + len;
                stack_.push_back(Frame{Kind::Dataset, f.syntax, false, end, end, f.group, f.element, false});
            }
        } else if (g == 0xFFFE && e == 0xE0DD && f.undefined) {
            pop();
        } else {
            fail(DK_SCAN_MALFORMED, tagText(g, e) + " where an item of sequence " + tagText(f.group, f.element) +
                                        " was expected");
        }
    }

    void fragment(const Frame &f) {
        uint16_t g, e;
        uint32_t len;
        if (!itemHeader(f.syntax, g, e, len)) return truncatedHeader();
        if (!inside(f)) return;
        if (g == 0xFFFE && e == 0xE0DD) return pop();
        if (g != 0xFFFE || e != 0xE000)
            return fail(DK_SCAN_MALFORMED, tagText(g, e) + " where a fragment of encapsulated Pixel Data was expected");
        if (len == 0xFFFFFFFFu) return fail(DK_SCAN_UNDEFINED_LENGTH, "pixel data fragment of undefined length");
        if (++out_.items > opt_.max_items)
            return fail(DK_SCAN_ITEMS, "more than " + std::to_string(opt_.max_items) + " items");
        if (!room(f, len) || !src_.skip(len))
            return fail(DK_SCAN_TRUNCATED, "pixel data fragment (" + std::to_string(len) + " bytes) runs past the end of the data");
        if (f.topPixelData) facts_.pixelItems++;
    }

    /// A top-level value: kept when the checks need it, else skipped.
    void keep(Syntax s, uint16_t g, uint16_t e, uint32_t len) {
        Captured *c = nullptr;
        bool us = false;
        switch ((uint32_t)g << 16 | e) {
        case 0x00020010: c = &facts_.transferSyntax; break;
        case 0x00080016: c = &facts_.sopClass; break;
        case 0x00080018: c = &facts_.sopInstance; break;
        case 0x0020000D: c = &facts_.study; break;
        case 0x0020000E: c = &facts_.series; break;
        case 0x00280002: c = &facts_.samplesPerPixel, us = true; break;
        case 0x00280004: c = &facts_.photometric; break;
        case 0x00280008: c = &facts_.numberOfFrames; break;
        case 0x00280010: c = &facts_.rows, us = true; break;
        case 0x00280011: c = &facts_.columns, us = true; break;
        case 0x00280100: c = &facts_.bitsAllocated, us = true; break;
        case 0x7FE00010:
            facts_.nativePixelData = true;
            facts_.nativePixelLength = len;
            break;
        default: break;
        }
        uint32_t rest = len;
        if (c) {
            c->present = true;
            c->length = len;
            if (!src_.read(c->bytes, c->stored())) return fail(DK_SCAN_TRUNCATED, "value of " + tagText(g, e) + " runs past the end of the data");
            if (us && s == Syntax::ExplicitBE && c->stored() >= 2) std::swap(c->bytes[0], c->bytes[1]);
            rest = len - (uint32_t)c->stored();
        }
        if (!src_.skip(rest)) fail(DK_SCAN_TRUNCATED, "value of " + tagText(g, e) + " runs past the end of the data");
    }

    Source &src_;
    const dk_scan_options &opt_;
    Facts &facts_;
    Outcome &out_;
    std::vector<Frame> stack_;
    uint32_t depth_ = 0;
};

}  // namespace

void walkMemory(const uint8_t *data, size_t size, size_t start, Syntax syntax, bool metaOnly,
                const dk_scan_options &options, Facts &facts, Outcome &out) {
    MemorySource src(data, size, start);
    Walker<MemorySource>(src, options, facts, out).run(syntax, metaOnly);
}

void walkFile(int fd, uint64_t size, uint64_t start, Syntax syntax, bool metaOnly, const dk_scan_options &options,
              Facts &facts, Outcome &out) {
    FileSource src(fd, size, start);
    Walker<FileSource>(src, options, facts, out).run(syntax, metaOnly);
}

void walkDeflated(const uint8_t *data, size_t size, size_t start, const dk_scan_options &options,
                  Facts &facts, Outcome &out) {
    InflateSource src(data + start, size - start, options.max_inflated_bytes);
    Walker<InflateSource>(src, options, facts, out).run(Syntax::ExplicitLE, false);
}

}  // namespace dk_scan

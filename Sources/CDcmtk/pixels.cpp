// Image geometry (classic and enhanced multi-frame) and pixel decoding to float32.
#include "internal.h"
#include "j2k.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcxfer.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

// `stored * slope + intercept` must round exactly like the same expression in Swift
// (two roundings), so no fused multiply-add.
#pragma clang fp contract(off)

namespace {

/// Reads exactly `n` numeric values (DS/FD/...) of `tag`; false when absent or fewer.
bool readDoubles(DcmItem *item, const DcmTagKey &tag, double *out, unsigned long n) {
    DcmElement *element = nullptr;
    if (item->findAndGetElement(tag, element).bad() || element == nullptr) return false;
    if (element->getVM() < n) return false;
    for (unsigned long i = 0; i < n; i++) {
        Float64 v = 0;
        if (element->getFloat64(v, i).bad() || !std::isfinite(v)) return false;
        out[i] = v;
    }
    return true;
}

uint16_t readUint16(DcmItem *item, const DcmTagKey &tag, uint16_t fallback) {
    Uint16 v = 0;
    return item->findAndGetUint16(tag, v).good() ? v : fallback;
}

DcmItem *firstItem(DcmItem *item, const DcmTagKey &sequence) {
    DcmItem *result = nullptr;
    if (item == nullptr) return nullptr;
    if (item->findAndGetSequenceItem(sequence, result, 0).bad()) return nullptr;
    return result;
}

/// Reads the image plane / pixel measures / value transformation attributes found
/// directly in `item` into `g` (what is absent leaves `g` unchanged).
void applyPlaneAttributes(DcmItem *item, dk_frame_geometry &g, char *rescaleType, size_t rescaleTypeCap) {
    if (item == nullptr) return;
    double v[6];
    if (readDoubles(item, DCM_ImagePositionPatient, v, 3)) {
        memcpy(g.position, v, sizeof(g.position));
        g.flags |= DK_FRAME_HAS_POSITION;
    }
    if (readDoubles(item, DCM_ImageOrientationPatient, v, 6)) {
        memcpy(g.orientation, v, sizeof(g.orientation));
        g.flags |= DK_FRAME_HAS_ORIENTATION;
    }
    if (readDoubles(item, DCM_PixelSpacing, v, 2)) {
        memcpy(g.pixel_spacing, v, sizeof(g.pixel_spacing));
        g.flags |= DK_FRAME_HAS_PIXEL_SPACING;
    }
    if (readDoubles(item, DCM_SliceThickness, v, 1)) {
        g.slice_thickness = v[0];
        g.flags |= DK_FRAME_HAS_THICKNESS;
    }
    double slope = 0, intercept = 0;
    bool hasSlope = readDoubles(item, DCM_RescaleSlope, &slope, 1);
    bool hasIntercept = readDoubles(item, DCM_RescaleIntercept, &intercept, 1);
    if (hasSlope || hasIntercept) {
        g.rescale_slope = hasSlope ? slope : 1.0;
        g.rescale_intercept = hasIntercept ? intercept : 0.0;
        g.flags |= DK_FRAME_HAS_RESCALE;
    }
    if (rescaleType != nullptr) {
        char type[65];
        dk_get_string(item, DCM_RescaleType, type, sizeof(type));
        if (type[0] != 0) dk_copy(rescaleType, rescaleTypeCap, type);
    }
}

/// The functional group macros of one Shared/PerFrameFunctionalGroupsSequence item.
void applyFunctionalGroups(DcmItem *groups, dk_frame_geometry &g, char *rescaleType, size_t cap) {
    if (groups == nullptr) return;
    applyPlaneAttributes(firstItem(groups, DCM_PlanePositionSequence), g, nullptr, 0);
    applyPlaneAttributes(firstItem(groups, DCM_PlaneOrientationSequence), g, nullptr, 0);
    applyPlaneAttributes(firstItem(groups, DCM_PixelMeasuresSequence), g, nullptr, 0);
    applyPlaneAttributes(firstItem(groups, DCM_PixelValueTransformationSequence), g, rescaleType, cap);
}

/// Fills `out` from a dataset loaded at least up to Pixel Data. Allocates `out->frames`.
dk_status fillHeader(DcmFileFormat &ff, dk_image_header *out) {
    memset(out, 0, sizeof(*out));
    DcmDataset *ds = ff.getDataset();
    dk_get_string(ds, DCM_SOPClassUID, out->sop_class_uid, sizeof(out->sop_class_uid));
    dk_get_string(ds, DCM_SOPInstanceUID, out->sop_instance_uid, sizeof(out->sop_instance_uid));
    dk_get_string(ds, DCM_SeriesInstanceUID, out->series_instance_uid, sizeof(out->series_instance_uid));
    dk_get_string(ff.getMetaInfo(), DCM_TransferSyntaxUID, out->transfer_syntax_uid, sizeof(out->transfer_syntax_uid));
    E_TransferSyntax xferID = ds->getOriginalXfer();
    DcmXfer xfer(xferID);
    if (out->transfer_syntax_uid[0] == 0) {
        dk_copy(out->transfer_syntax_uid, sizeof(out->transfer_syntax_uid), xfer.getXferID());
    }
    // DCMTK 3.6.7 does not know the HTJ2K syntaxes (it reads their datasets as explicit VR
    // little endian): they are encapsulated all the same.
    out->encapsulated = xfer.isEncapsulated() || dk_j2k_is_transfer_syntax(out->transfer_syntax_uid) ? 1 : 0;
    dk_get_string(ds, DCM_Modality, out->modality, sizeof(out->modality));
    dk_get_string(ds, DCM_Units, out->units, sizeof(out->units));
    dk_get_string(ds, DCM_PhotometricInterpretation, out->photometric_interpretation,
               sizeof(out->photometric_interpretation));
    out->rows = readUint16(ds, DCM_Rows, 0);
    out->columns = readUint16(ds, DCM_Columns, 0);
    out->bits_allocated = readUint16(ds, DCM_BitsAllocated, 0);
    out->bits_stored = readUint16(ds, DCM_BitsStored, out->bits_allocated);
    out->high_bit = readUint16(ds, DCM_HighBit, out->bits_stored > 0 ? out->bits_stored - 1 : 0);
    out->pixel_representation = readUint16(ds, DCM_PixelRepresentation, 0);
    out->samples_per_pixel = readUint16(ds, DCM_SamplesPerPixel, 1);

    Sint32 frames = 1;
    if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
    out->number_of_frames = (uint32_t)frames;

    DcmItem *shared = firstItem(ds, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems *perFrame = nullptr;
    if (ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).bad()) perFrame = nullptr;
    out->enhanced = (shared != nullptr || perFrame != nullptr) ? 1 : 0;

    // Top level (classic images), then shared, then per-frame groups.
    dk_frame_geometry base;
    memset(&base, 0, sizeof(base));
    base.rescale_slope = 1.0;
    base.rescale_intercept = 0.0;
    applyPlaneAttributes(ds, base, out->rescale_type, sizeof(out->rescale_type));
    applyFunctionalGroups(shared, base, out->rescale_type, sizeof(out->rescale_type));

    out->frames = static_cast<dk_frame_geometry *>(calloc(out->number_of_frames, sizeof(dk_frame_geometry)));
    if (out->frames == nullptr) return dk_error("out of memory for frame geometry");
    for (uint32_t f = 0; f < out->number_of_frames; f++) {
        out->frames[f] = base;
        if (perFrame != nullptr && f < perFrame->card()) {
            const bool typeUnknown = f == 0 && out->rescale_type[0] == 0;
            applyFunctionalGroups(perFrame->getItem(f), out->frames[f], typeUnknown ? out->rescale_type : nullptr,
                                  sizeof(out->rescale_type));
        }
    }
    return dk_ok();
}

/// Stored value → float: the BitsStored bits at HighBit, sign-extended, rescaled.
template <typename T>
void convertFrame(const T *src, float *dst, size_t n, const dk_image_header &h, double slope, double intercept) {
    const unsigned bitsStored = h.bits_stored;
    const unsigned shift = (unsigned)h.high_bit + 1 - bitsStored;
    const uint64_t mask = bitsStored >= 64 ? ~0ull : ((1ull << bitsStored) - 1);
    const bool isSigned = h.pixel_representation == 1;
    const uint64_t signBit = 1ull << (bitsStored - 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t raw = ((uint64_t)src[i] >> shift) & mask;
        int64_t value = (isSigned && (raw & signBit)) ? (int64_t)raw - (int64_t)(mask + 1) : (int64_t)raw;
        double rescaled = (double)value * slope;
        rescaled = rescaled + intercept;
        dst[i] = (float)rescaled;
    }
}

dk_status checkDecodable(const dk_image_header &h) {
    char text[256];
    if (h.rows == 0 || h.columns == 0) return dk_error("no Rows/Columns");
    if (h.samples_per_pixel != 1) {
        snprintf(text, sizeof(text), "SamplesPerPixel %u: only single-sample (grayscale) images are decoded",
                 (unsigned)h.samples_per_pixel);
        return dk_error(text);
    }
    if (h.bits_allocated != 8 && h.bits_allocated != 16 && h.bits_allocated != 32) {
        snprintf(text, sizeof(text), "BitsAllocated %u not supported (8, 16 or 32)", (unsigned)h.bits_allocated);
        return dk_error(text);
    }
    if (h.bits_stored == 0 || h.bits_stored > h.bits_allocated || h.high_bit >= h.bits_allocated ||
        h.high_bit + 1 < h.bits_stored) {
        snprintf(text, sizeof(text), "inconsistent BitsStored %u / HighBit %u / BitsAllocated %u",
                 (unsigned)h.bits_stored, (unsigned)h.high_bit, (unsigned)h.bits_allocated);
        return dk_error(text);
    }
    if (h.pixel_representation > 1) return dk_error("PixelRepresentation is neither 0 nor 1");
    return dk_ok();
}

struct HeaderGuard {
    dk_image_header h;
    HeaderGuard() { memset(&h, 0, sizeof(h)); }
    ~HeaderGuard() { free(h.frames); }
};

dk_status decodeFrames(const char *path, uint32_t first, uint32_t count, float *const *destinations,
                       size_t frameLength) {
    dk_status scanned = dk_scan_before_parse(path);
    if (!scanned.ok) return scanned;
    DcmFileFormat ff;
    // Large values (the pixel data, or its fragments) stay in the file and are read
    // frame by frame through the file cache, so memory does not grow with the file.
    OFCondition cond = ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
    if (cond.bad()) return dk_from_condition(cond);
    HeaderGuard guard;
    dk_status st = fillHeader(ff, &guard.h);
    if (!st.ok) return st;
    const dk_image_header &h = guard.h;
    st = checkDecodable(h);
    if (!st.ok) return st;
    char text[256];
    if (frameLength != (size_t)h.rows * h.columns) {
        snprintf(text, sizeof(text), "frame length %zu does not match %u×%u", frameLength, h.rows, h.columns);
        return dk_error(text);
    }
    if ((uint64_t)first + count > h.number_of_frames) {
        snprintf(text, sizeof(text), "frames %u..<%u requested, file has %u", first, first + count,
                 h.number_of_frames);
        return dk_error(text);
    }
    DcmDataset *ds = ff.getDataset();
    DcmElement *pixelData = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, pixelData).bad() || pixelData == nullptr) {
        return dk_error("no Pixel Data (7FE0,0010)");
    }
    Uint32 frameSize = 0;
    cond = pixelData->getUncompressedFrameSize(ds, frameSize);
    if (cond.bad()) return dk_from_condition(cond);
    const size_t bytesPerSample = h.bits_allocated / 8;
    if (frameSize < frameLength * bytesPerSample) return dk_error("pixel data frame smaller than Rows × Columns");
    // Even size: the codec may swap bytes in place (see DcmPixelData::getUncompressedFrame).
    std::vector<uint8_t> buffer((frameSize + 1) & ~1u);
    DcmFileCache cache;
    Uint32 startFragment = 0;
    // JPEG 2000 and HTJ2K: OpenJPEG (j2k*.cpp), DCMTK has no codec for them.
    const bool j2k = dk_j2k_is_transfer_syntax(h.transfer_syntax_uid);
    DkJ2KFrames j2kFrames;
    if (j2k) {
        st = j2kFrames.open(pixelData, h.number_of_frames);
        if (!st.ok) return st;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (destinations[i] == nullptr) {
            startFragment = 0;  // unknown again: let DCMTK find the next frame's fragment
            continue;
        }
        const uint32_t frame = first + i;
        if (j2k) {
            st = j2kFrames.decode(frame, h.rows, h.columns, h.bits_allocated, buffer.data(), buffer.size());
            if (!st.ok) {
                snprintf(text, sizeof(text), "frame %u: %s", frame + 1, st.text);
                return dk_error(text);
            }
        } else {
            OFString colorModel;
            cond = pixelData->getUncompressedFrame(ds, frame, startFragment, buffer.data(), (Uint32)buffer.size(),
                                                   colorModel, &cache);
            if (cond.bad()) {
                snprintf(text, sizeof(text), "frame %u: %s", frame + 1, cond.text());
                return dk_error(text);
            }
        }
        const dk_frame_geometry &g = h.frames[frame];
        switch (h.bits_allocated) {
        case 8:
            convertFrame(reinterpret_cast<const uint8_t *>(buffer.data()), destinations[i], frameLength, h,
                         g.rescale_slope, g.rescale_intercept);
            break;
        case 16:
            convertFrame(reinterpret_cast<const uint16_t *>(buffer.data()), destinations[i], frameLength, h,
                         g.rescale_slope, g.rescale_intercept);
            break;
        default:
            convertFrame(reinterpret_cast<const uint32_t *>(buffer.data()), destinations[i], frameLength, h,
                         g.rescale_slope, g.rescale_intercept);
            break;
        }
    }
    return dk_ok();
}

} // namespace

dk_status dk_fill_image_header(DcmFileFormat &ff, dk_image_header *out) { return fillHeader(ff, out); }

extern "C" dk_status dk_image_header_read(const char *path, dk_image_header *out) {
    if (out == nullptr) return dk_error("no header to fill");
    memset(out, 0, sizeof(*out));
    try {
        dk_status scanned = dk_scan_before_parse(path);
        if (!scanned.ok) return scanned;
        DcmFileFormat ff;
        OFCondition cond = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                               ERM_autoDetect, DCM_PixelData);
        if (cond.bad()) return dk_from_condition(cond);
        dk_status st = fillHeader(ff, out);
        if (!st.ok) dk_image_header_free(out);
        return st;
    } catch (const std::bad_alloc &) {
        dk_image_header_free(out);
        return dk_error("out of memory reading image header");
    } catch (const std::exception &e) {
        dk_image_header_free(out);
        return dk_error(e.what());
    } catch (...) {
        dk_image_header_free(out);
        return dk_error("unknown C++ exception in dk_image_header_read");
    }
}

extern "C" void dk_image_header_free(dk_image_header *header) {
    if (header == nullptr) return;
    free(header->frames);
    header->frames = nullptr;
}

extern "C" dk_status dk_image_decode_frames(const char *path, uint32_t first_frame, uint32_t frame_count,
                                            float *const *destinations, size_t frame_length) {
    if (path == nullptr || (frame_count > 0 && destinations == nullptr)) return dk_error("no path or destinations");
    try {
        return decodeFrames(path, first_frame, frame_count, destinations, frame_length);
    } catch (const std::bad_alloc &) {
        return dk_error("out of memory decoding pixel data");
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_image_decode_frames");
    }
}


// Writing images: phantoms and (later) secondary captures.
#include "internal.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"

#include <cstdio>
#include <string>

extern "C" dk_status dk_write_image16(const char *path, const dk_attribute *attributes, size_t count,
                                      const int16_t *pixels, uint16_t rows, uint16_t columns) {
    try {
        if (path == nullptr || pixels == nullptr || rows == 0 || columns == 0) {
            return dk_error("dk_write_image16: missing path, pixels or size");
        }
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        for (size_t i = 0; i < count; i++) {
            const dk_attribute &a = attributes[i];
            DcmTag tag(a.group, a.element);
            if (tag.getEVR() == EVR_UNKNOWN || tag.getEVR() == EVR_UN) {
                char text[96];
                snprintf(text, sizeof(text), "dk_write_image16: (%04x,%04x) is not in the data dictionary",
                         a.group, a.element);
                return dk_error(text);
            }
            OFCondition c = ds->putAndInsertString(tag, a.value ? a.value : "");
            if (c.bad()) return dk_from_condition(c);
        }
        OFCondition c = ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
        if (c.good()) c = ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
        if (c.good()) c = ds->putAndInsertUint16(DCM_Rows, rows);
        if (c.good()) c = ds->putAndInsertUint16(DCM_Columns, columns);
        if (c.good()) c = ds->putAndInsertUint16(DCM_BitsAllocated, 16);
        if (c.good()) c = ds->putAndInsertUint16(DCM_BitsStored, 16);
        if (c.good()) c = ds->putAndInsertUint16(DCM_HighBit, 15);
        if (c.good()) c = ds->putAndInsertUint16(DCM_PixelRepresentation, 1);
        if (c.good()) {
            c = ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(pixels),
                                            (unsigned long)rows * columns);
        }
        if (c.bad()) return dk_from_condition(c);
        std::string tmp = std::string(path) + ".tmp";
        c = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL, EPD_noChange,
                        0, 0, EWM_fileformat);
        if (c.bad()) {
            remove(tmp.c_str());
            return dk_from_condition(c);
        }
        if (rename(tmp.c_str(), path) != 0) {
            remove(tmp.c_str());
            return dk_error("dk_write_image16: cannot rename the temp file into place");
        }
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_write_image16");
    }
}

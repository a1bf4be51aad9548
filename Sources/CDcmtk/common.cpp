// Process set-up, status conversion, UID checks and header reading.
#include "internal.h"

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/stat.h>

dk_status dk_ok() {
    dk_status s;
    memset(&s, 0, sizeof(s));
    s.ok = 1;
    return s;
}

dk_status dk_from_condition(const OFCondition &cond) {
    dk_status s;
    memset(&s, 0, sizeof(s));
    s.ok = cond.good() ? 1 : 0;
    s.module = cond.module();
    s.code = cond.code();
    dk_copy(s.text, sizeof(s.text), cond.text());
    return s;
}

dk_status dk_error(const char *text) {
    dk_status s;
    memset(&s, 0, sizeof(s));
    s.ok = 0;
    s.module = 0xffff;
    s.code = 1;
    dk_copy(s.text, sizeof(s.text), text);
    return s;
}

void dk_copy(char *dst, size_t cap, const char *src) {
    if (cap == 0) return;
    if (src == nullptr) src = "";
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

extern "C" dk_status dk_global_init(int level) {
    static std::once_flag once;
    static dk_status result;
    try {
        std::call_once(once, [level]() {
            // Without this every C-STORE stalls ~40 ms on the delayed ACK (DCMTK_NOTES §1).
            setenv("TCP_NODELAY", "1", 0);
            OFLogger::LogLevel ll = OFLogger::FATAL_LOG_LEVEL;
            switch (level) {
            case 1: ll = OFLogger::ERROR_LOG_LEVEL; break;
            case 2: ll = OFLogger::WARN_LOG_LEVEL; break;
            case 3: ll = OFLogger::INFO_LOG_LEVEL; break;
            case 4: ll = OFLogger::DEBUG_LOG_LEVEL; break;
            default: break;
            }
            OFLog::configure(ll);
            if (!dcmDataDict.isDictionaryLoaded()) {
                result = dk_error("DICOM data dictionary not loaded (expected /usr/share/libdcmtk17/dicom.dic; "
                                  "set DCMDICTPATH or install libdcmtk17)");
                return;
            }
            DJDecoderRegistration::registerCodecs();
            DJLSDecoderRegistration::registerCodecs();
            DcmRLEDecoderRegistration::registerCodecs();
            dk_tls_global_init();
            result = dk_ok();
        });
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_global_init");
    }
    return result;
}

extern "C" int dk_uid_is_valid(const char *uid) {
    if (uid == nullptr) return 0;
    size_t n = strlen(uid);
    if (n == 0 || n > 64) return 0;
    size_t componentStart = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = uid[i];
        if (c == '.' || c == 0) {
            size_t len = i - componentStart;
            if (len == 0) return 0;
            if (len > 1 && uid[componentStart] == '0') return 0;
            componentStart = i + 1;
        } else if (c < '0' || c > '9') {
            return 0;
        }
    }
    return 1;
}

std::string dk_shown_bytes(const uint8_t *bytes, size_t count, bool more) {
    std::string out;
    for (size_t i = 0; i < count && out.size() < 40; i++) {
        uint8_t b = bytes[i];
        if (b >= 0x20 && b < 0x7F && b != '\\' && b != '%' && b != '"') {
            out += (char)b;
        } else {
            char hex[4];
            snprintf(hex, sizeof(hex), "%%%02X", b);
            out += hex;
        }
    }
    if (more || out.size() >= 40) out += "...";
    return out;
}

void dk_get_string(DcmItem *item, const DcmTagKey &tag, char *dst, size_t cap) {
    OFString value;
    dst[0] = 0;
    if (item->findAndGetOFStringArray(tag, value).good()) {
        // Trim padding and stray NULs the way DICOM values are compared.
        size_t end = value.size();
        while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == 0)) end--;
        size_t start = 0;
        while (start < end && value[start] == ' ') start++;
        dk_copy(dst, cap, value.substr(start, end - start).c_str());
    }
}

static int32_t getInt(DcmItem *item, const DcmTagKey &tag) {
    Sint32 v = 0;
    if (item->findAndGetSint32(tag, v).good()) return v;
    OFString s;
    if (item->findAndGetOFString(tag, s).good() && !s.empty()) {
        char *end = nullptr;
        long l = strtol(s.c_str(), &end, 10);
        if (end != s.c_str()) return (int32_t)l;
    }
    return INT32_MIN;
}

/// The text of element `low` of the private block `creator` reserved in `group` (PS3.5 7.8.1:
/// creator at (group,00xx), its elements at (group,xxyy)), "" when absent. Vendors' data
/// often arrives as UN (implicit VR without their dictionary): the value bytes are its text.
static std::string privateText(DcmItem *item, uint16_t group, const char *creator, uint8_t low) {
    for (uint16_t block = 0x10; block <= 0xFF; block++) {
        OFString name;
        if (item->findAndGetOFString(DcmTagKey(group, block), name).bad()) continue;
        while (!name.empty() && (name.back() == ' ' || name.back() == 0)) name.erase(name.size() - 1);
        if (name != creator) continue;
        DcmElement *e = nullptr;
        if (item->findAndGetElement(DcmTagKey(group, (uint16_t)(block << 8 | low)), e).bad() || !e) return "";
        DcmEVR vr = e->getTag().getEVR();
        if (vr == EVR_UN || vr == EVR_OB || vr == EVR_UNKNOWN) {
            Uint8 *bytes = nullptr;
            if (e->getUint8Array(bytes).bad() || !bytes) return "";
            return std::string((const char *)bytes, strnlen((const char *)bytes, e->getLength()));
        }
        OFString value;
        return e->getOFStringArray(value).good() ? std::string(value.c_str()) : "";
    }
    return "";
}

/// The b-value of `dk_file_info.diffusion_b_value`; NaN when no attribute says.
static double diffusionBValue(DcmItem *ds) {
    Float64 b = 0;
    if (ds->findAndGetFloat64(DCM_DiffusionBValue, b).good()) return b;
    OFString modality;  // the vendor blocks are MR's: other images skip their search
    if (ds->findAndGetOFString(DCM_Modality, modality).bad() || modality != "MR") return NAN;
    std::string text = privateText(ds, 0x0043, "GEMS_PARM_01", 0x39);
    // GE: "b\\x\\y\\z"; some releases add 10^9 as a flag to the first value (as dcm2niix reads it).
    if (!text.empty()) {
        char *end = nullptr;
        double v = strtod(text.c_str(), &end);
        if (end != text.c_str()) return std::fmod(v, 1e9);
    }
    text = privateText(ds, 0x0019, "SIEMENS MR HEADER", 0x0C);
    if (!text.empty()) {
        char *end = nullptr;
        double v = strtod(text.c_str(), &end);
        if (end != text.c_str()) return v;
    }
    return NAN;
}

dk_status dk_fill_file_info(DcmFileFormat &ff, const char *path, dk_file_info *out) {
    memset(out, 0, sizeof(*out));
    DcmDataset *ds = ff.getDataset();
    DcmMetaInfo *meta = ff.getMetaInfo();
    dk_get_string(ds, DCM_SOPClassUID, out->sop_class_uid, sizeof(out->sop_class_uid));
    dk_get_string(ds, DCM_SOPInstanceUID, out->sop_instance_uid, sizeof(out->sop_instance_uid));
    dk_get_string(ds, DCM_StudyInstanceUID, out->study_instance_uid, sizeof(out->study_instance_uid));
    dk_get_string(ds, DCM_SeriesInstanceUID, out->series_instance_uid, sizeof(out->series_instance_uid));
    dk_get_string(meta, DCM_TransferSyntaxUID, out->transfer_syntax_uid, sizeof(out->transfer_syntax_uid));
    if (out->transfer_syntax_uid[0] == 0) {
        DcmXfer xfer(ds->getOriginalXfer());
        dk_copy(out->transfer_syntax_uid, sizeof(out->transfer_syntax_uid), xfer.getXferID());
    }
    dk_get_string(ds, DCM_PatientID, out->patient_id, sizeof(out->patient_id));
    dk_get_string(ds, DCM_PatientName, out->patient_name, sizeof(out->patient_name));
    dk_get_string(ds, DCM_PatientBirthDate, out->patient_birth_date, sizeof(out->patient_birth_date));
    dk_get_string(ds, DCM_PatientSex, out->patient_sex, sizeof(out->patient_sex));
    dk_get_string(ds, DCM_StudyDate, out->study_date, sizeof(out->study_date));
    dk_get_string(ds, DCM_StudyTime, out->study_time, sizeof(out->study_time));
    dk_get_string(ds, DCM_AccessionNumber, out->accession_number, sizeof(out->accession_number));
    dk_get_string(ds, DCM_StudyDescription, out->study_description, sizeof(out->study_description));
    dk_get_string(ds, DCM_Modality, out->modality, sizeof(out->modality));
    dk_get_string(ds, DCM_BodyPartExamined, out->body_part_examined, sizeof(out->body_part_examined));
    dk_get_string(ds, DCM_SeriesDescription, out->series_description, sizeof(out->series_description));
    dk_get_string(ds, DCM_ImageType, out->image_type, sizeof(out->image_type));
    dk_get_string(ds, DCM_ContrastBolusAgent, out->contrast_bolus_agent, sizeof(out->contrast_bolus_agent));
    dk_get_string(ds, DCM_FrameOfReferenceUID, out->frame_of_reference_uid, sizeof(out->frame_of_reference_uid));
    Float64 thickness = 0;
    out->slice_thickness = ds->findAndGetFloat64(DCM_SliceThickness, thickness).good() ? thickness : NAN;
    out->series_number = getInt(ds, DCM_SeriesNumber);
    out->instance_number = getInt(ds, DCM_InstanceNumber);
    dk_get_string(meta, DCM_SourceApplicationEntityTitle, out->source_ae_title, sizeof(out->source_ae_title));
    dk_get_string(meta, DCM_SendingApplicationEntityTitle, out->sending_ae_title, sizeof(out->sending_ae_title));
    dk_get_string(meta, DCM_ReceivingApplicationEntityTitle, out->receiving_ae_title, sizeof(out->receiving_ae_title));
    dk_get_string(meta, DCM_SourcePresentationAddress, out->source_presentation_address,
                  sizeof(out->source_presentation_address));
    dk_get_string(meta, DCM_SendingPresentationAddress, out->sending_presentation_address,
                  sizeof(out->sending_presentation_address));
    out->diffusion_b_value = diffusionBValue(ds);
    out->modified_time = NAN;
    struct stat st;
    if (path && ::stat(path, &st) == 0) {
        out->file_size = (int64_t)st.st_size;
        out->modified_time = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9;
    }
    return dk_ok();
}

extern "C" dk_status dk_read_file_info(const char *path, dk_file_info *out) {
    try {
        dk_scan_report scan;
        dk_status scanned = dk_scan_file(path, nullptr, &scan);
        if (!scanned.ok) return scanned;
        if (scan.problem != DK_SCAN_OK) return dk_error((std::string("refused before parsing: ") + scan.reason).c_str());
        DcmFileFormat ff;
        OFCondition cond = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                               ERM_autoDetect, DCM_PixelData);
        if (cond.bad()) return dk_from_condition(cond);
        dk_status filled = dk_fill_file_info(ff, path, out);
        if (filled.ok) dk_use_scan_identity(scan, out);  // the identity as stored, as the SCP names it
        return filled;
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_read_file_info");
    }
}

// Results: the source study's patient/study attributes, cleaned, and helpers shared by the
// SEG, SR and SC writers.
#include "results_internal.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcbytstr.h"
#include "dcmtk/dcmdata/dcvr.h"
#include "dcmtk/dcmdata/dcvrda.h"
#include "dcmtk/dcmdata/dcvrtm.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmdata/dcsequen.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

enum class Check { vr, uid, date, sex };

struct Copied {
    DcmTagKey tag;
    const char *name;
    const char *vm;
    Check check;
};

// Patient, Patient Study, General Study and Frame of Reference attributes results carry over.
const Copied copied[] = {
    {DCM_SpecificCharacterSet, "SpecificCharacterSet", "1-n", Check::vr},
    {DCM_PatientName, "PatientName", "1", Check::vr},
    {DCM_PatientID, "PatientID", "1", Check::vr},
    {DCM_IssuerOfPatientID, "IssuerOfPatientID", "1", Check::vr},
    {DCM_PatientBirthDate, "PatientBirthDate", "1", Check::date},
    {DCM_PatientSex, "PatientSex", "1", Check::sex},
    {DCM_PatientAge, "PatientAge", "1", Check::vr},
    {DCM_PatientSize, "PatientSize", "1", Check::vr},
    {DCM_PatientWeight, "PatientWeight", "1", Check::vr},
    {DCM_StudyInstanceUID, "StudyInstanceUID", "1", Check::uid},
    {DCM_StudyDate, "StudyDate", "1", Check::date},
    {DCM_StudyTime, "StudyTime", "1", Check::vr},
    {DCM_ReferringPhysicianName, "ReferringPhysicianName", "1", Check::vr},
    {DCM_StudyID, "StudyID", "1", Check::vr},
    {DCM_AccessionNumber, "AccessionNumber", "1", Check::vr},
    {DCM_StudyDescription, "StudyDescription", "1", Check::vr},
    {DCM_FrameOfReferenceUID, "FrameOfReferenceUID", "1", Check::uid},
    {DCM_PositionReferenceIndicator, "PositionReferenceIndicator", "1", Check::vr},
    // Patient module, de-identification (PS3.3 C.7.1.1; PS3.15 E.1): a result derived from a
    // de-identified image is as de-identified as its source and must still say so and how.
    {DCM_PatientIdentityRemoved, "PatientIdentityRemoved", "1", Check::vr},
    {DCM_DeidentificationMethod, "DeidentificationMethod", "1-n", Check::vr},
    {DCM_DeidentificationMethodCodeSequence, "DeidentificationMethodCodeSequence", "1-n", Check::vr},
};

// Type 2 attributes every result must carry, empty when unknown.
const DcmTagKey type2[] = {
    DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate, DCM_PatientSex, DCM_StudyDate,
    DCM_StudyTime, DCM_ReferringPhysicianName, DCM_StudyID, DCM_AccessionNumber,
};

// Facts about the source series that are read but not copied.
const DcmTagKey facts[] = {
    DCM_SeriesInstanceUID, DCM_Modality, DCM_SeriesNumber, DCM_BodyPartExamined,
    DCM_SOPClassUID, DCM_SeriesDescription, DCM_SliceThickness,
};

bool validDate(const OFString &v) {
    if (v.length() != 8) return false;
    for (char c : v) if (c < '0' || c > '9') return false;
    int y = atoi(v.substr(0, 4).c_str()), m = atoi(v.substr(4, 2).c_str()), d = atoi(v.substr(6, 2).c_str());
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1800 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

// Why `e` may not be copied, or "" when it may.
std::string problem(DcmElement *e, const Copied &c) {
    if (e->getVR() == EVR_SQ) return "";  // a code sequence: copied whole (its items are codes)
    OFString value;
    e->getOFStringArray(value);
    // Trailing padding is not part of the value.
    while (!value.empty() && (value[value.length() - 1] == ' ' || value[value.length() - 1] == 0))
        value.erase(value.length() - 1);
    if (value.empty()) return "";
    OFCondition vr = e->checkValue(c.vm, OFFalse);
    if (vr.bad()) return std::string("does not conform to its VR/VM: ") + vr.text();
    // DCMTK's check leaves lengths alone unless told otherwise: every value (and each
    // component group of a PN) must fit the VR's maximum.
    DcmVR dvr(e->getVR());
    size_t limit = dvr.getMaxValueLength();
    size_t start = 0;
    for (size_t i = 0; i <= value.length(); i++) {
        bool end = i == value.length() || value[i] == '\\' || (e->getVR() == EVR_PN && value[i] == '=');
        if (!end) continue;
        if (limit > 0 && i - start > limit) {
            return "is longer than " + std::to_string(limit) + " characters, the most its VR (" + dvr.getVRName() + ") allows";
        }
        start = i + 1;
    }
    switch (c.check) {
    case Check::vr: return "";
    case Check::uid: return dk_uid_is_valid(value.c_str()) ? "" : "is not a valid UID";
    case Check::date: return validDate(value) ? "" : "is not a valid date (YYYYMMDD)";
    case Check::sex: return (value == "M" || value == "F" || value == "O") ? "" : "is not M, F or O";
    }
    return "";
}

/// The value of `tag`: the cleaned one, else the fact as read, trailing
/// spaces trimmed.
std::string valueOf(dk_study &study, const DcmTagKey &tag) {
    OFString value;
    if (study.clean.findAndGetOFStringArray(tag, value).bad()) study.info.findAndGetOFStringArray(tag, value);
    while (!value.empty() && value[value.length() - 1] == ' ') value.erase(value.length() - 1);
    return value.c_str();
}

char *copyBytes(const char *bytes, size_t length) {
    char *p = static_cast<char *>(malloc(length + 1));
    if (p == nullptr) throw std::bad_alloc();
    if (length > 0) memcpy(p, bytes, length);
    p[length] = 0;
    return p;
}

void setElement(dk_element &out, const DcmTagKey &tag, const char *vr, const char *bytes, size_t length) {
    out.group = tag.getGroup();
    out.element = tag.getElement();
    snprintf(out.vr, sizeof(out.vr), "%s", vr);
    out.length = length;
    out.value = copyBytes(bytes, length);
}

/// A sequence element as its explicit VR little endian encoding (tag, VR, length, items): how a
/// sequence crosses the C API in a `dk_element` (VR "SQ"), read back by `decodeSequence`.
std::string encodeSequence(DcmElement &e) {
    Uint32 size = e.calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
    std::string buffer(size, '\0');
    DcmOutputBufferStream stream(&buffer[0], size);
    e.transferInit();
    OFCondition c = e.write(stream, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
    e.transferEnd();
    if (c.bad()) return "";
    void *written = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(written, length);
    buffer.resize((size_t)length);
    return buffer;
}

/// The sequence element encoded by `encodeSequence`, inserted into `into` (replacing).
OFCondition decodeSequence(const char *bytes, size_t length, DcmItem &into) {
    DcmDataset parsed;  // reads to the end of the stream (a bare DcmItem reads its length: 0)
    DcmInputBufferStream stream;
    stream.setBuffer(bytes, OFstatic_cast(offile_off_t, length));
    stream.setEos();
    parsed.transferInit();
    OFCondition c = parsed.read(stream, EXS_LittleEndianExplicit, EGL_noChange, DCM_MaxReadLength);
    parsed.transferEnd();
    if (c.bad()) return c;
    for (unsigned long i = 0; i < parsed.card(); i++) {
        DcmElement *e = parsed.getElement(i);
        c = into.insert(OFstatic_cast(DcmElement *, e->clone()), OFTrue);
        if (c.bad()) return c;
    }
    return EC_Normal;
}

/// Reads the copied attributes of `src` into `study`: the clean ones, the reasons for the rest.
void readStudy(DcmDataset &src, dk_study &study) {
    for (const Copied &c : copied) {
        DcmElement *e = nullptr;
        if (src.findAndGetElement(c.tag, e).bad() || e == nullptr) continue;
        std::string why = problem(e, c);
        if (why.empty()) {
            study.clean.insert(OFstatic_cast(DcmElement *, e->clone()), OFTrue);
        } else {
            OFString value;
            e->getOFStringArray(value);
            char tag[16];
            snprintf(tag, sizeof(tag), "(%04x,%04x)", c.tag.getGroup(), c.tag.getElement());
            study.dropped.push_back(std::string(tag) + " " + c.name + " '" + value.c_str() + "' " + why);
        }
    }
    for (const DcmTagKey &t : facts) src.findAndInsertCopyOfElement(t, &study.info);
}

/// The cleaned attributes as they are stored (string values raw: no normalisation, so that
/// an encoder writes back exactly the bytes the source had), the facts and the reasons.
void exportStudy(dk_study &study, dk_study_attributes &out) {
    size_t n = study.clean.card();
    out.elements = static_cast<dk_element *>(calloc(n > 0 ? n : 1, sizeof(dk_element)));
    if (out.elements == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < n; i++) {
        DcmElement *e = study.clean.getElement(OFstatic_cast(unsigned long, i));
        DcmVR vr(e->getVR());
        DcmByteString *text = dynamic_cast<DcmByteString *>(e);
        if (e->getVR() == EVR_SQ) {
            std::string bytes = encodeSequence(*e);
            setElement(out.elements[i], e->getTag().getXTag(), "SQ", bytes.data(), bytes.size());
        } else if (text != nullptr) {
            char *bytes = nullptr;
            Uint32 length = 0;
            if (text->getString(bytes, length).bad()) bytes = nullptr;
            setElement(out.elements[i], e->getTag().getXTag(), vr.getVRName(), bytes ? bytes : "", bytes ? length : 0);
        } else {
            OFString value;
            e->getOFStringArray(value, OFFalse);
            setElement(out.elements[i], e->getTag().getXTag(), vr.getVRName(), value.c_str(), value.length());
        }
        out.element_count = i + 1;
    }
    // The source facts results need; StudyInstanceUID only when results can join the study.
    const DcmTagKey answered[] = {
        DCM_StudyInstanceUID, DCM_FrameOfReferenceUID, DCM_SeriesInstanceUID, DCM_Modality, DCM_SeriesNumber,
        DCM_SliceThickness, DCM_BodyPartExamined, DCM_SOPClassUID, DCM_SeriesDescription,
    };
    OFString uid;
    bool joinable = study.clean.findAndGetOFString(DCM_StudyInstanceUID, uid).good() && !uid.empty();
    const size_t count = sizeof(answered) / sizeof(answered[0]);
    out.facts = static_cast<dk_element *>(calloc(count, sizeof(dk_element)));
    if (out.facts == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < count; i++) {
        std::string value = (answered[i] == DCM_StudyInstanceUID && !joinable) ? "" : valueOf(study, answered[i]);
        setElement(out.facts[i], answered[i], "", value.c_str(), value.length());
        out.fact_count = i + 1;
    }
    out.dropped = static_cast<char **>(calloc(study.dropped.size() + 1, sizeof(char *)));
    if (out.dropped == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < study.dropped.size(); i++) {
        out.dropped[i] = copyBytes(study.dropped[i].c_str(), study.dropped[i].size());
        out.dropped_count = i + 1;
    }
}

}  // namespace

extern "C" dk_status dk_image_header_read_with_study(const char *path, dk_image_header *header,
                                                     dk_study_attributes *study) {
    if (header == nullptr || study == nullptr) return dk_error("no header or study to fill");
    memset(header, 0, sizeof(*header));
    memset(study, 0, sizeof(*study));
    try {
        dk_status scanned = dk_scan_before_parse(path);
        if (!scanned.ok) return scanned;
        DcmFileFormat ff;
        OFCondition cond = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                               ERM_autoDetect, DCM_PixelData);
        if (cond.bad()) return dk_from_condition(cond);
        dk_status st = dk_fill_image_header(ff, header);
        if (!st.ok) {
            dk_image_header_free(header);
            return st;
        }
        dk_study s;
        readStudy(*ff.getDataset(), s);
        exportStudy(s, *study);
        return dk_ok();
    } catch (const std::bad_alloc &) {
        dk_image_header_free(header);
        dk_study_attributes_free(study);
        return dk_error("out of memory reading the image header and study attributes");
    } catch (const std::exception &e) {
        dk_image_header_free(header);
        dk_study_attributes_free(study);
        return dk_error(e.what());
    } catch (...) {
        dk_image_header_free(header);
        dk_study_attributes_free(study);
        return dk_error("unknown C++ exception in dk_image_header_read_with_study");
    }
}

extern "C" void dk_study_attributes_free(dk_study_attributes *study) {
    if (study == nullptr) return;
    for (size_t i = 0; i < study->element_count; i++) free(const_cast<char *>(study->elements[i].value));
    for (size_t i = 0; i < study->fact_count; i++) free(const_cast<char *>(study->facts[i].value));
    for (size_t i = 0; i < study->dropped_count; i++) free(study->dropped[i]);
    free(study->elements);
    free(study->facts);
    free(study->dropped);
    memset(study, 0, sizeof(*study));
}

dk_status dk_study_from(const dk_element *elements, size_t count, dk_study &out) {
    if (count > 0 && elements == nullptr) return dk_error("no study attributes");
    for (size_t i = 0; i < count; i++) {
        const dk_element &a = elements[i];
        if (strcmp(a.vr, "SQ") == 0) {
            OFCondition c = decodeSequence(a.value ? a.value : "", a.length, out.clean);
            if (c.bad()) {
                char text[64];
                snprintf(text, sizeof(text), "study attribute (%04x,%04x)", a.group, a.element);
                return dk_error((std::string(text) + ": " + c.text()).c_str());
            }
            continue;
        }
        DcmTag tag(a.group, a.element, DcmVR(a.vr));
        DcmElement *e = nullptr;
        OFCondition c = DcmItem::newDicomElementWithVR(e, tag);
        if (c.good() && e == nullptr) c = EC_MemoryExhausted;
        if (c.good()) c = e->putString(a.value ? a.value : "", OFstatic_cast(Uint32, a.length));
        if (c.good()) c = out.clean.insert(e, OFTrue);
        if (c.bad()) {
            delete e;
            char text[64];
            snprintf(text, sizeof(text), "study attribute (%04x,%04x)", a.group, a.element);
            return dk_error((std::string(text) + ": " + c.text()).c_str());
        }
    }
    return dk_ok();
}

std::string dk_study_uid(const dk_study &study) {
    OFString value;
    const_cast<DcmItem &>(study.clean).findAndGetOFStringArray(DCM_StudyInstanceUID, value);
    while (!value.empty() && value[value.length() - 1] == ' ') value.erase(value.length() - 1);
    return value.c_str();
}

OFCondition dk_apply_study(const dk_study *study, DcmItem &ds, bool frameOfReference) {
    DcmItem &clean = const_cast<DcmItem &>(study->clean);
    for (unsigned long i = 0; i < clean.card(); i++) {
        DcmElement *e = clean.getElement(i);
        DcmTagKey key = e->getTag().getXTag();
        if (!frameOfReference && (key == DCM_FrameOfReferenceUID || key == DCM_PositionReferenceIndicator)) continue;
        OFCondition c = ds.insert(OFstatic_cast(DcmElement *, e->clone()), OFTrue);
        if (c.bad()) return c;
    }
    for (const DcmTagKey &t : type2) {
        if (!ds.tagExists(t)) {
            OFCondition c = ds.insertEmptyElement(DcmTag(t));
            if (c.bad()) return c;
        }
    }
    return EC_Normal;
}

OFCondition dk_apply_identity(const dk_result_identity &id, DcmItem &ds) {
    OFCondition c = ds.putAndInsertString(DCM_SeriesInstanceUID, dk_str(id.series_instance_uid));
    if (c.good()) c = ds.putAndInsertString(DCM_SOPInstanceUID, dk_str(id.sop_instance_uid));
    if (c.good()) c = ds.putAndInsertString(DCM_SeriesNumber, std::to_string(id.series_number).c_str());
    if (c.good()) c = ds.putAndInsertString(DCM_InstanceNumber, std::to_string(id.instance_number).c_str());
    if (c.good()) c = ds.putAndInsertString(DCM_SeriesDescription, dk_str(id.series_description));
    if (c.good()) c = ds.putAndInsertString(DCM_Manufacturer, dk_str(id.manufacturer));
    if (c.good()) c = ds.putAndInsertString(DCM_ManufacturerModelName, dk_str(id.model_name));
    if (c.good()) c = ds.putAndInsertString(DCM_SoftwareVersions, dk_str(id.software_version));
    if (c.good()) c = ds.putAndInsertString(DCM_DeviceSerialNumber, dk_str(id.device_serial_number));
    return c;
}

std::string dk_ds(double x) {
    char buf[32];
    for (int precision = 10; precision >= 4; precision--) {
        snprintf(buf, sizeof(buf), "%.*g", precision, x);
        if (strlen(buf) <= 16) break;
    }
    if (strcmp(buf, "-0") == 0) return "0";
    return buf;
}

dk_status dk_save_atomic(DcmFileFormat &ff, const char *path) {
    std::string tmp = std::string(path) + ".tmp";
    OFCondition c = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL,
                                EPD_noChange, 0, 0, EWM_fileformat);
    if (c.bad()) {
        remove(tmp.c_str());
        return dk_from_condition(c);
    }
    if (rename(tmp.c_str(), path) != 0) {
        remove(tmp.c_str());
        return dk_error("cannot rename the temp file into place");
    }
    return dk_ok();
}

void dk_now(std::string &date, std::string &time) {
    OFString d, t;
    DcmDate::getCurrentDate(d);
    DcmTime::getCurrentTime(t, OFTrue /* seconds */, OFFalse /* fraction */);
    date = d.c_str();
    time = t.c_str();
}

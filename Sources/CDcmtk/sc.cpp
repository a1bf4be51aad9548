// Results: Secondary Capture key image (8-bit MONOCHROME2, annotation burned in) for PACS that
// cannot display a SEG.
#include "results_internal.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"

#include <string>

namespace {

#define DK_TRY(expr)                                      \
    do {                                                  \
        OFCondition dk_c_ = (expr);                       \
        if (dk_c_.bad()) return dk_from_condition(dk_c_); \
    } while (0)

}  // namespace

extern "C" dk_status dk_sc_write(const dk_element *studyElements, size_t study_count, const dk_sc_spec *spec,
                                 const char *path) {
    try {
        if ((studyElements == nullptr && study_count > 0) || spec == nullptr || path == nullptr ||
            spec->pixels == nullptr || spec->rows == 0 || spec->columns == 0) {
            return dk_error("dk_sc_write: missing study, pixels or size");
        }
        dk_study study;
        dk_status st = dk_study_from(studyElements, study_count, study);
        if (!st.ok) return st;
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        std::string date, time;
        dk_now(date, time);
        // SOP Common, General Series, SC Equipment, General Image.
        DK_TRY(ds->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage));
        DK_TRY(ds->putAndInsertString(DCM_Modality, "OT"));
        DK_TRY(ds->putAndInsertString(DCM_ConversionType, "WSD"));
        DK_TRY(ds->putAndInsertString(DCM_ImageType, "DERIVED\\SECONDARY"));
        DK_TRY(ds->putAndInsertString(DCM_SeriesDate, date.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_SeriesTime, time.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_ContentDate, date.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_ContentTime, time.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_DateOfSecondaryCapture, date.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_TimeOfSecondaryCapture, time.c_str()));
        DK_TRY(ds->putAndInsertString(DCM_PatientOrientation, dk_str(spec->patient_orientation)));
        // The side of the finding shown; it makes the series-level Laterality (type 2C for
        // paired body parts) unnecessary, which a series of several findings could not fill.
        DK_TRY(ds->putAndInsertString(DCM_ImageLaterality, spec->image_laterality && spec->image_laterality[0]
                                                                ? spec->image_laterality : "U"));
        DK_TRY(ds->putAndInsertString(DCM_BurnedInAnnotation, "YES"));
        DK_TRY(ds->putAndInsertString(DCM_LossyImageCompression, "00"));
        if (spec->derivation_description && spec->derivation_description[0]) {
            DK_TRY(ds->putAndInsertString(DCM_DerivationDescription, spec->derivation_description));
        }
        if (spec->image_comments && spec->image_comments[0]) {
            DK_TRY(ds->putAndInsertString(DCM_ImageComments, spec->image_comments));
        }
        if (spec->pixel_spacing[0] > 0 && spec->pixel_spacing[1] > 0) {
            std::string spacing = dk_ds(spec->pixel_spacing[0]) + "\\" + dk_ds(spec->pixel_spacing[1]);
            DK_TRY(ds->putAndInsertString(DCM_NominalScannedPixelSpacing, spacing.c_str()));
        }
        if (spec->source_sop_instance_uid && spec->source_sop_instance_uid[0]) {
            DcmItem *item = nullptr;
            DK_TRY(ds->findOrCreateSequenceItem(DCM_SourceImageSequence, item, -2));
            DK_TRY(item->putAndInsertString(DCM_ReferencedSOPClassUID, dk_str(spec->source_sop_class_uid)));
            DK_TRY(item->putAndInsertString(DCM_ReferencedSOPInstanceUID, spec->source_sop_instance_uid));
            if (spec->source_frame_number > 0) {
                DK_TRY(item->putAndInsertString(DCM_ReferencedFrameNumber,
                                                std::to_string(spec->source_frame_number).c_str()));
            }
        }
        // Image Pixel.
        DK_TRY(ds->putAndInsertUint16(DCM_SamplesPerPixel, 1));
        DK_TRY(ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2"));
        DK_TRY(ds->putAndInsertUint16(DCM_Rows, spec->rows));
        DK_TRY(ds->putAndInsertUint16(DCM_Columns, spec->columns));
        DK_TRY(ds->putAndInsertUint16(DCM_BitsAllocated, 8));
        DK_TRY(ds->putAndInsertUint16(DCM_BitsStored, 8));
        DK_TRY(ds->putAndInsertUint16(DCM_HighBit, 7));
        DK_TRY(ds->putAndInsertUint16(DCM_PixelRepresentation, 0));
        DK_TRY(ds->putAndInsertUint8Array(DCM_PixelData, spec->pixels,
                                          (unsigned long)spec->rows * spec->columns));
        // Patient, study, series identity.
        DK_TRY(dk_apply_study(&study, *ds, false));
        DK_TRY(dk_apply_identity(spec->identity, *ds));
        return dk_save_atomic(ff, path);
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_sc_write");
    }
}

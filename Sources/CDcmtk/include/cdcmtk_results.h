// CDcmtk, results part: DICOM SEG (dcmseg), Comprehensive 3D SR TID 1500 (dcmsr/cmr) and
// Secondary Capture key images. Data in, files out: the caller (Swift `DICOM`, for `Results`) decides
// every code, UID and value; this side only drives DCMTK. Same rules as cdcmtk.h: `dk_`
// prefix, opaque handles, no C++ exception crosses the boundary.
#ifndef CDCMTK_RESULTS_H
#define CDCMTK_RESULTS_H

#include "cdcmtk.h"

#ifdef __cplusplus
extern "C" {
#endif

/// A coded concept (code value, coding scheme designator, code meaning). `value` NULL or ""
/// means "absent" wherever a code is optional.
typedef struct dk_code {
    const char *value;
    const char *scheme;
    const char *meaning;
} dk_code;

// MARK: - Source study (patient and study attributes, cleaned; study.cpp)

/// One attribute copied into every result object: tag, VR and the value exactly as the source
/// stores it (bytes in the source's character set, trailing padding removed, not necessarily
/// NUL-terminated: `length` bytes).
typedef struct dk_element {
    uint16_t group;
    uint16_t element;
    char vr[3];                        // e.g. "PN"
    const char *value;
    size_t length;
} dk_element;

/// The patient/study attributes of a source image, cleaned: a value that does not conform to
/// its VR (bad date, time, UID, over-long string, sex not M/F/O, …) is dropped, never copied.
/// Every result object gets `elements`, so results join the source study.
typedef struct dk_study_attributes {
    dk_element *elements;              // cleaned Patient/Study/Frame of Reference attributes, tag order
    size_t element_count;
    dk_element *facts;                 // facts of the source (cleaned value where copied, else as read),
    size_t fact_count;                 //   trailing spaces trimmed, NUL-terminated; StudyInstanceUID
                                       //   is "" when missing or invalid (results could not join the study)
    char **dropped;                    // e.g. "(0010,0030) PatientBirthDate '2001-02-03' is not a valid date …"
    size_t dropped_count;
} dk_study_attributes;

/// `dk_image_header_read` plus, from the same read of the header, the cleaned patient/study
/// attributes of `path`. On success free both with `dk_image_header_free` and
/// `dk_study_attributes_free`.
dk_status dk_image_header_read_with_study(const char *path, dk_image_header *header, dk_study_attributes *study);
void dk_study_attributes_free(dk_study_attributes *study);

/// Series-level and instance-level identity shared by every result object.
typedef struct dk_result_identity {
    const char *series_instance_uid;
    const char *sop_instance_uid;
    int32_t series_number;
    int32_t instance_number;
    const char *series_description;
    const char *manufacturer;          // General Equipment
    const char *model_name;
    const char *software_version;
    const char *device_serial_number;
} dk_result_identity;

// MARK: - Segmentation (seg.cpp)

/// One slice of the source volume: what a SEG frame derives from and where it lies.
typedef struct dk_seg_source {
    const char *sop_class_uid;
    const char *sop_instance_uid;
    uint32_t frame_number;             // 1-based frame of a multi-frame source; 0: single-frame
    double position[3];                // ImagePositionPatient of the slice, mm
} dk_seg_source;

/// The grid and references of a BINARY segmentation.
typedef struct dk_seg_spec {
    dk_result_identity identity;
    const char *content_label;         // CS, e.g. "LUNG_NODULES"
    const char *content_description;
    const char *frame_of_reference_uid;
    const char *dimension_organization_uid;
    const char *source_series_uid;     // ReferencedSeriesSequence
    uint16_t rows;
    uint16_t columns;
    double orientation[6];             // ImageOrientationPatient: row cosines, column cosines
    double pixel_spacing[2];           // between rows, between columns (mm)
    double slice_thickness;            // mm
    double spacing_between_slices;     // mm
    const dk_seg_source *sources;      // in volume slice order
    size_t source_count;
} dk_seg_spec;

/// One segment: labels, codes (DESIGN §7), algorithm, tracking and display colour.
typedef struct dk_seg_segment {
    const char *label;
    const char *description;           // may be ""
    dk_code category;
    dk_code type;
    dk_code type_modifier;             // optional
    dk_code anatomic_region;           // optional
    dk_code anatomic_region_modifier;  // optional (laterality)
    const char *algorithm_name;
    const char *algorithm_version;
    dk_code algorithm_family;
    const char *tracking_id;           // may be ""
    const char *tracking_uid;          // may be ""
    uint8_t rgb[3];                    // recommended display colour (sRGB)
} dk_seg_segment;

typedef struct dk_seg dk_seg;

/// Starts a BINARY segmentation on the source grid.
/// `study`: the cleaned source attributes to copy (`dk_study_attributes.elements`).
dk_status dk_seg_create(const dk_element *study, size_t study_count, const dk_seg_spec *spec, dk_seg **out);
/// Adds a segment; `*number` receives its segment number (1, 2, … in order of addition).
dk_status dk_seg_add_segment(dk_seg *seg, const dk_seg_segment *segment, uint16_t *number);
/// Adds the frame of `segment` on source slice `source_index` (index into `spec.sources`):
/// `pixels` holds rows × columns bytes, 0 or non-zero, row-major. Packed to 1 bit at once.
dk_status dk_seg_add_frame(dk_seg *seg, uint16_t segment, uint32_t source_index, const uint8_t *pixels);
/// Writes the file (Explicit VR Little Endian, whole or not at all). `segments_overlap`:
/// 0 "NO", 1 "YES".
dk_status dk_seg_save(dk_seg *seg, const char *path, int segments_overlap);
void dk_seg_free(dk_seg *seg);

// MARK: - Structured report, TID 1500 (sr.cpp)

/// A numeric measurement (TID 1419 / TID 300).
typedef struct dk_sr_measurement {
    dk_code concept;
    dk_code derivation;                // optional (e.g. Mean, Standard Deviation)
    const char *value;                 // DS, formatted by the caller
    dk_code unit;                      // UCUM
    dk_code finding_site;              // optional: what was measured, when not the group's site
    dk_code laterality;                // optional, with finding_site (e.g. right lung volume)
} dk_sr_measurement;

/// A qualitative evaluation: CODE when `code.value` is set, else TEXT `text`.
typedef struct dk_sr_evaluation {
    dk_code concept;
    dk_code code;
    const char *text;
} dk_sr_evaluation;

enum {
    DK_SR_GROUP_VOLUMETRIC = 0,        // TID 1411: references a SEG segment
    DK_SR_GROUP_INDIVIDUAL = 1,        // TID 1501: no image reference (case-level numbers)
};

/// One measurement group.
typedef struct dk_sr_group {
    int kind;                          // DK_SR_GROUP_*
    const char *tracking_id;
    const char *tracking_uid;
    dk_code finding;
    dk_code finding_site;              // optional
    dk_code laterality;                // optional, CID 244
    uint16_t segment_number;           // volumetric: the SEG segment
    const dk_sr_measurement *measurements;
    size_t measurement_count;
    const dk_sr_evaluation *evaluations;
    size_t evaluation_count;
} dk_sr_group;

/// An image of the image library / evidence.
typedef struct dk_sr_image {
    const char *sop_class_uid;
    const char *sop_instance_uid;
} dk_sr_image;

typedef struct dk_sr_spec {
    dk_result_identity identity;
    dk_code procedure;                 // Procedure Reported (CID 100)
    const char *device_uid;            // observer context: device
    const char *device_name;
    const char *device_manufacturer;
    const char *device_model;
    const char *algorithm_name;        // TID 4019 on every measurement
    const char *algorithm_version;
    const char *source_series_uid;
    const char *source_modality;       // image library group descriptors
    const char *frame_of_reference_uid;
    uint16_t rows;
    uint16_t columns;
    double pixel_spacing[2];
    double orientation[6];
    double slice_thickness;
    const dk_sr_image *images;         // source images (deduplicated by the caller)
    size_t image_count;
    const char *seg_series_uid;        // NULL: no SEG (then no volumetric group may be given)
    const char *seg_sop_instance_uid;
    const dk_sr_group *groups;
    size_t group_count;
    const dk_sr_evaluation *evaluations; // document-level qualitative evaluations
    size_t evaluation_count;
    const char *private_scheme;        // designator of the private coding scheme used, or NULL
    const char *private_scheme_name;
} dk_sr_spec;

/// Writes a Comprehensive 3D SR with a TID 1500 Measurement Report.
dk_status dk_sr_write(const dk_element *study, size_t study_count, const dk_sr_spec *spec, const char *path);

// MARK: - Secondary capture (sc.cpp)

typedef struct dk_sc_spec {
    dk_result_identity identity;
    uint16_t rows;
    uint16_t columns;
    const uint8_t *pixels;             // rows × columns, MONOCHROME2, 8 bit
    const char *patient_orientation;   // e.g. "L\\P"
    const char *image_laterality;      // ImageLaterality: "R", "L", "B" or "U"
    double pixel_spacing[2];           // 0: not written
    const char *source_sop_class_uid;  // Source Image Sequence
    const char *source_sop_instance_uid;
    uint32_t source_frame_number;      // 0: single-frame source
    const char *derivation_description;
    const char *image_comments;
} dk_sc_spec;

/// Writes a Secondary Capture Image (8-bit grayscale, burned-in annotation).
dk_status dk_sc_write(const dk_element *study, size_t study_count, const dk_sc_spec *spec, const char *path);

#ifdef __cplusplus
}
#endif

#endif

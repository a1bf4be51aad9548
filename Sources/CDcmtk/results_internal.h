// Shared helpers of the results translation units (study.cpp, seg.cpp, sr.cpp, sc.cpp).
// Not part of the C API.
#ifndef CDCMTK_RESULTS_INTERNAL_H
#define CDCMTK_RESULTS_INTERNAL_H

#include "internal.h"
#include "cdcmtk_results.h"

#include "dcmtk/dcmdata/dcitem.h"

#include <map>
#include <string>
#include <vector>

/// The patient/study attributes of a source: read and cleaned from a header (all three parts),
/// or rebuilt from `dk_element`s for an encoder (`clean` only).
struct dk_study {
    DcmItem clean;                         // attributes that passed their VR checks
    DcmItem info;                          // series-level facts of the source (not copied)
    std::vector<std::string> dropped;      // human-readable reasons
};

/// Rebuilds `out.clean` from the elements a caller passes to an encoder.
dk_status dk_study_from(const dk_element *elements, size_t count, dk_study &out);

/// The StudyInstanceUID of `study.clean`, trailing spaces trimmed.
std::string dk_study_uid(const dk_study &study);

/// Writes the study's cleaned attributes into `ds` (replacing what is there) and makes the
/// type 2 patient/study attributes present (empty when the source had none or an invalid one).
/// `frameOfReference`: also FrameOfReferenceUID and PositionReferenceIndicator (SEG only).
OFCondition dk_apply_study(const dk_study *study, DcmItem &ds, bool frameOfReference);

/// Writes series/instance identity and General Equipment attributes into `ds`.
OFCondition dk_apply_identity(const dk_result_identity &id, DcmItem &ds);

/// A decimal string (DS, at most 16 characters) for `x`.
std::string dk_ds(double x);

/// `s` or "" for NULL.
inline const char *dk_str(const char *s) { return s ? s : ""; }

/// Whether an optional code is present.
inline bool dk_has_code(const dk_code &c) { return c.value != nullptr && c.value[0] != 0; }

/// Saves `ff` as Part 10 Explicit VR Little Endian to `path` through a temp file and rename,
/// so a reader never sees half a file.
dk_status dk_save_atomic(DcmFileFormat &ff, const char *path);

/// Today's date and the current time as DA / TM strings (for content date/time).
void dk_now(std::string &date, std::string &time);

#endif

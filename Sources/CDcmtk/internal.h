// Shared helpers of the bridge's translation units. Not part of the C API.
#ifndef CDCMTK_INTERNAL_H
#define CDCMTK_INTERNAL_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/ofstd/ofcond.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "cdcmtk.h"

dk_status dk_ok();
dk_status dk_from_condition(const OFCondition &cond);
dk_status dk_error(const char *text);
void dk_copy(char *dst, size_t cap, const char *src);
/// A string attribute with DICOM padding (spaces, NULs) trimmed; "" when absent.
void dk_get_string(DcmItem *item, const DcmTagKey &tag, char *dst, size_t cap);
dk_status dk_fill_file_info(DcmFileFormat &ff, const char *path, dk_file_info *out);

#endif

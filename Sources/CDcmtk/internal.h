// Shared helpers of the bridge's translation units. Not part of the C API.
#ifndef CDCMTK_INTERNAL_H
#define CDCMTK_INTERNAL_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/ofstd/ofcond.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "cdcmtk.h"

#include <string>

dk_status dk_ok();
dk_status dk_from_condition(const OFCondition &cond);
dk_status dk_error(const char *text);
void dk_copy(char *dst, size_t cap, const char *src);
/// A string attribute with DICOM padding (spaces, NULs) trimmed; "" when absent.
void dk_get_string(DcmItem *item, const DcmTagKey &tag, char *dst, size_t cap);
dk_status dk_fill_file_info(DcmFileFormat &ff, const char *path, dk_file_info *out);
/// Raw bytes shown safely in a log line or an ErrorComment (LO: no backslash): printable ASCII
/// as is, everything else as %XX; at most 40 characters, "..." when cut or `more` follows.
std::string dk_shown_bytes(const uint8_t *bytes, size_t count, bool more);
/// The identity of a UI value as stored (`dk_scan_report`): trailing NULs and spaces (the
/// padding) dropped, bytes outside printable ASCII and '%' as %XX, so that different values
/// never share an identity and it is a C string. Conformant UIDs come out unchanged.
std::string dk_uid_identity(const uint8_t *bytes, size_t length);
/// Replaces the UIDs DCMTK read into `info` by the pre-scan's identity (DCMTK drops spaces,
/// cuts at a NUL and cannot read a UID encoded as UN), so that every reader of a file (the
/// SCP, reconcile, `autoseg run`) names an instance the same way.
void dk_use_scan_identity(const dk_scan_report &scan, dk_file_info *info);
/// The bounded pre-scan with default limits (dataset_scan_file.cpp): every DCMTK parse of a
/// file goes after it, so that no file can exhaust the stack or memory of DCMTK's recursive
/// parser. An error status (text "refused before parsing: <reason>") when the file is refused.
dk_status dk_scan_before_parse(const char *path);
/// Fills `out` (allocating `out->frames`) from a header loaded at least up to Pixel Data (pixels.cpp).
dk_status dk_fill_image_header(DcmFileFormat &ff, dk_image_header *out);

class DcmTLSTransportLayer;
/// OpenSSL set-up through DCMTK; once, from dk_global_init, before any thread.
void dk_tls_global_init();
/// A TLS transport layer (BCP 195, PEM key + certificate, optional CA trust) for an
/// acceptor (SCP) or requestor (SCU). The caller owns `*out` and deletes it after the
/// network that uses it has been dropped and every association on it has ended.
dk_status dk_tls_make_layer(const dk_tls_config *config, bool acceptor, DcmTLSTransportLayer **out);

#endif

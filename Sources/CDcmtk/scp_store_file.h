// The storage SCP's received file: a Part 10 file whose File Meta Information says where the
// instance came from, with the dataset streamed in as received. Not part of the C API.
#ifndef CDCMTK_SCP_STORE_FILE_H
#define CDCMTK_SCP_STORE_FILE_H

#include "scp_internal.h"

#include <map>

namespace dk_scp_detail {

/// Who sent an instance to whom (PS3.10 7.1 File Meta Information).
struct Provenance {
    std::string callingAE;  // Source (0002,0016) and Sending (0002,0017) Application Entity Title
    std::string calledAE;   // Receiving Application Entity Title (0002,0018)
    std::string peerHost;   // Source (0002,0026) and Sending (0002,0027) Presentation Address, as dicom://host
};

/// What a received dataset is written with, besides its bytes.
struct StoreTarget {
    std::string path;
    Provenance provenance;
    T_DIMSE_BlockingMode blocking;
    int timeout;
    DIMSE_ProgressCallback progress;  // may be NULL
    void *progressContext;
    std::string transferSyntax = "";  // for the file meta when the context was relabeled, else ""
};

/// DCMTK 3.6.7 refuses every DIMSE message on a presentation context whose transfer syntax
/// it does not know (dimse.cc, getTransferSyntax: "Unsupported transfer syntax"), and it does
/// not know HTJ2K (1.2.840.10008.1.2.4.201-203). Once the A-ASSOCIATE-AC has gone out (the
/// peer saw the real UID), each accepted context with such a syntax is relabeled, in this
/// association's own copy of the parameters only, as JPEG 2000 (.91: the same encapsulation
/// in explicit VR little endian, known to DCMTK; datasets are received as bytes, never parsed
/// on the way). Returns the real UID by context, for the file meta (`StoreTarget.transferSyntax`).
std::map<T_ASC_PresentationContextID, std::string> relabelUnknownSyntaxes(T_ASC_Association *assoc);

/// Receives the dataset of the C-STORE `req` (announced on `presID`) into `target.path`:
/// preamble and File Meta Information (explicit VR little endian: version, Media Storage SOP
/// Class/Instance UID from the command, the context's transfer syntax, DCMTK's implementation
/// UID and name, and the provenance), then the dataset's bytes exactly as received
/// (`DIMSE_receiveDataSetInFile`, bit-preserving, with progress). The meta is written when
/// the file is created, never by rewriting the file afterwards.
///
/// A file that cannot be created or whose meta cannot be written: the dataset is read off the
/// wire and discarded, and the condition is DIMSEC_OUTOFRESOURCES (answerable with A700).
/// Any other failure leaves no file behind. `receivedPresID` is the dataset's context.
OFCondition receiveIntoFile(T_ASC_Association *assoc, const T_DIMSE_C_StoreRQ &req, T_ASC_PresentationContextID presID,
                            const StoreTarget &target, T_ASC_PresentationContextID &receivedPresID);

/// What decides whether a received dataset can be stored as what its command says (DESIGN §6,
/// liberal acceptance): the pre-scan's identity of the dataset (`dk_scan_report`), the
/// command's SOP Class UID as DCMTK parsed it and its Affected SOP Instance UID as the peer
/// sent it (the PDU filter's bytes, when it kept them).
struct CommandIdentity {
    std::string sopClass;           // as DCMTK parsed it (printable, padding trimmed)
    std::string sopInstanceParsed;  // as DCMTK parsed it
    bool haveRaw = false;           // the PDU filter kept the bytes as sent
    std::string sopInstanceRaw;
    uint32_t sopInstanceRawLength = 0;
};

/// 0 when the dataset can be stored; else the DIMSE status and the true reason in `why`:
/// C000 when the dataset has no SOP Class UID or no SOP Instance UID (naming which),
/// A900 when command and dataset name different SOP classes or instances (both values in
/// `why`). Non-conformant UIDs are not refused: each side's identity is its bytes without
/// the trailing padding (`dk_uid_identity`), so "1.2.3 " and "1.2.3" are one instance and
/// " 1.2.3" another.
uint16_t checkIdentity(const dk_scan_report &scan, const CommandIdentity &command, std::string &why);

/// `dicom://host` (PS3.10 7.1.1: the presentation address of a DIMSE peer as a URI with the
/// "dicom" scheme); IPv6 literals in brackets. "" for an empty host.
std::string presentationAddress(const std::string &host);

}  // namespace dk_scp_detail

#endif

// The storage SCP's received file: File Meta Information with the instance's provenance
// (PS3.10 7.1), written when the file is created, then the dataset streamed in as received.
// What DcmSCP::receiveSTORERequest(req, presID, filename) does, plus the provenance.
#include "scp_store_file.h"

#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcostrmf.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmnet/lst.h"

namespace dk_scp_detail {

namespace {

/// An AE title as an AE value: at most 16 characters of the default repertoire, without
/// backslash (a value separator) or control characters.
std::string aeValue(const std::string &ae) {
    std::string v = ae.substr(0, 16);
    for (char &c : v)
        if (c == '\\' || (unsigned char)c < 0x20 || (unsigned char)c > 0x7E) c = '?';
    return v;
}

/// The File Meta Information of a received instance, group length computed.
OFCondition makeMeta(DcmMetaInfo &meta, const T_DIMSE_C_StoreRQ &req, const char *transferSyntax,
                     const Provenance &p) {
    const Uint8 version[2] = {0, 1};
    OFCondition cond = meta.putAndInsertUint8Array(DCM_FileMetaInformationVersion, version, 2);
    if (cond.good()) cond = meta.putAndInsertString(DCM_MediaStorageSOPClassUID, req.AffectedSOPClassUID);
    if (cond.good()) cond = meta.putAndInsertString(DCM_MediaStorageSOPInstanceUID, req.AffectedSOPInstanceUID);
    if (cond.good()) cond = meta.putAndInsertString(DCM_TransferSyntaxUID, transferSyntax);
    if (cond.good()) cond = meta.putAndInsertString(DCM_ImplementationClassUID, OFFIS_IMPLEMENTATION_CLASS_UID);
    if (cond.good()) cond = meta.putAndInsertString(DCM_ImplementationVersionName, OFFIS_DTK_IMPLEMENTATION_VERSION_NAME);
    std::string calling = aeValue(p.callingAE), called = aeValue(p.calledAE), address = presentationAddress(p.peerHost);
    if (cond.good() && !calling.empty()) {
        cond = meta.putAndInsertString(DCM_SourceApplicationEntityTitle, calling.c_str());
        if (cond.good()) cond = meta.putAndInsertString(DCM_SendingApplicationEntityTitle, calling.c_str());
    }
    if (cond.good() && !called.empty()) cond = meta.putAndInsertString(DCM_ReceivingApplicationEntityTitle, called.c_str());
    if (cond.good() && !address.empty()) {
        cond = meta.putAndInsertString(DCM_SourcePresentationAddress, address.c_str());
        if (cond.good()) cond = meta.putAndInsertString(DCM_SendingPresentationAddress, address.c_str());
    }
    if (cond.good())
        cond = meta.computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, EXS_LittleEndianExplicit, EET_UndefinedLength);
    return cond;
}

/// Reads the dataset off the wire and drops it, so that the C-STORE can still be answered.
OFCondition discard(T_ASC_Association *assoc, const StoreTarget &t, const std::string &why) {
    DIC_UL bytesRead = 0, pdvCount = 0;
    OFCondition cond = DIMSE_ignoreDataSet(assoc, t.blocking, t.timeout, &bytesRead, &pdvCount);
    if (cond.bad()) return cond;
    return makeDcmnetCondition(DIMSEC_OUTOFRESOURCES, OF_error, why.c_str());
}

}  // namespace

std::map<T_ASC_PresentationContextID, std::string> relabelUnknownSyntaxes(T_ASC_Association *assoc) {
    std::map<T_ASC_PresentationContextID, std::string> real;
    // DCMTK keeps the outcome in both lists (the acceptor's accepted list is copied back into
    // the requested one, which ASC_findAcceptedPresentationContext reads): relabel in both.
    for (LST_HEAD **list : {&assoc->params->DULparams.acceptedPresentationContext,
                            &assoc->params->DULparams.requestedPresentationContext}) {
        if (*list == NULL) continue;
        void *first = LST_Head(list);
        if (first != NULL) (void)LST_Position(list, first);  // as DCMTK walks it: LST_Next follows the position
        for (void *node = first; node != NULL; node = LST_Next(list)) {
            auto *pc = static_cast<DUL_PRESENTATIONCONTEXT *>(node);
            if (pc->result != DUL_PRESENTATION_ACCEPT || pc->acceptedTransferSyntax[0] == 0) continue;
            if (DcmXfer(pc->acceptedTransferSyntax).getXfer() != EXS_Unknown) continue;
            real[pc->presentationContextID] = pc->acceptedTransferSyntax;
            OFStandard::strlcpy(pc->acceptedTransferSyntax, UID_JPEG2000TransferSyntax, sizeof(pc->acceptedTransferSyntax));
        }
    }
    return real;
}

uint16_t checkIdentity(const dk_scan_report &scan, const CommandIdentity &command, std::string &why) {
    if (scan.sop_class_uid[0] == 0 || scan.sop_instance_uid[0] == 0) {
        why = std::string("dataset has no ") + (scan.sop_class_uid[0] == 0 ? "SOP Class UID (0008,0016)" : "") +
              (scan.sop_class_uid[0] == 0 && scan.sop_instance_uid[0] == 0 ? " and no " : "") +
              (scan.sop_instance_uid[0] == 0 ? "SOP Instance UID (0008,0018)" : "");
        return STATUS_STORE_Error_CannotUnderstand;
    }
    std::string commandClass = dk_uid_identity((const uint8_t *)command.sopClass.data(), command.sopClass.size());
    std::string commandInstance =
        command.haveRaw && command.sopInstanceRawLength <= command.sopInstanceRaw.size()
            ? dk_uid_identity((const uint8_t *)command.sopInstanceRaw.data(), command.sopInstanceRawLength)
            : dk_uid_identity((const uint8_t *)command.sopInstanceParsed.data(), command.sopInstanceParsed.size());
    if (commandClass != scan.sop_class_uid) {
        why = std::string("SOP Class UID differs: dataset ") + scan.sop_class_uid + ", command " + commandClass;
        return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    if (commandInstance != scan.sop_instance_uid) {
        why = std::string("SOP Instance UID differs: dataset ") + scan.sop_instance_uid + ", command " +
              commandInstance;
        return STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
    }
    return 0;
}

std::string presentationAddress(const std::string &host) {
    if (host.empty()) return "";
    if (host.find(':') != std::string::npos) return "dicom://[" + host + "]";
    return "dicom://" + host;
}

OFCondition receiveIntoFile(T_ASC_Association *assoc, const T_DIMSE_C_StoreRQ &req, T_ASC_PresentationContextID presID,
                            const StoreTarget &target, T_ASC_PresentationContextID &receivedPresID) {
    receivedPresID = presID;
    if (req.DataSetType == DIMSE_DATASET_NULL) return DIMSE_BADMESSAGE;  // a C-STORE without a dataset
    T_ASC_PresentationContext context;
    OFCondition cond = ASC_findAcceptedPresentationContext(assoc->params, presID, &context);
    if (cond.bad()) return cond;

    DcmMetaInfo meta;
    const char *syntax = target.transferSyntax.empty() ? context.acceptedTransferSyntax : target.transferSyntax.c_str();
    cond = makeMeta(meta, req, syntax, target.provenance);
    if (cond.bad()) return discard(assoc, target, std::string("cannot make the file meta: ") + cond.text());
    DcmOutputFileStream stream(target.path.c_str());
    if (!stream.good()) return discard(assoc, target, "cannot create " + target.path + ": " + stream.status().text());
    meta.transferInit();
    cond = meta.write(stream, EXS_LittleEndianExplicit, EET_ExplicitLength, NULL);
    meta.transferEnd();
    if (cond.bad()) {
        ::unlink(target.path.c_str());
        return discard(assoc, target, "cannot write the file meta to " + target.path + ": " + cond.text());
    }
    cond = DIMSE_receiveDataSetInFile(assoc, target.blocking, target.timeout, &receivedPresID, &stream,
                                      target.progress, target.progressContext);
    if (cond.bad()) {
        ::unlink(target.path.c_str());
        return cond;
    }
    if (receivedPresID != presID) {
        ::unlink(target.path.c_str());
        return makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                   "DIMSE: presentation contexts of command and dataset differ");
    }
    return cond;
}

}  // namespace dk_scp_detail

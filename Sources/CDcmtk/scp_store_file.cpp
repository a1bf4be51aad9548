// The storage SCP's received file: File Meta Information with the instance's provenance
// (PS3.10 7.1), written when the file is created, then the dataset streamed in as received.
// What DcmSCP::receiveSTORERequest(req, presID, filename) does, plus the provenance.
#include "scp_store_file.h"

#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcostrmf.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmnet/dul.h"

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

/// The next PDV of the association: what DCMTK's (private) DIMSE_readNextPDV does.
OFCondition nextPDV(T_ASC_Association *assoc, T_DIMSE_BlockingMode blocking, int timeout, DUL_PDV &pdv) {
    if (blocking == DIMSE_NONBLOCKING && !ASC_dataWaiting(assoc, timeout)) return DIMSE_NODATAAVAILABLE;
    OFCondition cond = DUL_NextPDV(&assoc->DULassociation, &pdv);
    if (cond.good()) return cond;
    if (cond != DUL_NOPDVS) return cond;
    cond = DUL_ReadPDVs(&assoc->DULassociation, NULL, blocking == DIMSE_BLOCKING ? DUL_BLOCK : DUL_NOBLOCK, timeout);
    if (cond != DUL_PDATAPDUARRIVED) {
        if (cond == DUL_NOPDVS || cond == DUL_READTIMEOUT) return DIMSE_NODATAAVAILABLE;
        if (cond == DUL_PEERREQUESTEDRELEASE || cond == DUL_PEERABORTEDASSOCIATION) return cond;
        return makeDcmnetSubCondition(DIMSEC_READPDVFAILED, OF_error, "DIMSE Read PDV failed", cond);
    }
    cond = DUL_NextPDV(&assoc->DULassociation, &pdv);
    if (cond.bad()) return makeDcmnetSubCondition(DIMSEC_READPDVFAILED, OF_error, "DIMSE Read PDV failed", cond);
    return cond;
}

/// DIMSE_receiveDataSetInFile for a transfer syntax DCMTK 3.6.7 does not know (HTJ2K,
/// 1.2.840.10008.1.2.4.201-203), which it refuses before reading a byte: the dataset PDVs
/// copied to the file as they come, the same checks (data PDVs only, one context), with progress.
OFCondition receiveUnknownSyntax(T_ASC_Association *assoc, const StoreTarget &t, T_ASC_PresentationContextID &presID,
                                 DcmOutputStream &out) {
    T_ASC_PresentationContextID pid = 0;
    unsigned long bytes = 0;
    for (bool last = false; !last;) {
        DUL_PDV pdv;
        OFCondition cond = nextPDV(assoc, t.blocking, t.timeout, pdv);
        if (cond.bad()) return cond;
        if (pdv.pdvType != DUL_DATASETPDV)
            return makeDcmnetCondition(DIMSEC_UNEXPECTEDPDVTYPE, OF_error, "DIMSE: command PDV where dataset expected");
        if (pid == 0) pid = pdv.presentationContextID;
        if (pdv.presentationContextID != pid)
            return makeDcmnetCondition(DIMSEC_INVALIDPRESENTATIONCONTEXTID, OF_error,
                                       "DIMSE: presentation context changed inside a dataset");
        if (pdv.fragmentLength > 0 && out.write(pdv.data, pdv.fragmentLength) != pdv.fragmentLength)
            return makeDcmnetCondition(DIMSEC_OUTOFRESOURCES, OF_error, "DIMSE: cannot write the dataset to the file");
        bytes += pdv.fragmentLength;
        last = pdv.lastPDV;
        if (t.progress) t.progress(t.progressContext, bytes);
    }
    presID = pid;
    return out.status();
}

}  // namespace

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
    cond = makeMeta(meta, req, context.acceptedTransferSyntax, target.provenance);
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
    if (DcmXfer(context.acceptedTransferSyntax).getXfer() == EXS_Unknown) {
        cond = receiveUnknownSyntax(assoc, target, receivedPresID, stream);
    } else {
        cond = DIMSE_receiveDataSetInFile(assoc, target.blocking, target.timeout, &receivedPresID, &stream,
                                          target.progress, target.progressContext);
    }
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

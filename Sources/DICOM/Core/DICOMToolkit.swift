import CDcmtk

/// Process-wide set-up of DCMTK: call once, before any association, from one thread.
public enum DICOMToolkit {
    /// How much of DCMTK's own logging reaches stderr.
    public enum LogLevel: Int32, Sendable {
        case quiet = 0, error, warning, info, debug
    }

    /// Checks the data dictionary, registers the JPEG, JPEG-LS and RLE decoders,
    /// routes DCMTK's logging and turns Nagle off for DCMTK sockets.
    public static func initialize(logLevel: LogLevel = .quiet) throws(DICOMError) {
        try withDCMTK("DICOM toolkit set-up", kind: .setup) { dk_global_init(logLevel.rawValue) }
    }
}

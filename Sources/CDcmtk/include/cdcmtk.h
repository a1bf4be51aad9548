// CDcmtk: the only code that includes DCMTK. Not API: Swift code outside the
// `DICOM` module never imports it. Every function is prefixed `dk_`, handles are
// opaque, and no C++ exception crosses this boundary (each is turned into a
// `dk_status`, which mirrors DCMTK's OFCondition: module, code, text).
#ifndef CDCMTK_H
#define CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Mirrors OFCondition. `ok` is 1 on success.
typedef struct dk_status {
    int ok;
    uint16_t module;
    uint16_t code;
    char text[512];
} dk_status;

/// One-time process set-up: data dictionary check, codec registration, OpenSSL
/// initialisation (for DICOM TLS), DCMTK logging level (0 quiet/fatal only, 1 error,
/// 2 warn, 3 info, 4 debug), and TCP_NODELAY (DCMTK leaves Nagle on otherwise).
/// Call before any thread uses DCMTK.
dk_status dk_global_init(int dcmtk_log_level);

/// DICOM UID validity as used for paths: digits and dots, 1...64 chars, no empty
/// component, no leading zero in a multi-digit component.
int dk_uid_is_valid(const char *uid);

/// The folder or file name a UID is stored under (DESIGN §5, uid_path.cpp): the UID itself
/// when it is valid (`dk_uid_is_valid`), else "x" + the first 32 hex digits of the SHA-256 of
/// its text, a name no valid UID can take and no value can steer (no '/', no "..", no dot
/// first). `out` needs 65 bytes (a valid UID has up to 64 characters).
void dk_uid_path_component(const char *uid, char *out, size_t cap);

// MARK: - Bounded pre-scan (dataset_scan.cpp, dataset_scan_file.cpp)

/// Limits and checks of the pre-scan that runs before DCMTK parses a file. A zero limit
/// takes its default (see `dk_scan_default_options`).
typedef struct dk_scan_options {
    uint32_t max_depth;           // sequence nesting levels (default 32)
    uint64_t max_elements;        // data elements at all levels (default 1,000,000)
    uint64_t max_items;           // sequence items and pixel fragments (default 250,000)
    uint64_t max_inflated_bytes;  // deflated transfer syntax: inflated dataset size (default 1 GiB)
    int check_uids;               // 1: SOP Class/Instance, Study and Series Instance UIDs must fit
                                  // an identity (`dk_scan_report`, at most 128 characters); nothing
                                  // else about them is refused (DESIGN §6: liberal acceptance)
} dk_scan_options;

/// What a refused file broke (`dk_scan_report.problem`).
enum {
    DK_SCAN_OK = 0,
    DK_SCAN_DEPTH = 1,            // sequences nested deeper than max_depth
    DK_SCAN_ELEMENTS = 2,         // more than max_elements data elements
    DK_SCAN_ITEMS = 3,            // more than max_items items
    DK_SCAN_INFLATED = 4,         // a deflated dataset inflates beyond max_inflated_bytes
    DK_SCAN_TRUNCATED = 5,        // a header or value runs past the end of the data or of its item,
                                  // or an undefined-length sequence/item is never closed
    DK_SCAN_UNDEFINED_LENGTH = 6, // undefined length where PS3.5 7.1 does not allow it
    DK_SCAN_MALFORMED = 7,        // anything else the element stream cannot be (bad VR, stray delimiter, ...)
    DK_SCAN_UID = 8,              // an identifying UID that is not a valid UID as stored
    DK_SCAN_PIXEL_DATA = 9,       // Pixel Data shorter than the image needs, or without fragments
};

/// The result of a pre-scan.
typedef struct dk_scan_report {
    int problem;                  // DK_SCAN_*
    uint16_t dimse_status;        // C-STORE failure status for `problem` (0xC000 or 0xA900); 0 when OK
    char reason[256];             // what broke and where ("" when OK)
    char transfer_syntax_uid[65]; // as used for the dataset ("" when detected without file meta)
    uint64_t elements;            // data elements seen (meta and dataset)
    uint64_t items;               // items and fragments seen
    uint32_t depth;               // deepest sequence nesting seen
    uint64_t dataset_offset;      // where the dataset starts in the file
    // The identifying UIDs of the top level exactly as stored, without the trailing padding
    // (NULs, spaces) and with every byte outside printable ASCII, and '%', as %XX: the
    // instance's identity, conformant or not ("" when absent or empty; "" too when longer
    // than 128 characters, which check_uids refuses).
    char sop_class_uid[129];
    char sop_instance_uid[129];
    char study_instance_uid[129];
    char series_instance_uid[129];
} dk_scan_report;

/// The defaults: depth 32, 1,000,000 elements, 250,000 items, 1 GiB inflated, UIDs not checked.
void dk_scan_default_options(dk_scan_options *out);

/// Walks the Part 10 file (or raw dataset) at `path` without recursion and without copying
/// values: file meta (explicit VR little endian), then the dataset in its transfer syntax
/// (implicit/explicit little endian, explicit big endian, deflated inflated in 64 KB steps).
/// Every length is checked against the end of the data and of its container, undefined
/// lengths are accepted only where PS3.5 allows them, and native Pixel Data must hold what
/// Rows × Columns × SamplesPerPixel × BitsAllocated × NumberOfFrames needs. A refused file is
/// a status with ok = 1 and `out->problem` set; ok = 0 only when the file cannot be read.
dk_status dk_scan_file(const char *path, const dk_scan_options *options, dk_scan_report *out);
/// `dk_scan_file` on bytes in memory (tests, fuzzing).
dk_status dk_scan_buffer(const uint8_t *data, size_t size, const dk_scan_options *options, dk_scan_report *out);

// MARK: - Reading files

/// Attributes read from a DICOM file's header (pixel data is not loaded).
typedef struct dk_file_info {
    char sop_class_uid[129];      // UIDs: room beyond 64 so that over-long ones stay invalid
    char sop_instance_uid[129];
    char study_instance_uid[129];
    char series_instance_uid[129];
    char transfer_syntax_uid[129];
    char patient_id[129];
    char patient_name[325];
    char patient_birth_date[17];
    char patient_sex[17];
    char study_date[17];
    char study_time[33];
    char accession_number[33];
    char study_description[129];
    char modality[17];
    char body_part_examined[33];
    char series_description[129];
    char image_type[129];         // ImageType values joined by '\\'
    char contrast_bolus_agent[65];
    char frame_of_reference_uid[129];
    double slice_thickness;       // NaN when absent
    int32_t series_number;      // INT32_MIN when absent
    int32_t instance_number;    // INT32_MIN when absent
    int64_t file_size;
    double modified_time;         // the file's mtime, seconds since 1970 (for a received file:
                                  // when it was received); NaN when unknown
    // Provenance from the File Meta Information (PS3.10 7.1), "" when absent. The storage SCP
    // writes calling AE, our AE and the peer's address there; files stored by DCMTK's own
    // receive carry the calling AE as Source Application Entity Title only.
    char source_ae_title[17];             // (0002,0016)
    char sending_ae_title[17];            // (0002,0017)
    char receiving_ae_title[17];          // (0002,0018)
    char source_presentation_address[129];  // (0002,0026), e.g. dicom://10.0.0.7
    char sending_presentation_address[129]; // (0002,0027)
    // Diffusion weighting in s/mm² (pairing a DWI trace with its ADC map): DiffusionBValue
    // (0018,9087), else GE's (0043,1039) first value (block of creator GEMS_PARM_01) or
    // Siemens' (0019,100C) (block of SIEMENS MR HEADER); NaN when none says.
    double diffusion_b_value;
} dk_file_info;

/// Reads the header of `path` (up to, not including, Pixel Data), after the bounded pre-scan
/// (default limits, UIDs not checked): a file the pre-scan refuses is an error whose text
/// starts with "refused before parsing: ".
dk_status dk_read_file_info(const char *path, dk_file_info *out);

// MARK: - Writing images (write.cpp)

/// One attribute to write, as its string value (multiple values separated by '\\');
/// the VR comes from DCMTK's data dictionary.
typedef struct dk_attribute {
    uint16_t group;
    uint16_t element;
    const char *value;
} dk_attribute;

/// Writes a single-frame, 16-bit signed, MONOCHROME2 image to `path` (Part 10, Explicit VR
/// Little Endian): `attributes` (SOP class and instance UIDs, patient/study/series, geometry,
/// rescale, …) plus the image pixel module from `rows`, `columns` and `pixels` (rows × columns,
/// row-major). The file is written whole or not at all (temp file + rename).
dk_status dk_write_image16(const char *path, const dk_attribute *attributes, size_t count,
                           const int16_t *pixels, uint16_t rows, uint16_t columns);

// MARK: - Image geometry and pixel data (pixels.cpp)

/// Bits of `dk_frame_geometry.flags`: which attributes were found for the frame.
enum {
    DK_FRAME_HAS_POSITION = 1,        // ImagePositionPatient (3 values)
    DK_FRAME_HAS_ORIENTATION = 2,     // ImageOrientationPatient (6 values)
    DK_FRAME_HAS_PIXEL_SPACING = 4,   // PixelSpacing (2 values)
    DK_FRAME_HAS_THICKNESS = 8,       // SliceThickness
    DK_FRAME_HAS_RESCALE = 16,        // RescaleSlope and RescaleIntercept
};

/// Geometry and value transformation of one frame. For enhanced multi-frame images the
/// per-frame functional group overrides the shared one, which overrides the top level.
typedef struct dk_frame_geometry {
    double position[3];       // ImagePositionPatient, mm (LPS)
    double orientation[6];    // ImageOrientationPatient: row direction cosines (along a row,
                              // increasing column), then column direction cosines (increasing row)
    double pixel_spacing[2];  // PixelSpacing: between rows, between columns (mm)
    double slice_thickness;   // mm
    double rescale_slope;     // 1 when absent
    double rescale_intercept; // 0 when absent
    uint32_t flags;           // DK_FRAME_HAS_*
} dk_frame_geometry;

/// What a file says about its pixels, read without loading pixel data.
typedef struct dk_image_header {
    char sop_class_uid[129];
    char sop_instance_uid[129];
    char series_instance_uid[129];
    char transfer_syntax_uid[129];
    char modality[17];
    char photometric_interpretation[17];
    char rescale_type[65];          // RescaleType (top level, shared group, else frame 1's), "" when absent
    char units[17];                 // Units (0054,1001), e.g. BQML for PET, "" when absent
    uint32_t rows;                  // 0 when absent
    uint32_t columns;
    uint32_t number_of_frames;      // 1 for single-frame images
    uint16_t bits_allocated;
    uint16_t bits_stored;
    uint16_t high_bit;
    uint16_t pixel_representation;  // 0 unsigned, 1 two's complement
    uint16_t samples_per_pixel;
    int encapsulated;               // compressed (encapsulated) transfer syntax
    int enhanced;                   // Shared/PerFrameFunctionalGroupsSequence present
    dk_frame_geometry *frames;      // number_of_frames entries, owned by the header
} dk_image_header;

/// Reads the pixel-describing attributes and per-frame geometry of `path` (up to, not
/// including, Pixel Data). On success free the header with `dk_image_header_free`.
dk_status dk_image_header_read(const char *path, dk_image_header *out);
void dk_image_header_free(dk_image_header *header);

/// Decodes frames `first_frame ..< first_frame + frame_count` (0-based) of `path` through
/// DCMTK's registered codecs (any transfer syntax DCMTK can decode), one frame at a time:
/// each stored value is taken from its BitsStored bits at HighBit, sign-extended when
/// PixelRepresentation is 1, then rescaled with the frame's slope and intercept (computed in
/// double, stored as float). Frame `first_frame + i` goes to `destinations[i]`, which holds
/// `frame_length` floats (must equal Rows × Columns); a NULL destination skips the frame.
/// Pixel data beyond the frame being decoded is not kept in memory.
dk_status dk_image_decode_frames(const char *path, uint32_t first_frame, uint32_t frame_count,
                                 float *const *destinations, size_t frame_length);

// MARK: - Storage SCP

/// What the SCP tells its owner about a received C-STORE, after the dataset was
/// written to `temp_path` (meta header + dataset, bit-preserving) and parsed.
typedef struct dk_store_request {
    const char *temp_path;
    const char *calling_ae;
    const char *peer_host;
    uint64_t association_id;
    const char *command_sop_class_uid;
    const char *command_sop_instance_uid;
    const dk_file_info *info;
} dk_store_request;

/// Summary of an association, given when it ends.
typedef struct dk_association_summary {
    uint64_t association_id;
    const char *calling_ae;
    const char *called_ae;
    const char *peer_host;
    uint64_t instances_stored;
    uint64_t instances_failed;
    uint64_t bytes_stored;
    double seconds;
    const char *end_reason;   // "released", "aborted by peer", "idle timeout", "shutdown", "error: ..."
} dk_association_summary;

/// Association decision codes returned by `accept_association`.
enum {
    DK_ASSOC_ACCEPT = 0,
    DK_ASSOC_REJECT_CALLING_AE = 1,
    DK_ASSOC_REJECT_CALLED_AE = 2,
    DK_ASSOC_REJECT_NO_RESOURCES = 3,   // transient: temporary congestion (disk below watermark)
    DK_ASSOC_REJECT_TOO_MANY = 4,       // transient: local limit exceeded
};

typedef struct dk_scp_callbacks {
    void *context;
    /// May we accept an association from `calling_ae`@`peer_host` to `called_ae`?
    /// Return a DK_ASSOC_* code; write a short reason into `reason`.
    int (*accept_association)(void *context, const char *calling_ae, const char *called_ae,
                              const char *peer_host, char *reason, size_t reason_len);
    /// Before a dataset is received: return 0 to receive it, or a DIMSE failure status
    /// (e.g. 0xA700 when the disk is below the watermark) to skip it and answer that.
    uint16_t (*precheck_store)(void *context, const char *calling_ae,
                               char *error_comment, size_t comment_len);
    /// The dataset is in `temp_path`, parsed and consistent with the command. The owner
    /// makes it durable and catalogues it, and returns the DIMSE status to answer
    /// (0x0000 only once durable). On any non-success it removes `temp_path`.
    uint16_t (*store)(void *context, const dk_store_request *request,
                      char *error_comment, size_t comment_len);
    /// A store refused inside the SCP (unreadable data, SOP mismatch, receive error).
    void (*store_refused)(void *context, uint64_t association_id, const char *calling_ae,
                          uint16_t status, const char *reason);
    /// An association was rejected at negotiation.
    void (*association_rejected)(void *context, const char *calling_ae, const char *called_ae,
                                 const char *peer_host, const char *reason);
    /// An accepted association ended.
    void (*association_ended)(void *context, const dk_association_summary *summary);
    /// Connections from `peer_host` closed at once, unread, because too many were still
    /// negotiating (in total or from that host). Called for the first such connection from
    /// a source, then at most every 5 s with the number closed since (`count`).
    void (*connections_refused)(void *context, const char *peer_host, uint64_t count, const char *reason);
    /// An association was accepted with some proposed presentation contexts rejected
    /// (`reasons`: one "<SOP class name or UID>: <why>" per context, "; "-separated); with
    /// `accepted` = 0 none is usable, and the association is as good as rejected; `rejected`
    /// contexts were refused. May be NULL.
    void (*contexts_rejected)(void *context, uint64_t association_id, const char *calling_ae,
                              const char *peer_host, const char *reasons, int accepted, int rejected);
} dk_scp_callbacks;

/// DICOM TLS settings (BCP 195 profile). Files are PEM; the private key must not be
/// encrypted. Without `ca_file`/`ca_dir` peer certificates are not requested or checked.
typedef struct dk_tls_config {
    const char *cert_file;          // our certificate (may hold the chain)
    const char *key_file;           // our private key; must match cert_file
    const char *ca_file;            // NULL: none. Trusted CA certificates for peers
    const char *ca_dir;             // NULL: none. Directory of hashed CA certificates
    int require_peer_cert;          // with a CA: 1 a peer without a valid certificate is refused,
                                    // 0 a certificate is checked only when the peer presents one
} dk_tls_config;

/// Loads and checks TLS settings the way dk_scp_start (acceptor = 1) or an SCU (0) would:
/// readable PEM key and certificate, key matches certificate, BCP 195 profile, CA trust.
/// The error text starts with "TLS " and names the file at fault.
dk_status dk_tls_check(const dk_tls_config *config, int acceptor);

typedef struct dk_scp_config {
    const char *ae_title;
    int port;                       // 0: any free port (see dk_scp_port)
    int max_associations;
    uint32_t max_pdu;
    int acse_timeout;               // seconds from TCP accept to a complete A-ASSOCIATE-RQ (ARTIM),
                                    // TLS handshake included, however slowly bytes arrive
    int idle_timeout;               // seconds without a byte from the peer while we wait for it
                                    // (between messages or inside a PDU): the association is aborted
    const char *incoming_dir;       // temp files are received here
    const dk_tls_config *tls;       // NULL: plain TCP; else every association is DICOM TLS
    int max_negotiating;            // connections still negotiating at once (0: 16); more are closed
    int max_negotiating_per_host;   // the same per peer address (0: 4)
    const char *host;               // address to listen on (NULL or "": every interface)
} dk_scp_config;

typedef struct dk_scp dk_scp;

/// Opens the listening socket (so a bad port fails here), sets up TLS when asked (so an
/// unreadable or mismatched key/certificate fails here, naming the file) and starts the
/// accept thread and the watchdog. The accept thread only accepts TCP connections; each
/// connection is negotiated (TLS handshake, A-ASSOCIATE-RQ, AC or RJ) on a thread of its own,
/// which then serves the association. A failed handshake or request is reported through
/// `association_rejected`; nothing a peer does can hold the accept thread or another peer.
dk_status dk_scp_start(const dk_scp_config *config, dk_scp_callbacks callbacks, dk_scp **out);
/// The port actually bound (useful with port 0).
int dk_scp_port(const dk_scp *scp);
/// Number of open (negotiated) associations: what max_associations limits.
int dk_scp_active_associations(const dk_scp *scp);
/// Number of connections accepted and still negotiating.
int dk_scp_negotiating(const dk_scp *scp);
/// Stops accepting new connections and closes those still negotiating; open associations
/// may finish. Returns once no connection is negotiating (at once, give or take a thread
/// switch).
void dk_scp_stop_accepting(dk_scp *scp);
/// Stops accepting, waits up to `grace_seconds` for open associations to end, then aborts
/// the rest: at once where one waits for its peer (between commands or inside a dataset),
/// after the answer where we are still making a received store durable; and waits for
/// them. Returns the number of associations that had to be aborted.
int dk_scp_shutdown(dk_scp *scp, double grace_seconds);
void dk_scp_free(dk_scp *scp);

// MARK: - SCU

typedef struct dk_scu_target {
    const char *peer_ae;
    const char *host;
    int port;
    const char *calling_ae;
    uint32_t max_pdu;
    int acse_timeout;
    int dimse_timeout;
    const dk_tls_config *tls;       // NULL: plain TCP; else DICOM TLS with these client credentials
                                    // (ca_file/ca_dir: the peer's certificate is verified against them)
} dk_scu_target;

/// C-ECHO. On a DIMSE answer, `*dimse_status` holds its status.
dk_status dk_echo(const dk_scu_target *target, uint16_t *dimse_status);

typedef struct dk_send_result {
    const char *path;
    int sent;                   // 1 when a response was received
    uint16_t dimse_status;
    char sop_instance_uid[129];
    char message[256];
} dk_send_result;

/// Progress callback for dk_send_files: called after each file with its result.
typedef void (*dk_send_progress)(void *context, const dk_send_result *result, size_t index, size_t total);

/// Sends files with DcmStorageSCU over one association (presentation contexts
/// proposed per SOP class and transfer syntax found). Per-file results through
/// `progress`; returns an error only if the association could not be established.
dk_status dk_send_files(const dk_scu_target *target, const char *const *paths, size_t count,
                        void *context, dk_send_progress progress);

#ifdef __cplusplus
}
#endif

#endif

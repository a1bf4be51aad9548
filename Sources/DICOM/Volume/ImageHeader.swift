import CDcmtk

/// Geometry and value transformation of one frame, as read by the bridge.
struct FrameGeometry: Sendable {
    var position: SIMD3<Double>?
    /// ImageOrientationPatient 0…2: direction of increasing column index.
    var rowCosines: SIMD3<Double>?
    /// ImageOrientationPatient 3…5: direction of increasing row index.
    var columnCosines: SIMD3<Double>?
    /// PixelSpacing: (between rows, between columns), mm.
    var pixelSpacing: (row: Double, column: Double)?
    var sliceThickness: Double?
    var rescaleSlope: Double
    var rescaleIntercept: Double
}

/// What a file says about its pixels (`dk_image_header_read`).
struct ImageHeader: Sendable {
    var path: String
    var sopClassUID: String
    var sopInstanceUID: String
    var seriesInstanceUID: String
    var transferSyntaxUID: String
    var modality: String
    var photometricInterpretation: String
    var rescaleType: String
    /// Units (0054,1001), e.g. "BQML" for PET.
    var units: String
    var rows: Int
    var columns: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var highBit: Int
    var pixelRepresentation: Int
    var samplesPerPixel: Int
    var isEncapsulated: Bool
    var isEnhanced: Bool
    var frames: [FrameGeometry]

    static func read(path: String) throws(VolumeError) -> ImageHeader {
        var h = dk_image_header()
        try bridge(path) { dk_image_header_read(path, &h) }
        defer { dk_image_header_free(&h) }
        return ImageHeader(h, path: path)
    }

    /// `read(path:)`, and the cleaned patient/study attributes from the same read of the header.
    static func readWithStudy(path: String) throws(VolumeError) -> (ImageHeader, StudyAttributes) {
        var h = dk_image_header(), s = dk_study_attributes()
        try bridge(path) { dk_image_header_read_with_study(path, &h, &s) }
        defer {
            dk_image_header_free(&h)
            dk_study_attributes_free(&s)
        }
        return (ImageHeader(h, path: path), StudyAttributes(s, path: path))
    }

    /// A failed read is an unreadable file.
    private static func bridge(_ path: String, _ body: () -> dk_status) throws(VolumeError) {
        do throws(DICOMError) { try withDCMTK { body() } } catch {
            throw VolumeError(.unreadable, "\(path): \(error.description)")
        }
    }

    /// Transfer syntaxes whose pixel data the bridge decodes (DESIGN §6).
    static let decodableTransferSyntaxes: [String: String] = [
        "1.2.840.10008.1.2": "implicit VR little endian",
        "1.2.840.10008.1.2.1": "explicit VR little endian",
        "1.2.840.10008.1.2.1.99": "deflated explicit VR little endian",
        "1.2.840.10008.1.2.2": "explicit VR big endian",
        "1.2.840.10008.1.2.4.50": "JPEG baseline",
        "1.2.840.10008.1.2.4.51": "JPEG extended",
        "1.2.840.10008.1.2.4.57": "JPEG lossless",
        "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
        "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
        "1.2.840.10008.1.2.5": "RLE lossless",
        // OpenJPEG, not DCMTK (CDcmtk's j2k*.cpp).
        "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.4.201": "HTJ2K lossless",
        "1.2.840.10008.1.2.4.202": "HTJ2K RPCL lossless",
        "1.2.840.10008.1.2.4.203": "HTJ2K",
    ]

    /// Why this loader cannot decode the pixel data, or nil when it can.
    var unsupportedReason: String? {
        if Self.decodableTransferSyntaxes[transferSyntaxUID] == nil {
            return "transfer syntax \(transferSyntaxUID) cannot be decoded"
        }
        if rows == 0 || columns == 0 { return "no Rows/Columns" }
        if samplesPerPixel != 1 { return "SamplesPerPixel \(samplesPerPixel) (only grayscale is loaded)" }
        if photometricInterpretation != "MONOCHROME2" && photometricInterpretation != "MONOCHROME1" {
            return "PhotometricInterpretation '\(photometricInterpretation)' (only MONOCHROME1/2)"
        }
        if ![8, 16, 32].contains(bitsAllocated) { return "BitsAllocated \(bitsAllocated) (8, 16 or 32)" }
        if bitsStored < 1 || bitsStored > bitsAllocated || highBit >= bitsAllocated || highBit + 1 < bitsStored {
            return "BitsStored \(bitsStored) / HighBit \(highBit) / BitsAllocated \(bitsAllocated) inconsistent"
        }
        if pixelRepresentation > 1 { return "PixelRepresentation \(pixelRepresentation)" }
        return nil
    }
}

extension FrameGeometry {
    init(_ g: dk_frame_geometry) {
        func has(_ flag: Int) -> Bool { g.flags & UInt32(flag) != 0 }
        position = has(DK_FRAME_HAS_POSITION) ? SIMD3(g.position.0, g.position.1, g.position.2) : nil
        if has(DK_FRAME_HAS_ORIENTATION) {
            let o = g.orientation
            rowCosines = SIMD3(o.0, o.1, o.2)
            columnCosines = SIMD3(o.3, o.4, o.5)
        }
        pixelSpacing = has(DK_FRAME_HAS_PIXEL_SPACING) ? (row: g.pixel_spacing.0, column: g.pixel_spacing.1) : nil
        sliceThickness = has(DK_FRAME_HAS_THICKNESS) ? g.slice_thickness : nil
        rescaleSlope = g.rescale_slope
        rescaleIntercept = g.rescale_intercept
    }
}

extension ImageHeader {
    /// Copies the bridge's header (the caller frees it).
    init(_ h: dk_image_header, path: String) {
        var frames: [FrameGeometry] = []
        frames.reserveCapacity(Int(h.number_of_frames))
        for f in 0..<Int(h.number_of_frames) {
            frames.append(FrameGeometry(h.frames[f]))
        }
        self.init(
            path: path,
            sopClassUID: string(fromCString: h.sop_class_uid),
            sopInstanceUID: string(fromCString: h.sop_instance_uid),
            seriesInstanceUID: string(fromCString: h.series_instance_uid),
            transferSyntaxUID: string(fromCString: h.transfer_syntax_uid),
            modality: string(fromCString: h.modality),
            photometricInterpretation: string(fromCString: h.photometric_interpretation),
            rescaleType: string(fromCString: h.rescale_type),
            units: string(fromCString: h.units),
            rows: Int(h.rows), columns: Int(h.columns),
            bitsAllocated: Int(h.bits_allocated), bitsStored: Int(h.bits_stored), highBit: Int(h.high_bit),
            pixelRepresentation: Int(h.pixel_representation), samplesPerPixel: Int(h.samples_per_pixel),
            isEncapsulated: h.encapsulated != 0, isEnhanced: h.enhanced != 0,
            frames: frames)
    }
}

import CDcmtk
import Imaging

extension Segmentation {
    /// Encodes the SEG with the source study's cleaned attributes (patient, study, frame of
    /// reference) and writes it to `path` (Explicit VR Little Endian, whole or not at all).
    public func write(to path: String, study: StudyAttributes) throws(DICOMError) {
        try plane.check("SEG")
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        let sources = CArray(self.sources.map { s in
            dk_seg_source(sop_class_uid: strings(s.sopClassUID), sop_instance_uid: strings(s.sopInstanceUID),
                          frame_number: s.isMultiFrame ? UInt32(s.frameNumber) : 0,
                          position: (s.position.x, s.position.y, s.position.z))
        })
        defer { withExtendedLifetime(sources) {} }
        var spec = dk_seg_spec(
            identity: identity.c(strings), content_label: strings(contentLabel),
            content_description: strings(contentDescription),
            frame_of_reference_uid: strings(frameOfReferenceUID),
            dimension_organization_uid: strings(dimensionOrganizationUID), source_series_uid: strings(sourceSeriesUID),
            rows: UInt16(plane.rows), columns: UInt16(plane.columns), orientation: plane.orientation,
            pixel_spacing: (plane.rowSpacing, plane.columnSpacing), slice_thickness: plane.sliceThickness,
            spacing_between_slices: plane.spacingBetweenSlices, sources: UnsafePointer(sources.pointer),
            source_count: sources.count)
        var handle: OpaquePointer?
        try study.withElements { (elements, count) throws(DICOMError) in
            try withDCMTK("cannot start the SEG") { dk_seg_create(elements, count, &spec, &handle) }
        }
        defer { dk_seg_free(handle) }

        for (i, segment) in segments.enumerated() {
            var number: UInt16 = 0
            var s = dk_seg_segment(
                label: strings(String(segment.label.prefix(64))), description: strings(segment.description),
                category: strings.code(segment.category), type: strings.code(segment.type),
                type_modifier: strings.code(nil), anatomic_region: strings.code(segment.anatomicRegion),
                anatomic_region_modifier: strings.code(segment.anatomicRegionModifier),
                algorithm_name: strings(segment.algorithmName), algorithm_version: strings(segment.algorithmVersion),
                algorithm_family: strings.code(segment.algorithmFamily),
                tracking_id: strings(segment.trackingID), tracking_uid: strings(segment.trackingUID),
                rgb: (segment.color.x, segment.color.y, segment.color.z))
            try withDCMTK("cannot add segment \(i + 1)") { dk_seg_add_segment(handle, &s, &number) }
            guard Int(number) == i + 1 else {
                throw DICOMError(.dcmtk, "SEG numbered segment \(segment.label) \(number), expected \(i + 1)")
            }
            try addFrames(of: segment, number: number, handle: handle)
        }
        try withDCMTK("cannot write \(path)") { dk_seg_save(handle, path, segmentsOverlap ? 1 : 0) }
    }

    /// One frame per slice of the segment's box that has any voxel.
    private func addFrames(of segment: Segment, number: UInt16, handle: OpaquePointer?) throws(DICOMError) {
        let box = segment.box, bd = box.dimensions
        guard segment.voxels.count == bd.count else {
            throw DICOMError(.invalidInput, "segment \(number) has \(segment.voxels.count) voxels for a \(bd) box")
        }
        let columns = plane.columns
        var frame = [UInt8](repeating: 0, count: plane.rows * columns)
        for s in 0..<bd.slices {
            var any = false
            for r in 0..<bd.rows {
                let src = bd.index(s, r, 0), dst = (box.lower.row + r) * columns + box.lower.column
                for c in 0..<bd.columns {
                    let v = segment.voxels[src + c]
                    frame[dst + c] = v
                    if v != 0 { any = true }
                }
            }
            if any {
                let slice = UInt32(box.lower.slice + s)
                try withDCMTK("cannot add a frame of segment \(number)") {
                    frame.withUnsafeBufferPointer { dk_seg_add_frame(handle, number, slice, $0.baseAddress) }
                }
            }
        }
    }
}

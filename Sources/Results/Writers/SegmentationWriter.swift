import Analysis
import CDcmtk
import DICOM
import Imaging

/// Writes the BINARY SEG of a segment plan on the source grid: the source's rows, columns,
/// orientation and pixel spacing; one frame per segment and source slice that holds any of
/// its voxels (empty frames are omitted), each with the source slice's exact position and a
/// derivation reference to that slice (and frame, for multi-frame sources).
enum SegmentationWriter {
    struct Grid {
        var dimensions: Dimensions
        var geometry: Geometry
        var sources: [SliceSource]
        var positions: [SIMD3<Double>]
        var sliceThickness: Double
        var seriesUID: String
        var frameOfReferenceUID: String
    }

    static func write(plan: SegmentPlan, grid: Grid, identity: ResultIdentity, contentLabel: String,
                      algorithmName: String, algorithmVersion: String, algorithmFamily: Code,
                      dimensionOrganizationUID: String, study: SourceStudy, path: String) throws(DICOMError) {
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        let g = grid.geometry, d = grid.dimensions
        let sources = CArray(grid.sources.enumerated().map { i, s in
            dk_seg_source(sop_class_uid: strings(s.sopClassUID), sop_instance_uid: strings(s.sopInstanceUID),
                          frame_number: s.isMultiFrame ? UInt32(s.frameNumber) : 0,
                          position: (grid.positions[i].x, grid.positions[i].y, grid.positions[i].z))
        })
        var spec = dk_seg_spec(
            identity: identity.c(strings), content_label: strings(contentLabel),
            content_description: strings("\(algorithmName) \(algorithmVersion)"),
            frame_of_reference_uid: strings(grid.frameOfReferenceUID),
            dimension_organization_uid: strings(dimensionOrganizationUID), source_series_uid: strings(grid.seriesUID),
            rows: UInt16(d.rows), columns: UInt16(d.columns),
            orientation: (g.columnDirection.x, g.columnDirection.y, g.columnDirection.z,
                          g.rowDirection.x, g.rowDirection.y, g.rowDirection.z),
            pixel_spacing: (g.spacing.row, g.spacing.column), slice_thickness: grid.sliceThickness,
            spacing_between_slices: g.spacing.slice, sources: UnsafePointer(sources.pointer), source_count: sources.count)
        defer { withExtendedLifetime(sources) {} }
        var handle: OpaquePointer?
        try withResultsBridge("cannot start the SEG") { dk_seg_create(study.handle, &spec, &handle) }
        defer { dk_seg_free(handle) }

        for segment in plan.segments {
            var number: UInt16 = 0
            var s = dk_seg_segment(
                label: strings(String(segment.label.prefix(64))), description: strings(segment.description),
                category: strings.code(segment.category), type: strings.code(segment.type),
                type_modifier: strings.code(nil), anatomic_region: strings.code(segment.anatomicRegion),
                anatomic_region_modifier: strings.code(segment.anatomicModifier),
                algorithm_name: strings(algorithmName), algorithm_version: strings(algorithmVersion),
                algorithm_family: strings.code(algorithmFamily),
                tracking_id: strings(segment.trackingID), tracking_uid: strings(segment.trackingUID),
                rgb: (segment.rgb.0, segment.rgb.1, segment.rgb.2))
            try withResultsBridge("cannot add segment \(segment.number)") { dk_seg_add_segment(handle, &s, &number) }
            guard Int(number) == segment.number else {
                throw DICOMError(.dcmtk, "SEG numbered segment \(segment.label) \(number), expected \(segment.number)")
            }
            try addFrames(of: segment.mask, segment: number, dimensions: d, handle: handle)
        }
        try withResultsBridge("cannot write \(path)") { dk_seg_save(handle, path, plan.overlaps ? 1 : 0) }
    }

    /// One frame per slice of the mask's box that has any voxel.
    private static func addFrames(of mask: RegionMask, segment: UInt16, dimensions d: Dimensions,
                                  handle: OpaquePointer?) throws(DICOMError) {
        let box = mask.box, bd = box.dimensions
        var frame = [UInt8](repeating: 0, count: d.sliceSize)
        for s in 0..<bd.slices {
            var any = false
            for r in 0..<bd.rows {
                let src = bd.index(s, r, 0), dst = (box.lower.row + r) * d.columns + box.lower.column
                for c in 0..<bd.columns {
                    let v = mask.mask[src + c]
                    frame[dst + c] = v
                    if v != 0 { any = true }
                }
            }
            if any {
                let slice = UInt32(box.lower.slice + s)
                try withResultsBridge("cannot add a frame of segment \(segment)") {
                    frame.withUnsafeBufferPointer { dk_seg_add_frame(handle, segment, slice, $0.baseAddress) }
                }
            }
        }
    }
}

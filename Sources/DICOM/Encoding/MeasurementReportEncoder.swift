import CDcmtk

extension MeasurementReport {
    /// Encodes the SR with the source study's cleaned attributes and writes it to `path`
    /// (Explicit VR Little Endian, whole or not at all).
    public func write(to path: String, study: StudyAttributes) throws(DICOMError) {
        try plane.check("SR")
        let strings = CStrings()
        defer { withExtendedLifetime(strings) {} }
        var keep: [AnyObject] = []
        defer { withExtendedLifetime(keep) {} }

        func evaluations(_ list: [Evaluation]) -> CArray<dk_sr_evaluation> {
            let a = CArray(list.map {
                dk_sr_evaluation(concept: strings.code($0.concept), code: strings.code($0.code), text: strings($0.text))
            })
            keep.append(a)
            return a
        }
        let groups = CArray(self.groups.map { g -> dk_sr_group in
            let items = CArray(g.measurements.map {
                dk_sr_measurement(concept: strings.code($0.concept), derivation: strings.code($0.derivation),
                                  value: strings(decimalString($0.value)), unit: strings.code($0.unit),
                                  finding_site: strings.code($0.site), laterality: strings.code($0.laterality))
            })
            keep.append(items)
            let evals = evaluations(g.evaluations)
            return dk_sr_group(kind: Int32(g.segmentNumber != nil ? DK_SR_GROUP_VOLUMETRIC : DK_SR_GROUP_INDIVIDUAL),
                               tracking_id: strings(g.trackingID), tracking_uid: strings(g.trackingUID),
                               finding: strings.code(g.finding), finding_site: strings.code(g.findingSite),
                               laterality: strings.code(g.laterality), segment_number: UInt16(g.segmentNumber ?? 0),
                               measurements: UnsafePointer(items.pointer), measurement_count: items.count,
                               evaluations: UnsafePointer(evals.pointer), evaluation_count: evals.count)
        })
        let documentEvaluations = evaluations(self.evaluations)
        var seen = Set<String>()
        let images = CArray(sources.filter { seen.insert($0.sopInstanceUID).inserted }.map {
            dk_sr_image(sop_class_uid: strings($0.sopClassUID), sop_instance_uid: strings($0.sopInstanceUID))
        })
        defer { withExtendedLifetime((groups, documentEvaluations, images)) {} }
        var spec = dk_sr_spec(
            identity: identity.c(strings), procedure: strings.code(procedure), device_uid: strings(deviceUID),
            device_name: strings(deviceName), device_manufacturer: strings(identity.manufacturer),
            device_model: strings(identity.modelName), algorithm_name: strings(algorithmName),
            algorithm_version: strings(algorithmVersion), source_series_uid: strings(sourceSeriesUID),
            source_modality: strings(sourceModality), frame_of_reference_uid: strings(frameOfReferenceUID),
            rows: UInt16(plane.rows), columns: UInt16(plane.columns),
            pixel_spacing: (plane.rowSpacing, plane.columnSpacing), orientation: plane.orientation,
            slice_thickness: plane.sliceThickness, images: UnsafePointer(images.pointer), image_count: images.count,
            seg_series_uid: strings.optional(segmentation?.seriesUID),
            seg_sop_instance_uid: strings.optional(segmentation?.instanceUID),
            groups: UnsafePointer(groups.pointer), group_count: groups.count,
            evaluations: UnsafePointer(documentEvaluations.pointer), evaluation_count: documentEvaluations.count,
            private_scheme: strings.optional(privateScheme?.designator),
            private_scheme_name: strings.optional(privateScheme?.name))
        try study.withElements { (elements, count) throws(DICOMError) in
            try withDCMTK("cannot write the SR \(path)") { dk_sr_write(elements, count, &spec, path) }
        }
    }
}

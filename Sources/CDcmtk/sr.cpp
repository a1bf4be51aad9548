// Results: Comprehensive 3D SR with a TID 1500 Measurement Report through DCMTK's dcmsr/cmr
// (as dcmqi's tid1500writer drives it): language, device observer, procedure reported, image
// library, one TID 1411 group per segment (or TID 1501 for case-level numbers), qualitative
// evaluations, evidence of every referenced instance.
#include "results_internal.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmsr/cmr/tid1500.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include <string>

namespace {

DSRCodedEntryValue coded(const dk_code &c) {
    return DSRCodedEntryValue(dk_str(c.value), dk_str(c.scheme), dk_str(c.meaning));
}

#define DK_TRY(what, expr)                                                        \
    do {                                                                          \
        OFCondition dk_c_ = (expr);                                               \
        if (dk_c_.bad()) return dk_error((std::string(what) + ": " + dk_c_.text()).c_str()); \
    } while (0)

template <typename Group>
dk_status fillCommon(Group &g, const dk_sr_group &spec) {
    DK_TRY("tracking identifier", g.setTrackingIdentifier(dk_str(spec.tracking_id)));
    DK_TRY("tracking UID", g.setTrackingUniqueIdentifier(dk_str(spec.tracking_uid)));
    if (dk_has_code(spec.finding)) DK_TRY("finding", g.setFinding(coded(spec.finding)));
    if (dk_has_code(spec.finding_site)) {
        CID244e_Laterality laterality(dk_has_code(spec.laterality) ? coded(spec.laterality) : DSRCodedEntryValue());
        DK_TRY("finding site", g.addFindingSite(coded(spec.finding_site), laterality));
    }
    return dk_ok();
}

template <typename Group>
dk_status addEvaluations(Group &g, const dk_sr_evaluation *items, size_t count) {
    for (size_t i = 0; i < count; i++) {
        const dk_sr_evaluation &e = items[i];
        if (dk_has_code(e.code)) {
            DK_TRY("qualitative evaluation", g.addQualitativeEvaluation(coded(e.concept), coded(e.code)));
        } else {
            DK_TRY("text evaluation", g.addQualitativeEvaluation(coded(e.concept), OFString(dk_str(e.text))));
        }
    }
    return dk_ok();
}

// The measurement's own Finding Site (TID 1419 rows 9-10), e.g. Lung + Right for the right
// lung's volume, so that two volumes in one group stay distinguishable.
template <typename Measurement>
OFCondition addSite(Measurement &measurement, const dk_sr_measurement &m) {
    if (!dk_has_code(m.finding_site)) return EC_Normal;
    CID244e_Laterality laterality(dk_has_code(m.laterality) ? coded(m.laterality) : DSRCodedEntryValue());
    return measurement.addFindingSite(coded(m.finding_site), laterality);
}

dk_status addVolumetric(TID1500_MeasurementReport &report, const dk_sr_spec &spec, const dk_sr_group &group) {
    DK_TRY("volumetric group", report.addVolumetricROIMeasurements());
    CMR_TID1411_in_TID1500 &g = report.getVolumetricROIMeasurements();
    dk_status s = fillCommon(g, group);
    if (!s.ok) return s;
    DSRImageReferenceValue segment(UID_SegmentationStorage, dk_str(spec.seg_sop_instance_uid));
    segment.getSegmentList().addItem(group.segment_number);
    DK_TRY("referenced segment", g.setReferencedSegment(segment));
    DK_TRY("source series", g.setSourceSeriesForSegmentation(dk_str(spec.source_series_uid)));
    for (size_t i = 0; i < group.measurement_count; i++) {
        const dk_sr_measurement &m = group.measurements[i];
        CMR_TID1411_in_TID1500::MeasurementValue value(
            dk_str(m.value), CID7181_AbstractMultiDimensionalImageModelComponentUnits(coded(m.unit)));
        DK_TRY(std::string("measurement ") + dk_str(m.concept.meaning),
               g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(coded(m.concept)), value));
        CMR_TID1419_in_TID1411_in_TID1500 &measurement = g.getMeasurement();
        if (dk_has_code(m.derivation)) {
            DK_TRY("derivation", measurement.setDerivation(CID7464_GeneralRegionOfInterestMeasurementModifiers(coded(m.derivation))));
        }
        DK_TRY("measurement site", addSite(measurement, m));
        DK_TRY("algorithm identification",
               measurement.setAlgorithmIdentification(dk_str(spec.algorithm_name), dk_str(spec.algorithm_version)));
    }
    return addEvaluations(g, group.evaluations, group.evaluation_count);
}

dk_status addIndividual(TID1500_MeasurementReport &report, const dk_sr_group &group) {
    DK_TRY("case group", report.addIndividualMeasurements());
    CMR_TID1501_in_TID1500 &g = report.getIndividualMeasurements();
    dk_status s = fillCommon(g, group);
    if (!s.ok) return s;
    for (size_t i = 0; i < group.measurement_count; i++) {
        const dk_sr_measurement &m = group.measurements[i];
        CMR_TID1501_in_TID1500::MeasurementValue value(
            dk_str(m.value), CID7181_AbstractMultiDimensionalImageModelComponentUnits(coded(m.unit)));
        DK_TRY(std::string("measurement ") + dk_str(m.concept.meaning),
               g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(coded(m.concept)), value));
        if (dk_has_code(m.derivation)) {
            DK_TRY("derivation", g.getMeasurement().setDerivation(CID7464_GeneralRegionOfInterestMeasurementModifiers(coded(m.derivation))));
        }
        DK_TRY("measurement site", addSite(g.getMeasurement(), m));
    }
    return addEvaluations(g, group.evaluations, group.evaluation_count);
}

dk_status buildReport(TID1500_MeasurementReport &report, const dk_sr_spec &spec) {
    DK_TRY("language", report.setLanguage(CID5000_Languages(CID5000_Languages::English)));
    DK_TRY("device observer",
           report.getObservationContext().addDeviceObserver(dk_str(spec.device_uid), dk_str(spec.device_name),
                                                            dk_str(spec.device_manufacturer), dk_str(spec.device_model)));
    DK_TRY("procedure reported", report.addProcedureReported(CID100_QuantitativeDiagnosticImagingProcedures(coded(spec.procedure))));

    TID1600_ImageLibrary &library = report.getImageLibrary();
    DK_TRY("image library", library.createNewImageLibrary());
    DK_TRY("image group", library.addImageGroup());
    DcmItem descriptors;
    descriptors.putAndInsertString(DCM_Modality, dk_str(spec.source_modality));
    descriptors.putAndInsertString(DCM_FrameOfReferenceUID, dk_str(spec.frame_of_reference_uid));
    descriptors.putAndInsertUint16(DCM_Rows, spec.rows);
    descriptors.putAndInsertUint16(DCM_Columns, spec.columns);
    descriptors.putAndInsertString(DCM_PixelSpacing,
                                   (dk_ds(spec.pixel_spacing[0]) + "\\" + dk_ds(spec.pixel_spacing[1])).c_str());
    std::string iop;
    for (int i = 0; i < 6; i++) iop += (i ? "\\" : "") + dk_ds(spec.orientation[i]);
    descriptors.putAndInsertString(DCM_ImageOrientationPatient, iop.c_str());
    if (spec.slice_thickness > 0) descriptors.putAndInsertString(DCM_SliceThickness, dk_ds(spec.slice_thickness).c_str());
    DK_TRY("image group descriptors", library.addImageGroupDescriptors(descriptors, TID1600_ImageLibrary::withAllDescriptors));
    for (size_t i = 0; i < spec.image_count; i++) {
        DcmItem entry;
        entry.putAndInsertString(DCM_SOPClassUID, dk_str(spec.images[i].sop_class_uid));
        entry.putAndInsertString(DCM_SOPInstanceUID, dk_str(spec.images[i].sop_instance_uid));
        DK_TRY("image library entry", library.addImageEntry(entry, TID1600_ImageLibrary::withoutDescriptors));
    }

    for (size_t i = 0; i < spec.group_count; i++) {
        const dk_sr_group &group = spec.groups[i];
        dk_status s;
        if (group.kind == DK_SR_GROUP_VOLUMETRIC) {
            if (spec.seg_sop_instance_uid == nullptr) return dk_error("a volumetric group needs a SEG to reference");
            s = addVolumetric(report, spec, group);
        } else {
            s = addIndividual(report, group);
        }
        if (!s.ok) return s;
    }
    for (size_t i = 0; i < spec.evaluation_count; i++) {
        const dk_sr_evaluation &e = spec.evaluations[i];
        if (dk_has_code(e.code)) {
            DK_TRY("qualitative evaluation", report.addQualitativeEvaluation(coded(e.concept), coded(e.code)));
        } else {
            DK_TRY("text evaluation", report.addQualitativeEvaluation(coded(e.concept), OFString(dk_str(e.text))));
        }
    }
    if (!report.isValid()) return dk_error("the TID 1500 measurement report is not valid");
    return dk_ok();
}

}  // namespace

extern "C" dk_status dk_sr_write(const dk_element *studyElements, size_t study_count, const dk_sr_spec *spec,
                                 const char *path) {
    try {
        if ((studyElements == nullptr && study_count > 0) || spec == nullptr || path == nullptr) {
            return dk_error("dk_sr_write: missing argument");
        }
        dk_study study;
        dk_status st = dk_study_from(studyElements, study_count, study);
        if (!st.ok) return st;
        TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
        dk_status s = buildReport(report, *spec);
        if (!s.ok) return s;

        DSRDocument doc;
        DK_TRY("document tree", doc.setTreeFromRootTemplate(report, OFTrue));
        DK_TRY("document type", doc.changeDocumentType(DSRTypes::DT_Comprehensive3DSR));
        const std::string studyUIDValue = dk_study_uid(study);
        const char *studyUID = studyUIDValue.c_str();
        DK_TRY("study", doc.createNewSeriesInStudy(studyUID));
        std::string date, time;
        dk_now(date, time);
        DK_TRY("series date", doc.setSeriesDate(date.c_str()));
        DK_TRY("series time", doc.setSeriesTime(time.c_str()));
        for (size_t i = 0; i < spec->image_count; i++) {
            DK_TRY("evidence", doc.getCurrentRequestedProcedureEvidence().addItem(
                                   studyUID, dk_str(spec->source_series_uid), dk_str(spec->images[i].sop_class_uid),
                                   dk_str(spec->images[i].sop_instance_uid)));
        }
        if (spec->seg_sop_instance_uid != nullptr) {
            DK_TRY("evidence", doc.getCurrentRequestedProcedureEvidence().addItem(
                                   studyUID, dk_str(spec->seg_series_uid), UID_SegmentationStorage,
                                   spec->seg_sop_instance_uid));
        }
        if (spec->private_scheme != nullptr && spec->private_scheme[0]) {
            DSRCodingSchemeIdentificationList &schemes = doc.getCodingSchemeIdentification();
            DK_TRY("coding scheme", schemes.addItem(spec->private_scheme));
            DK_TRY("coding scheme name", schemes.setCodingSchemeName(dk_str(spec->private_scheme_name)));
            DK_TRY("coding scheme organization", schemes.setCodingSchemeResponsibleOrganization(dk_str(spec->identity.manufacturer)));
        }
        DK_TRY("completion", doc.completeDocument());

        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        DK_TRY("write", doc.write(*ds));
        DK_TRY("patient/study", dk_apply_study(&study, *ds, false));
        DK_TRY("identity", dk_apply_identity(spec->identity, *ds));
        return dk_save_atomic(ff, path);
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_sr_write");
    }
}

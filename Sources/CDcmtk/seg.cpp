// Results: BINARY DICOM Segmentation through DCMTK's dcmseg (as dcmqi's ImageSEGConverter
// drives it): one frame per segment and source slice that has any voxel, plane position and
// derivation image per frame, orientation and pixel measures shared.
#include "results_internal.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmiod/cielabutil.h"
#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segment.h"

#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

namespace {

struct Source {
    std::string sopClass, sopInstance;
    uint32_t frame;
    std::string position[3];
};

}  // namespace

struct dk_seg {
    std::unique_ptr<DcmSegmentation> doc;
    dk_study study;  // rebuilt from the caller's elements: they may be freed before saving
    std::vector<Source> sources;
    std::string date, time;
};

namespace {

CodeSequenceMacro codeMacro(const dk_code &c) {
    return CodeSequenceMacro(dk_str(c.value), dk_str(c.scheme), dk_str(c.meaning));
}

#define DK_TRY(expr)                                  \
    do {                                              \
        OFCondition dk_c_ = (expr);                   \
        if (dk_c_.bad()) return dk_from_condition(dk_c_); \
    } while (0)

// Every frame is its source slice's own grid: Spatial Locations Preserved "YES" in each Source
// Image Sequence item (dcmfg 3.6.7 has no setter; readers such as highdicom require it to map
// frames to source images).
OFCondition markSpatialLocationsPreserved(DcmDataset &ds) {
    DcmSequenceOfItems *frames = nullptr;
    if (ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, frames).bad() || frames == nullptr) return EC_Normal;
    for (unsigned long f = 0; f < frames->card(); f++) {
        DcmSequenceOfItems *derivations = nullptr;
        if (frames->getItem(f)->findAndGetSequence(DCM_DerivationImageSequence, derivations).bad() || !derivations) continue;
        for (unsigned long d = 0; d < derivations->card(); d++) {
            DcmSequenceOfItems *sources = nullptr;
            if (derivations->getItem(d)->findAndGetSequence(DCM_SourceImageSequence, sources).bad() || !sources) continue;
            for (unsigned long s = 0; s < sources->card(); s++) {
                OFCondition c = sources->getItem(s)->putAndInsertString(DCM_SpatialLocationsPreserved, "YES");
                if (c.bad()) return c;
            }
        }
    }
    return EC_Normal;
}

}  // namespace

extern "C" dk_status dk_seg_create(const dk_element *study, size_t study_count, const dk_seg_spec *spec,
                                   dk_seg **out) {
    if (out) *out = nullptr;
    try {
        if ((study == nullptr && study_count > 0) || spec == nullptr || out == nullptr || spec->rows == 0 || spec->columns == 0 ||
            spec->source_count == 0 || spec->sources == nullptr) {
            return dk_error("dk_seg_create: missing study, grid or sources");
        }
        const dk_result_identity &id = spec->identity;
        IODGeneralEquipmentModule::EquipmentInfo equipment(dk_str(id.manufacturer), dk_str(id.model_name),
                                                           dk_str(id.device_serial_number),
                                                           dk_str(id.software_version));
        ContentIdentificationMacro content(std::to_string(id.instance_number).c_str(), dk_str(spec->content_label),
                                           dk_str(spec->content_description), "");
        DcmSegmentation *raw = nullptr;
        DK_TRY(DcmSegmentation::createBinarySegmentation(raw, spec->rows, spec->columns, equipment, content));
        std::unique_ptr<dk_seg> seg(new dk_seg());
        seg->doc.reset(raw);
        DcmSegmentation &doc = *seg->doc;
        dk_now(seg->date, seg->time);
        dk_status st = dk_study_from(study, study_count, seg->study);
        if (!st.ok) return st;

        // Patient, study and frame of reference from the cleaned source attributes.
        DK_TRY(doc.importHierarchy(seg->study.clean, OFTrue, OFTrue, OFTrue, OFFalse, OFTrue));
        DK_TRY(doc.setEquipmentInfo(equipment));
        DK_TRY(doc.getFrameOfReference().setFrameOfReferenceUID(dk_str(spec->frame_of_reference_uid)));
        DK_TRY(doc.getSeries().setSeriesInstanceUID(dk_str(id.series_instance_uid)));
        DK_TRY(doc.getSeries().setSeriesNumber(std::to_string(id.series_number).c_str()));
        DK_TRY(doc.getSeries().setSeriesDescription(dk_str(id.series_description)));
        DK_TRY(doc.getSeries().setSeriesDate(seg->date.c_str()));
        DK_TRY(doc.getSeries().setSeriesTime(seg->time.c_str()));
        DK_TRY(doc.getSOPCommon().setSOPInstanceUID(dk_str(id.sop_instance_uid)));
        DK_TRY(doc.getGeneralImage().setContentDate(seg->date.c_str()));
        DK_TRY(doc.getGeneralImage().setContentTime(seg->time.c_str()));

        // Frames are indexed by segment, then by position along the slice normal.
        IODMultiframeDimensionModule &dims = doc.getDimensions();
        const char *dimUID = dk_str(spec->dimension_organization_uid);
        DK_TRY(dims.addDimensionIndex(DCM_ReferencedSegmentNumber, dimUID, DCM_SegmentIdentificationSequence,
                                      "ReferencedSegmentNumber"));
        DK_TRY(dims.addDimensionIndex(DCM_ImagePositionPatient, dimUID, DCM_PlanePositionSequence,
                                      "ImagePositionPatient"));

        std::unique_ptr<FGPlaneOrientationPatient> orientation(FGPlaneOrientationPatient::createMinimal(
            dk_ds(spec->orientation[0]).c_str(), dk_ds(spec->orientation[1]).c_str(),
            dk_ds(spec->orientation[2]).c_str(), dk_ds(spec->orientation[3]).c_str(),
            dk_ds(spec->orientation[4]).c_str(), dk_ds(spec->orientation[5]).c_str()));
        if (!orientation) return dk_error("dk_seg_create: cannot create the plane orientation");
        DK_TRY(doc.addForAllFrames(*orientation));
        FGPixelMeasures measures;
        DK_TRY(measures.setPixelSpacing((dk_ds(spec->pixel_spacing[0]) + "\\" + dk_ds(spec->pixel_spacing[1])).c_str()));
        DK_TRY(measures.setSliceThickness(dk_ds(spec->slice_thickness).c_str()));
        DK_TRY(measures.setSpacingBetweenSlices(dk_ds(spec->spacing_between_slices).c_str()));
        DK_TRY(doc.addForAllFrames(measures));

        // Every source instance, once, in the Referenced Series Sequence.
        IODSeriesAndInstanceReferenceMacro::ReferencedSeriesItem *series =
            new IODSeriesAndInstanceReferenceMacro::ReferencedSeriesItem();
        doc.getCommonInstanceReference().getReferencedSeriesItems().push_back(series);
        DK_TRY(series->setSeriesInstanceUID(dk_str(spec->source_series_uid)));
        std::set<std::string> seen;
        seg->sources.reserve(spec->source_count);
        for (size_t i = 0; i < spec->source_count; i++) {
            const dk_seg_source &s = spec->sources[i];
            Source src{dk_str(s.sop_class_uid), dk_str(s.sop_instance_uid), s.frame_number,
                       {dk_ds(s.position[0]), dk_ds(s.position[1]), dk_ds(s.position[2])}};
            if (seen.insert(src.sopInstance).second) {
                SOPInstanceReferenceMacro *ref = new SOPInstanceReferenceMacro();
                series->getReferencedInstanceItems().push_back(ref);
                DK_TRY(ref->setReferencedSOPClassUID(src.sopClass.c_str()));
                DK_TRY(ref->setReferencedSOPInstanceUID(src.sopInstance.c_str()));
            }
            seg->sources.push_back(src);
        }
        *out = seg.release();
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_seg_create");
    }
}

extern "C" dk_status dk_seg_add_segment(dk_seg *seg, const dk_seg_segment *s, uint16_t *number) {
    try {
        if (seg == nullptr || s == nullptr || number == nullptr) return dk_error("dk_seg_add_segment: missing argument");
        DcmSegment *segment = nullptr;
        DK_TRY(DcmSegment::create(segment, dk_str(s->label), codeMacro(s->category), codeMacro(s->type),
                                  DcmSegTypes::SAT_AUTOMATIC, dk_str(s->algorithm_name)));
        std::unique_ptr<DcmSegment> owned(segment);
        if (s->description && s->description[0]) DK_TRY(segment->setSegmentDescription(s->description));
        if (dk_has_code(s->type_modifier)) {
            segment->getSegmentedPropertyTypeModifierCode().push_back(new CodeSequenceMacro(codeMacro(s->type_modifier)));
        }
        if (dk_has_code(s->anatomic_region)) {
            GeneralAnatomyMacro &anatomy = segment->getGeneralAnatomyCode();
            anatomy.getAnatomicRegion() = codeMacro(s->anatomic_region);
            if (dk_has_code(s->anatomic_region_modifier)) {
                anatomy.getAnatomicRegionModifier().push_back(new CodeSequenceMacro(codeMacro(s->anatomic_region_modifier)));
            }
        }
        if (dk_has_code(s->algorithm_family)) {
            AlgorithmIdentificationMacro &algorithm = segment->getSegmentationAlgorithmIdentification();
            algorithm.getAlgorithmFamilyCode() = codeMacro(s->algorithm_family);
            DK_TRY(algorithm.setAlgorithmName(dk_str(s->algorithm_name)));
            DK_TRY(algorithm.setAlgorithmVersion(dk_str(s->algorithm_version)));
        }
        if (s->tracking_id && s->tracking_id[0]) DK_TRY(segment->setTrackingID(s->tracking_id));
        if (s->tracking_uid && s->tracking_uid[0]) DK_TRY(segment->setTrackingUID(s->tracking_uid));
        double L = 0, a = 0, b = 0;
        IODCIELabUtil::rgb2DicomLab(L, a, b, s->rgb[0] / 255.0, s->rgb[1] / 255.0, s->rgb[2] / 255.0);
        DK_TRY(segment->setRecommendedDisplayCIELabValue(OFstatic_cast(Uint16, L + 0.5), OFstatic_cast(Uint16, a + 0.5),
                                                         OFstatic_cast(Uint16, b + 0.5)));
        DK_TRY(seg->doc->addSegment(segment, *number));
        owned.release();  // the document owns it now
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_seg_add_segment");
    }
}

extern "C" dk_status dk_seg_add_frame(dk_seg *seg, uint16_t segment, uint32_t sourceIndex, const uint8_t *pixels) {
    try {
        if (seg == nullptr || pixels == nullptr || sourceIndex >= seg->sources.size()) {
            return dk_error("dk_seg_add_frame: missing pixels or source index out of range");
        }
        const Source &src = seg->sources[sourceIndex];
        std::unique_ptr<FGPlanePosPatient> position(
            FGPlanePosPatient::createMinimal(src.position[0].c_str(), src.position[1].c_str(), src.position[2].c_str()));
        if (!position) return dk_error("dk_seg_add_frame: cannot create the plane position");
        FGFrameContent content;
        DK_TRY(content.setDimensionIndexValues(segment, 0));
        DK_TRY(content.setDimensionIndexValues(sourceIndex + 1, 1));
        ImageSOPInstanceReferenceMacro ref;
        DK_TRY(ref.setReferencedSOPClassUID(src.sopClass.c_str()));
        DK_TRY(ref.setReferencedSOPInstanceUID(src.sopInstance.c_str()));
        if (src.frame > 0) DK_TRY(ref.addReferencedFrameNumber(OFstatic_cast(Uint16, src.frame)));
        OFVector<ImageSOPInstanceReferenceMacro> refs;
        refs.push_back(ref);
        std::unique_ptr<FGDerivationImage> derivation(DcmSegmentation::createDerivationImageFG(refs, ""));
        if (!derivation) return dk_error("dk_seg_add_frame: cannot create the derivation image");
        OFVector<FGBase *> groups;
        groups.push_back(position.get());
        groups.push_back(&content);
        groups.push_back(derivation.get());
        DK_TRY(seg->doc->addFrame(const_cast<Uint8 *>(pixels), segment, groups));
        return dk_ok();
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_seg_add_frame");
    }
}

extern "C" dk_status dk_seg_save(dk_seg *seg, const char *path, int overlap) {
    try {
        if (seg == nullptr || path == nullptr) return dk_error("dk_seg_save: missing argument");
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        DK_TRY(seg->doc->writeDataset(*ds));
        DK_TRY(markSpatialLocationsPreserved(*ds));
        DK_TRY(dk_apply_study(&seg->study, *ds, true));
        DK_TRY(ds->putAndInsertString(DCM_SegmentsOverlap, overlap ? "YES" : "NO"));
        return dk_save_atomic(ff, path);
    } catch (const std::exception &e) {
        return dk_error(e.what());
    } catch (...) {
        return dk_error("unknown C++ exception in dk_seg_save");
    }
}

extern "C" void dk_seg_free(dk_seg *seg) { delete seg; }

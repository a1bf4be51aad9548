"""SEG, SR TID 1500 and key images written by `Results` (issue 5), checked by outside tools.

Each case runs `results-fixture` (Tests/ResultsFixture, built with the package; override with
RESULTS_FIXTURE_BIN): it writes a phantom series as DICOM in a given geometry and slice order,
loads it back from (optionally shuffled) files as the node does, builds the result from the
phantom truth (or runs the real analyzer), writes seg.dcm / sr.dcm / sc-N.dcm through
`ResultWriter`, and records in expected.json + masks/segment-N.bin what they must contain.
Here: dciodvfy (zero errors, only accepted warnings), highdicom (SEG masks voxel for voxel on
the source images, SR groups and values), pydicom (key images, copied patient/study), and
Orthanc (stores every object and lists SEG and SR under the source study).
"""
from __future__ import annotations

import math
import subprocess

import numpy as np
import pydicom
import pytest


import highdicom as hd  # noqa: E402  (Tests/IntegrationTests/requirements.txt)
from results_helpers import cases  # noqa: F401  (the session fixture)
from results_helpers import (ACCEPTED_WARNINGS, CASES, Case, DCIODVFY, DESIGN_CODES, FINDING_TYPES,
                            LATERALITY, ORGANS, SEG_CLASS, SR_CLASS, read)

# ----------------------------------------------------------------------------- validity

@pytest.mark.parametrize("name", list(CASES))
def test_every_object_passes_dciodvfy(cases, name):
    case = cases(name)
    assert case.files, f"{name}: nothing written"
    kinds = {w["kind"] for w in case.expected["written"]}
    assert "sr" in kinds and ("seg" in kinds) == bool(case.expected["segments"]), kinds
    for f in case.files:
        res = subprocess.run([DCIODVFY, str(f)], capture_output=True, text=True, timeout=60)
        lines = (res.stdout + res.stderr).splitlines()
        errors = [l for l in lines if l.startswith("Error")]
        assert not errors, f"{name}/{f.name}: dciodvfy errors:\n" + "\n".join(errors)
        unexpected = [l for l in lines if l.startswith("Warning") and not any(a.search(l) for a in ACCEPTED_WARNINGS)]
        assert not unexpected, f"{name}/{f.name}: new dciodvfy warnings (accept with a reason or fix):\n" \
            + "\n".join(unexpected)


# ----------------------------------------------------------------------------- SEG

@pytest.mark.parametrize("name", [n for n in CASES if n != "lung-no-finding"] + ["lung-no-finding"])
def test_seg_masks_equal_the_findings_voxel_for_voxel(cases, name):
    case = cases(name)
    exp = case.expected
    seg = hd.seg.segread(str(case.results / "seg.dcm"))
    assert seg.SegmentationType == "BINARY" and seg.BitsAllocated == 1
    assert seg.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1", "uncompressed, explicit VR little endian"
    assert seg.number_of_segments == len(exp["segments"])
    uids = exp["source_instance_uids"]
    for s in exp["segments"]:
        got = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, segment_numbers=[s["number"]],
                                                assert_missing_frames_are_empty=True)[..., 0]
        want = case.mask(s)
        assert got.shape == want.shape
        diff = int(np.count_nonzero(got.astype(np.uint8) != want))
        assert diff == 0, f"{name}: segment {s['number']} ({s['label']}) differs in {diff} voxels"
        assert int(want.sum()) == s["voxels"] > 0


@pytest.mark.parametrize("name", list(CASES))
def test_seg_lies_on_the_source_grid(cases, name):
    case = cases(name)
    seg = read(case.results / "seg.dcm")
    sources = {str(d.SOPInstanceUID): d for d in (pydicom.dcmread(str(p), stop_before_pixels=True)
                                                  for p in case.source_files())}
    first = next(iter(sources.values()))
    assert (seg.Rows, seg.Columns) == (first.Rows, first.Columns)
    assert seg.StudyInstanceUID == first.StudyInstanceUID
    assert seg.FrameOfReferenceUID == first.FrameOfReferenceUID
    shared = seg.SharedFunctionalGroupsSequence[0]
    assert np.allclose([float(x) for x in shared.PlaneOrientationSequence[0].ImageOrientationPatient],
                       [float(x) for x in first.ImageOrientationPatient], atol=1e-6)
    assert np.allclose([float(x) for x in shared.PixelMeasuresSequence[0].PixelSpacing],
                       [float(x) for x in first.PixelSpacing], atol=1e-6)
    referenced = {str(i.ReferencedSOPInstanceUID) for i in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence}
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == first.SeriesInstanceUID
    assert referenced == set(sources), "ReferencedSeriesSequence must list every source image"
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
    for i, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        source = fg.DerivationImageSequence[0].SourceImageSequence[0]
        assert source.PurposeOfReferenceCodeSequence[0].CodeValue == "121322"
        assert fg.DerivationImageSequence[0].DerivationCodeSequence[0].CodeValue == "113076"
        src = sources[str(source.ReferencedSOPInstanceUID)]
        ipp = [float(x) for x in fg.PlanePositionSequence[0].ImagePositionPatient]
        assert np.allclose(ipp, [float(x) for x in src.ImagePositionPatient], atol=1e-4), \
            f"{name}: frame {i + 1} is not at its source image's position"
        assert frames[i].any(), f"{name}: frame {i + 1} is empty (empty frames must be omitted)"


@pytest.mark.parametrize("name", ["lung-axial", "infarct-ctp-analyzer-oblique", "liver-analyzer"])
def test_seg_segments_are_described_per_design(cases, name):
    case = cases(name)
    exp = case.expected
    seg = read(case.results / "seg.dcm")
    organ_code = ORGANS[exp["organ"]]
    findings = {f["number"]: f for f in exp["findings"]}
    for item, s in zip(seg.SegmentSequence, exp["segments"]):
        assert item.SegmentNumber == s["number"] and item.SegmentLabel == s["label"]
        assert item.SegmentAlgorithmType == "AUTOMATIC"
        assert item.SegmentAlgorithmName == f"AutoSeg {exp['analyzer']}"
        assert item.SegmentationAlgorithmIdentificationSequence[0].AlgorithmVersion == exp["version"]
        assert item.TrackingID == s["tracking_id"] and item.TrackingUID == s["tracking_uid"]
        category = item.SegmentedPropertyCategoryCodeSequence[0]
        kind = item.SegmentedPropertyTypeCodeSequence[0]
        if s.get("finding_number") is None:
            assert (category.CodeValue, category.CodingSchemeDesignator) == ("91723000", "SCT")
            assert kind.CodeValue == organ_code
        else:
            f = findings[s["finding_number"]]
            assert (category.CodeValue, category.CodingSchemeDesignator) == ("49755003", "SCT")
            assert kind.CodeValue == FINDING_TYPES[f["kind"]]
            assert item.AnatomicRegionSequence[0].CodeValue == organ_code
            if f.get("laterality"):
                assert item.AnatomicRegionSequence[0].AnatomicRegionModifierSequence[0].CodeValue \
                    == LATERALITY[f["laterality"]]
    masks = [case.mask(s).astype(np.uint16) for s in exp["segments"]]
    overlap = bool((np.sum(masks, axis=0) > 1).any())
    assert seg.SegmentsOverlap == ("YES" if overlap else "NO")
    if name.startswith("infarct-ctp"):
        assert overlap, "the hypoperfused region contains the core"


# ----------------------------------------------------------------------------- SR

def sr_groups(case: Case):
    sr = hd.sr.srread(str(case.results / "sr.dcm"))
    assert sr.SOPClassUID == SR_CLASS
    return sr, {str(g.tracking_uid): g for g in sr.content.get_volumetric_roi_measurement_groups()}


def referenced_segment(group) -> tuple[str, int, str]:
    """(SEG SOP instance UID, segment number, source series UID) of a TID 1411 group."""
    image, source_series = group.referenced_segment[0], group.referenced_segment[1]
    ref = image.ReferencedSOPSequence[0]
    assert ref.ReferencedSOPClassUID == SEG_CLASS
    assert source_series.ConceptNameCodeSequence[0].CodeValue == "121232"
    return str(ref.ReferencedSOPInstanceUID), int(ref.ReferencedSegmentNumber), str(source_series.UID)


def measurement_items(group) -> list[dict]:
    out = []
    for m in group.get_measurements():
        derivation = m.derivation.value if m.derivation is not None else None
        out.append({"code": (m.name.value, m.name.scheme_designator), "value": float(m.value),
                    "unit": m.unit.value, "derivation": derivation})
    return out


def assert_measurements(where: str, items: list[dict], expected: list[dict]):
    remaining = list(items)
    for e in expected:
        match = None
        for it in remaining:
            if it["unit"] != e["unit"] or not math.isclose(it["value"], e["value"], rel_tol=1e-6, abs_tol=1e-9):
                continue
            if e["name"] in DESIGN_CODES:
                code, scheme, derivation = DESIGN_CODES[e["name"]]
                if it["code"] != (code, scheme) or it["derivation"] != derivation:
                    continue
            match = it
            break
        assert match is not None, f"{where}: measurement {e} not in the SR ({remaining})"
        remaining.remove(match)
    return remaining


@pytest.mark.parametrize("name", list(CASES))
def test_sr_measurement_groups_equal_the_findings(cases, name):
    case = cases(name)
    exp = case.expected
    sr, groups = sr_groups(case)
    seg = case.written("seg")
    assert sr.StudyInstanceUID == exp["study_uid"]
    organ_code = ORGANS[exp["organ"]]
    for f in exp["findings"]:
        g = groups.get(f["tracking_uid"])
        assert g is not None, f"{name}: no measurement group for finding {f['number']}"
        segment = next(s for s in exp["segments"] if s["number"] == f["segment"])
        assert g.tracking_identifier == segment["tracking_id"]
        assert g.finding_type.value == FINDING_TYPES[f["kind"]]
        sites = g.finding_sites
        assert sites and sites[0].value.value == organ_code
        if f.get("laterality"):
            assert sites[0].laterality.value == LATERALITY[f["laterality"]]
        assert referenced_segment(g) == (seg[0]["sop_instance_uid"], f["segment"], exp["source_series_uid"])
        left = assert_measurements(f"{name} finding {f['number']}", measurement_items(g), f["measurements"])
        assert len(left) == 1 and left[0]["code"] == ("CONFIDENCE", "99AUTOSEG") \
            and math.isclose(left[0]["value"], f["confidence"], rel_tol=1e-9), left
        evaluations = g.get_qualitative_evaluations()
        assert evaluations[0].name.value == "CATEGORY"
        # One coded evaluation per assessment: Lung-RADS as its letter category, not a number.
        coded = {e.name.value: e.value.value for e in evaluations[1:]}
        assert coded == {k.upper().replace("_", "-"): f"{k.upper().replace('_', '-')}-{v}"
                         for k, v in f.get("assessments", {}).items()}, coded
    organ_volume = [m for m in exp["case_measurements"] if m["name"] == f"{exp['organ']}_volume"]
    organ_segment = next((s for s in exp["segments"] if s.get("finding_number") is None), None)
    if organ_segment and organ_volume:
        g = groups[organ_segment["tracking_uid"]]
        assert g.finding_type.value == organ_code
        assert referenced_segment(g)[1] == organ_segment["number"]
        assert_measurements(f"{name} organ", measurement_items(g), organ_volume)
    others = [m for m in exp["case_measurements"] if m not in organ_volume or organ_segment is None]
    case_groups = sr.content.get_image_measurement_groups()
    if others:
        assert len(case_groups) == 1, f"{name}: case-level numbers belong in one TID 1501 group"
        assert_measurements(f"{name} case", measurement_items(case_groups[0]), others)
    else:
        assert not case_groups
    assert len(groups) == len(exp["findings"]) + (1 if organ_segment and organ_volume else 0)


def content_codes(item) -> list[tuple[str, str, str]]:
    """(concept, value type, code value or text) of every content item, depth first."""
    out = []
    for child in getattr(item, "ContentSequence", []):
        concept = child.ConceptNameCodeSequence[0].CodeValue if "ConceptNameCodeSequence" in child else ""
        value = child.ConceptCodeSequence[0].CodeValue if child.ValueType == "CODE" else \
            getattr(child, "TextValue", "")
        out.append((concept, child.ValueType, value))
        out += content_codes(child)
    return out


def test_sr_says_so_when_nothing_was_found(cases):
    case = cases("lung-no-finding")
    items = content_codes(read(case.results / "sr.dcm"))
    assert ("121071", "CODE", "111286") in items, "Finding = No abnormality"
    assert any(c == "121106" and "found no lung nodules" in v for c, _, v in items)
    found = content_codes(read(cases("lung-axial").results / "sr.dcm"))
    assert ("121071", "CODE", "111286") not in found


def test_sr_declares_its_context(cases):
    case = cases("lung-axial")
    sr = read(case.results / "sr.dcm")
    items = content_codes(sr)
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert ("121005", "CODE", "121007") in items, "observer type: device"
    assert ("121013", "TEXT", "AutoSeg lung") in items, "device observer name"
    assert ("121058", "CODE", "25045-6") in items, "procedure reported"
    images = [c for c in items if c[1] == "IMAGE"]
    assert len(images) >= len(case.expected["source_instance_uids"])
    evidence = {str(i.ReferencedSOPInstanceUID) for s in sr.CurrentRequestedProcedureEvidenceSequence
                for r in s.ReferencedSeriesSequence for i in r.ReferencedSOPSequence}
    assert set(case.expected["source_instance_uids"]) | {case.written("seg")[0]["sop_instance_uid"]} <= evidence
    schemes = {i.CodingSchemeDesignator for i in sr.CodingSchemeIdentificationSequence}
    assert "99AUTOSEG" in schemes

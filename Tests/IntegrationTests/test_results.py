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

import json
import math
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import REPO, Orthanc

import highdicom as hd  # noqa: E402  (Tests/IntegrationTests/requirements.txt)

FIXTURE_BIN = Path(os.environ.get("RESULTS_FIXTURE_BIN", str(REPO / ".build" / "debug" / "results-fixture")))
DCIODVFY = "/usr/bin/dciodvfy"

# name -> results-fixture arguments. Geometry: anisotropic, oblique, feet-first, shuffled
# input; findings: none, one, many; truth-made and analyzer-made; a dirty source header.
CASES = {
    "lung-axial": ["--kind", "lung", "--size", "128", "--seed", "1"],
    "lung-feet-first-shuffled": ["--kind", "lung", "--size", "64", "--seed", "2", "--order", "feet-first", "--shuffle"],
    "liver-oblique-shuffled": ["--kind", "liver", "--size", "64", "--seed", "1", "--layout", "oblique", "--shuffle"],
    "liver-analyzer": ["--kind", "liver", "--size", "128", "--seed", "3", "--analyzer"],
    "infarct-anisotropic-feet-first": ["--kind", "infarct", "--size", "32", "--layout", "anisotropic",
                                       "--order", "feet-first"],
    "infarct-ctp-analyzer-oblique": ["--kind", "infarct", "--size", "32", "--ctp", "--analyzer", "--layout", "oblique"],
    "lung-no-finding": ["--kind", "lung", "--size", "64", "--findings", "none"],
    "liver-one-finding-dirty-header": ["--kind", "liver", "--size", "64", "--findings", "one", "--dirty"],
    "lung-many-findings": ["--kind", "lung", "--size", "64", "--seed", "4", "--findings", "many"],
}

# dciodvfy warnings accepted, each with its reason (see Sources/Results/README.md).
ACCEPTED_WARNINGS = [
    # Our private coding scheme (category, confidence, case numbers without a standard code);
    # declared in the SR's CodingSchemeIdentificationSequence, which dciodvfy does not consult.
    re.compile(r"Unrecognized defined term <99AUTOSEG> for value 1 of attribute <Coding Scheme Designator>"),
]

SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.34"
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"

# DESIGN §7: measurement name -> (concept code, scheme, derivation code or None).
DESIGN_CODES = {
    "volume": ("118565006", "SCT", None), "diameter": ("81827009", "SCT", None),
    "long_axis": ("103339001", "SCT", None), "short_axis": ("103340004", "SCT", None),
    "mean_hu": ("112031", "DCM", "373098007"), "sd_hu": ("112031", "DCM", "386136009"),
    "mean_adc": ("113041", "DCM", "373098007"), "sd_adc": ("113041", "DCM", "386136009"),
    "mean_rcbf_ratio": ("126397", "DCM", "373098007"), "mean_tmax": ("113084", "DCM", "373098007"),
}
FINDING_TYPES = {"nodule": "27925004", "lesion": "52988006", "core": "55641003", "hypoperfusion": "52674009"}
ORGANS = {"lung": "39607008", "liver": "10200004", "brain": "12738006"}
LATERALITY = {"right": "24028007", "left": "7771000", "bilateral": "51440002"}


class Case:
    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = root
        self.expected = json.loads((root / "expected.json").read_text())
        self.results = root / "results"

    @property
    def files(self) -> list[Path]:
        return sorted(self.results.glob("*.dcm"))

    def written(self, kind: str) -> list[dict]:
        return [w for w in self.expected["written"] if w["kind"] == kind]

    def mask(self, segment: dict) -> np.ndarray:
        dims = self.expected["dimensions"]
        return np.fromfile(self.root / segment["mask"], dtype=np.uint8).reshape(dims)

    def source_files(self) -> list[Path]:
        return [Path(p) for p in self.expected["source_files"]]


def run_fixture(args: list[str], out: Path) -> None:
    if not FIXTURE_BIN.is_file():
        pytest.fail(f"{FIXTURE_BIN} not found: build it with `swift build` in {REPO}", pytrace=False)
    res = subprocess.run([str(FIXTURE_BIN), "--out", str(out), *args], capture_output=True, text=True, timeout=170)
    assert res.returncode == 0, f"results-fixture {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"


@pytest.fixture(scope="session")
def cases(tmp_path_factory):
    """case(name) -> Case, each made once per session, on first use."""
    made: dict[str, Case] = {}

    def get(name: str) -> Case:
        if name not in made:
            root = tmp_path_factory.mktemp(f"results-{name}")
            run_fixture(CASES[name], root)
            made[name] = Case(name, root)
        return made[name]

    return get


def read(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(str(path))


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
        assert len(evaluations) == 1 and evaluations[0].name.value == "CATEGORY"
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


# ----------------------------------------------------------------------------- key images

@pytest.mark.parametrize("name", ["lung-axial", "liver-oblique-shuffled", "liver-analyzer", "lung-many-findings"])
def test_key_images_show_each_finding_on_its_largest_section(cases, name):
    case = cases(name)
    exp = case.expected
    scs = {w["finding_number"]: w for w in case.written("sc")}
    assert sorted(scs) == sorted(f["number"] for f in exp["findings"])
    uids = exp["source_instance_uids"]
    outlined = 0
    for f in exp["findings"]:
        ds = read(Path(scs[f["number"]]["path"]))
        assert ds.SOPClassUID == SC_CLASS and ds.BitsAllocated == 8 and ds.BurnedInAnnotation == "YES"
        assert ds.StudyInstanceUID == exp["study_uid"]
        mask = case.mask(next(s for s in exp["segments"] if s["number"] == f["segment"]))
        per_slice = mask.reshape(mask.shape[0], -1).sum(axis=1)
        key = int(np.argmax(per_slice))
        assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == uids[key], \
            f"{name}: key image of finding {f['number']} is not its largest cross-section"
        px = ds.pixel_array
        m = mask[key].astype(bool)
        grown = np.zeros_like(m)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                grown |= np.roll(np.roll(np.pad(m, 1), dr, 0), dc, 1)[1:-1, 1:-1]
        ring = grown & ~m
        scale = max(1, min(ds.Rows, ds.Columns) // 256)
        below = np.arange(ds.Rows)[:, None] >= 30 * scale  # under the caption box
        assert np.array_equal((px == 255) & below, ring & below), f"{name}: outline of finding {f['number']}"
        outlined += int((ring & below).sum())
    assert outlined > 0 or not exp["findings"]


# ----------------------------------------------------------------------------- patient/study

@pytest.mark.parametrize("name", ["lung-axial", "liver-one-finding-dirty-header"])
def test_results_join_the_source_study_with_clean_attributes(cases, name):
    case = cases(name)
    source = pydicom.dcmread(str(case.source_files()[0]), stop_before_pixels=True)
    dirty = name.endswith("dirty-header")
    assert bool(case.expected["dropped"]) == dirty
    for f in case.files:
        ds = pydicom.dcmread(str(f), stop_before_pixels=True)
        for kw in ("StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "StudyTime", "AccessionNumber"):
            assert ds.get(kw) == source.get(kw), f"{f.name}: {kw}"
        assert ds.SeriesInstanceUID != source.SeriesInstanceUID
        if dirty:
            assert source.PatientBirthDate == "19711332" and source.PatientSex == "X"
            assert ds.get("PatientBirthDate", "") == "" and ds.get("PatientSex", "") == ""
            assert "StudyDescription" not in ds
        else:
            assert ds.PatientBirthDate == source.PatientBirthDate and ds.StudyDescription == source.StudyDescription


def test_reruns_write_the_same_uids(cases, tmp_path):
    case = cases("lung-feet-first-shuffled")
    run_fixture(CASES["lung-feet-first-shuffled"], tmp_path)
    again = json.loads((tmp_path / "expected.json").read_text())["written"]
    key = lambda w: (w["kind"], w.get("finding_number"))
    assert sorted((key(w), w["sop_instance_uid"], w["series_instance_uid"]) for w in again) == \
        sorted((key(w), w["sop_instance_uid"], w["series_instance_uid"]) for w in case.expected["written"])
    a, b = read(case.results / "seg.dcm"), read(tmp_path / "results" / "seg.dcm")
    assert a.PixelData == b.PixelData


# ----------------------------------------------------------------------------- Orthanc

@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    o = Orthanc(tmp_path_factory.mktemp("orthanc"))
    yield o
    o.stop()


@pytest.mark.parametrize("name", ["lung-axial", "infarct-ctp-analyzer-oblique", "lung-no-finding",
                                  "liver-one-finding-dirty-header"])
def test_orthanc_stores_every_object_under_the_source_study(cases, orthanc, name):
    case = cases(name)
    sources = sorted((case.root / "source").glob("*.dcm")) + sorted((case.root / "tmax").glob("*.dcm"))
    study_ids = set()
    for f in sources + case.files:
        answer = orthanc.post_instance(f)
        assert answer.get("Status") in ("Success", "AlreadyStored"), f"{name}/{f.name}: {answer}"
        study_ids.add(answer["ParentStudy"])
    assert len(study_ids) == 1, f"{name}: results did not join the source study: {study_ids}"
    study = study_ids.pop()
    series = orthanc.get(f"/studies/{study}/series")
    modalities = sorted(s["MainDicomTags"].get("Modality", "") for s in series)
    expected = {"SR"} | ({"SEG"} if case.written("seg") else set()) | ({"OT"} if case.written("sc") else set())
    assert expected <= set(modalities), f"{name}: series in Orthanc: {modalities}"
    instances = orthanc.get(f"/studies/{study}/instances")
    assert len(instances) == len(sources) + len(case.files)
    tags = orthanc.get(f"/studies/{study}")["MainDicomTags"]
    assert tags["StudyInstanceUID"] == case.expected["study_uid"]

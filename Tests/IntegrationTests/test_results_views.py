"""The results a reader sees besides SEG and SR: the key images (each finding on its largest
section) and the patient/study attributes copied into every object. Cases in results_helpers.py."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import Orthanc

from results_helpers import cases  # noqa: F401  (the session fixture)
from results_helpers import (CASES, SC_CLASS, read, run_fixture)

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

"""JPEG 2000 (1.2.840.10008.1.2.4.90) and HTJ2K (1.2.840.10008.1.2.4.201) through the node and
`autoseg run`, with files made by real encoders (OpenJPEG's opj_compress and OpenJPH's
ojph_compress, through scripts/j2k_encode.py) from an `autoseg phantom` series:

- offline, the compressed copies give the same findings as the uncompressed series;
- storescu (each file in its own transfer syntax), pynetdicom and Orthanc (a PACS that stores
  JPEG 2000 and pushes it without transcoding) send them to the node, which stores them
  byte-identical in the syntax they came in and analyses them like the uncompressed series;
- the real TotalSegmentator CT as its archive stored it (JPEG 2000 lossless) gives the same
  findings in `autoseg run` as its JPEG-LS copy (voxel equality: DICOMTests/RealDataJ2KTests).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pydicom
import pytest

from conftest import (REPO, SUCCESS, Orthanc, associate, check_catalogued, contexts_for, rejection,
                      run_autoseg, run_storescu, status_of, storescu_failures)
from filecompare import assert_raw_dataset_equal
from pipeline_helpers import files_of, node_with, wait_jobs

ENCODER = REPO / "scripts" / "j2k_encode.py"
SYNTAXES = {"j2k": "1.2.840.10008.1.2.4.90", "htj2k": "1.2.840.10008.1.2.4.201"}
REALDATA = REPO.parent / "shared" / "realdata" / "totalseg-abdomen"
SIZE, SEED = 128, 3  # a small liver phantom: the whole file runs in about a minute of analysis


@pytest.fixture(scope="module")
def series(autoseg_bin, tmp_path_factory):
    """{"plain": uncompressed phantom folder, "j2k": its JPEG 2000 copy, "htj2k": its HTJ2K copy}."""
    root = tmp_path_factory.mktemp("jpeg2000")
    plain = root / "plain"
    res = run_autoseg(autoseg_bin, "phantom", "liver", "--out", root / "phantom", "--seed", SEED, "--size", SIZE,
                      timeout=170)
    assert res.returncode == 0, res.stderr
    plain = root / "phantom" / "ct"
    out = {"plain": plain}
    for name in SYNTAXES:
        folder = root / name
        folder.mkdir()
        for f in files_of(plain):
            subprocess.run([sys.executable, str(ENCODER), name, str(f), str(folder / f.name)], check=True,
                           capture_output=True)
        out[name] = folder
    return out


def findings_of(autoseg_bin, folder, out):
    res = run_autoseg(autoseg_bin, "run", folder, "--out", out, "--json", timeout=300)
    assert res.returncode == 0, f"autoseg run {folder} exited {res.returncode}\n{res.stderr[-3000:]}"
    return without_timings(json.loads(res.stdout)["analyses"])


def without_timings(doc):
    """The analyses of `autoseg run --json` without what differs between runs: timings and
    the output folder."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items()
                if not k.endswith("_s") and k not in ("timings", "seconds", "output")}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def test_encoded_files_are_what_they_claim(series):
    """The copies really are JPEG 2000 / HTJ2K codestreams (SOC + SIZ; HTJ2K with the CAP
    marker of Part 15) and keep every UID of the source."""
    for name, ts in SYNTAXES.items():
        for f, src in zip(files_of(series[name]), files_of(series["plain"])):
            ds, ref = pydicom.dcmread(f), pydicom.dcmread(src)
            assert ds.file_meta.TransferSyntaxUID == ts
            frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
            assert frame[:4] == b"\xff\x4f\xff\x51"
            assert (b"\xff\x50" in frame[:200]) == (name == "htj2k"), "CAP marker (Part 15) only in HTJ2K"
            assert ds.SOPInstanceUID == ref.SOPInstanceUID and ds.SeriesInstanceUID == ref.SeriesInstanceUID


def test_offline_run_gives_the_same_findings(autoseg_bin, series, tmp_path):
    reference = findings_of(autoseg_bin, series["plain"], tmp_path / "plain")
    assert reference and reference[0].get("analyzer") == "liver", reference
    for name in SYNTAXES:
        assert findings_of(autoseg_bin, series[name], tmp_path / name) == reference, name


def test_storescu_sends_jpeg2000_stored_as_sent_and_analysed(node_factory, series, tmp_path):
    node = node_with(node_factory, [])
    files = files_of(series["j2k"])
    res = run_storescu(node.port, files, calling="STORESCU", profile_dir=tmp_path)
    assert res.returncode == 0 and not storescu_failures(res), res.stdout + res.stderr
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        stored = check_catalogued(node, ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                  calling_ae="STORESCU", transfer_syntax=SYNTAXES["j2k"])
        assert_raw_dataset_equal(f, stored)
    job = wait_jobs(node, 1)[0]
    assert job["state"] == "done", f"{job}\n{node.log_tail()}"


def test_pynetdicom_sends_htj2k_stored_as_sent_and_analysed(node_factory, series):
    node = node_with(node_factory, [])
    files = files_of(series["htj2k"])
    datasets = [pydicom.dcmread(f) for f in files]
    assoc = associate(node.port, contexts_for(datasets), calling="PYSTORE")
    assert assoc.is_established, f"association refused: {rejection(assoc)}"
    try:
        assert not assoc.rejected_contexts, "HTJ2K presentation context rejected"
        statuses = [status_of(assoc.send_c_store(ds)) for ds in datasets]
    finally:
        assoc.release()
    assert statuses == [SUCCESS] * len(files), statuses
    for f, ds in zip(files, datasets):
        stored = check_catalogued(node, ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                  calling_ae="PYSTORE", transfer_syntax=SYNTAXES["htj2k"])
        assert_raw_dataset_equal(f, stored)
    job = wait_jobs(node, 1)[0]
    assert job["state"] == "done", f"{job}\n{node.log_tail()}"


def test_orthanc_pushes_jpeg2000_without_transcoding(node_factory, series, tmp_path):
    """Orthanc stores the JPEG 2000 files and pushes them: AutoSeg accepts the syntax, so
    nothing is transcoded (Orthanc 1.10 cannot transcode from .90 and failed this before)."""
    node = node_with(node_factory, [], start=False)
    orthanc = Orthanc(tmp_path / "orthanc", modalities={"autoseg": ("AUTOSEG", "127.0.0.1", node.port)})
    try:
        node.start()
        study = None
        for f in files_of(series["j2k"]):
            study = orthanc.post_instance(f)["ParentStudy"]
        job = orthanc.post("/modalities/autoseg/store", json.dumps({"Resources": [study], "Synchronous": True}).encode())
        assert job.get("FailedInstancesCount", 0) == 0, job
        rows = node.catalog().instances()
        assert len(rows) == len(files_of(series["j2k"]))
        assert {r["transfer_syntax_uid"] for r in rows.values()} == {SYNTAXES["j2k"]}
        for f in files_of(series["j2k"]):
            ds = pydicom.dcmread(f, stop_before_pixels=True)
            stored = check_catalogued(node, ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                      calling_ae="ORTHANC")
            assert_raw_dataset_equal(f, stored)
        j = wait_jobs(node, 1)[0]
        assert j["state"] == "done", f"{j}\n{node.log_tail()}"
    finally:
        orthanc.stop()



def test_real_jpeg2000_ct_gives_the_findings_of_its_jpegls_copy(autoseg_bin, tmp_path):
    """dicom-original/ is JPEG 2000 lossless with blank Study/Series/SOP Instance UIDs in its
    datasets (only the file meta has the SOP UIDs), which `autoseg run` skips ("no
    SeriesInstanceUID": UID handling is another change). A copy with the UIDs filled in (SOP
    from the file meta, study/series fixed) keeps the JPEG 2000 pixel data byte for byte, and
    must give exactly the findings of dicom/, the same series as JPEG-LS lossless."""
    original, jpegls = REALDATA / "dicom-original", REALDATA / "dicom"
    if not original.is_dir() or not jpegls.is_dir():
        pytest.skip(f"no {REALDATA}")
    fixed = tmp_path / "j2k"
    fixed.mkdir()
    for f in sorted(original.iterdir()):
        ds = pydicom.dcmread(f)
        assert ds.file_meta.TransferSyntaxUID == SYNTAXES["j2k"] and not ds.SeriesInstanceUID
        pixels = ds.PixelData
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.14.1", "1.2.826.0.1.3680043.8.498.14.1.1"
        ds.save_as(fixed / f"{f.name}.dcm")
        assert pydicom.dcmread(fixed / f"{f.name}.dcm").PixelData == pixels

    def analyses(folder, out):
        res = run_autoseg(autoseg_bin, "run", folder, "--out", out, "--json", timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
        doc = json.loads(res.stdout)["analyses"]
        identity = ("results", "series_instance_uid", "study_instance_uid", "source_series")
        return [{k: v for k, v in a.items() if k not in identity} for a in without_timings(doc)]

    got, want = analyses(fixed, tmp_path / "out-j2k"), analyses(jpegls, tmp_path / "out-jls")
    # The same liver (volume, findings or none) from both encodings.
    assert got and got[0]["analyzer"] == "liver" and got[0]["status"] == "analyzed", got
    assert any(m["name"] == "liver_volume" and m["value"] > 100 for m in got[0]["case_measurements"]), got
    assert got == want

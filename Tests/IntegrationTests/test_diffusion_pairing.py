"""MR ADC + DWI pairing on the real ISLES'22 stroke MR of ../shared/realdata (issue 13): the node
pairs the two series of one study sent with storescu into one infarct job; `autoseg run` reads
the ADC map alone (with a note), refuses to read the DWI alone, and takes the b1000 images of a
DWI series that also holds b0 images. Skipped when ../shared/realdata is absent.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from conftest import REPO, run_autoseg, wait_until
from pipeline_helpers import pacs  # noqa: F401  (the storescp PACS fixture)
from pipeline_helpers import SR_CLASS, files_of, node_with, send, series_uid, wait_delivered, wait_jobs

CASE = REPO.parent / "shared" / "realdata" / "isles22-0001"

pytestmark = pytest.mark.skipif(not CASE.exists(), reason=f"no real data at {CASE}")


def sr_texts(ds) -> list[str]:
    """Every TextValue and CodeMeaning of an SR's content tree."""
    out = []
    for item in ds.get("ContentSequence", []):
        if "TextValue" in item:
            out.append(str(item.TextValue))
        for seq in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            out += [str(c.CodeMeaning) for c in item.get(seq, [])]
        out += sr_texts(item)
    return out


def run_json(autoseg_bin, *args):
    res = run_autoseg(autoseg_bin, "run", *map(str, args), "--json", timeout=170)
    assert res.stdout.strip(), res.stderr
    return res, json.loads(res.stdout)


def test_node_pairs_adc_and_dwi_of_one_study(node_factory, pacs, tmp_path):
    """DWI (series 500) then ADC (501), as a scanner sends them, in one association: one infarct
    job keyed by the ADC map with the DWI as its second input; the SR says both volumes."""
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, files_of(CASE / "dwi") + files_of(CASE / "adc"))
    j = wait_jobs(node, 1)
    assert len(j) == 1, j
    assert j[0]["analyzer"] == "infarct" and j[0]["state"] == "done", j
    assert j[0]["series_uid"] == series_uid(CASE / "adc")
    assert j[0]["input_series"].split("\\") == [series_uid(CASE / "adc"), series_uid(CASE / "dwi")]
    assert j[0]["input_instances"] == len(files_of(CASE / "adc")) + len(files_of(CASE / "dwi"))
    wait_delivered(node)
    assert wait_until(lambda: any(pydicom.dcmread(f, stop_before_pixels=True).SOPClassUID == SR_CLASS
                                  for f in pacs.out.iterdir()), 10)
    sr = next(f for f in pacs.out.iterdir() if pydicom.dcmread(f, stop_before_pixels=True).SOPClassUID == SR_CLASS)
    text = "\n".join(sr_texts(pydicom.dcmread(sr)))
    assert "ADC<620 volume (RAPID-comparable)" in text and "Infarct core volume" in text
    assert "restricted diffusion" in text


def test_run_reads_adc_alone_and_refuses_dwi_alone(autoseg_bin, tmp_path):
    res, doc = run_json(autoseg_bin, CASE / "dwi", "--out", tmp_path / "dwi")
    assert res.returncode == 0, res.stderr
    assert doc["analyses"] == []
    assert [u["reason"] for u in doc["unanalyzed"]] == ["a DWI trace (b ≈ 1000) needs an ADC map of the same study"]

    res, doc = run_json(autoseg_bin, CASE / "adc", "--out", tmp_path / "adc")
    assert res.returncode == 0, res.stderr
    assert [a["status"] for a in doc["analyses"]] == ["analyzed"], doc["analyses"]
    findings = json.loads(next((tmp_path / "adc").glob("*/findings.json")).read_text())
    assert any("no DWI trace" in n for n in findings["notes"]), findings["notes"]
    assert findings["source_series"] == [series_uid(CASE / "adc")]


def multi_b_series(out: Path, b1000_description: str, b0_description: str, b0_first: bool = False):
    """The case's DWI as one series holding b1000 and b0 images at every position (DiffusionBValue
    per image; b0 = S(b) · exp(b · ADC), the image the trace was measured against); the b1000
    files sort first unless `b0_first`."""
    first, second = ("b", "a") if b0_first else ("a", "b")
    out.mkdir()
    adc = {float(pydicom.dcmread(f).ImagePositionPatient[2]): pydicom.dcmread(f) for f in files_of(CASE / "adc")}
    for f in files_of(CASE / "dwi"):
        trace = pydicom.dcmread(f)
        trace.SeriesDescription = b1000_description
        trace.DiffusionBValue = 1000
        trace.save_as(out / f"{first}{f.name}")
        b0 = pydicom.dcmread(f)
        a = adc[float(b0.ImagePositionPatient[2])].pixel_array.astype(np.float64)
        s0 = np.clip(b0.pixel_array * np.exp(1000 * a * 1e-6), 0, 4000).astype(b0.pixel_array.dtype)
        b0.PixelData = s0.tobytes()
        b0.SOPInstanceUID = generate_uid()
        b0.file_meta.MediaStorageSOPInstanceUID = b0.SOPInstanceUID
        b0.SeriesDescription = b0_description
        b0.DiffusionBValue = 0
        b0.InstanceNumber = int(b0.InstanceNumber) + 1000
        b0.save_as(out / f"{second}{f.name}")


def core_volume(folder: Path) -> float:
    doc = json.loads(next(folder.glob("*/findings.json")).read_text())
    return next(m["value"] for m in doc["case_measurements"] if m["name"] == "core_volume")


@pytest.mark.parametrize("b0_first", [False, True])
def test_dwi_series_with_b0_and_b1000(autoseg_bin, tmp_path, b0_first):
    """b0 and b1000 in one DWI series, each image's description naming its b-value, in either
    file order: paired, the b1000 images read (with a warning), the same core as the trace alone."""
    multi_b_series(tmp_path / "multi", "DWI b1000", "DWI b0", b0_first)
    shutil.copytree(CASE / "adc", tmp_path / "adc")
    res, doc = run_json(autoseg_bin, tmp_path / "adc", tmp_path / "multi", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert [a["status"] for a in doc["analyses"]] == ["analyzed"], doc["analyses"]
    assert "b=1000 images were used (b=0 left out)" in res.stderr, res.stderr
    res, _ = run_json(autoseg_bin, CASE, "--out", tmp_path / "plain")
    assert core_volume(tmp_path / "out") == pytest.approx(core_volume(tmp_path / "plain"))


def test_dwi_series_whose_b_values_cannot_be_told_apart(autoseg_bin, tmp_path):
    """b0 and b1000 under one description: only DiffusionBValue tells them apart, and the header
    read carries it, so the b1000 images are read with the ADC map."""
    multi_b_series(tmp_path / "multi", "ep2d_diff_3scan_trace", "ep2d_diff_3scan_trace")
    shutil.copytree(CASE / "adc", tmp_path / "adc")
    res, doc = run_json(autoseg_bin, tmp_path / "adc", tmp_path / "multi", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert [a["status"] for a in doc["analyses"]] == ["analyzed"], doc["analyses"]
    notes = json.loads(next((tmp_path / "out").glob("*/findings.json")).read_text())["notes"]
    assert "b=1000 images were used" in res.stderr, res.stderr
    assert not any("no DWI trace" in n for n in notes), notes


def test_dwi_series_with_b0_without_adc_map(autoseg_bin, tmp_path):
    """No ADC map sent, but the DWI series holds b0 beside b1000: the ADC is computed from them
    (ln(S0/S1000)/1000), the job runs keyed by the DWI, the notes say so, and the core is the one
    the scanner's ADC map gives (the b0 images here were made from it)."""
    multi_b_series(tmp_path / "multi", "DWI b1000", "DWI b0")
    res, doc = run_json(autoseg_bin, tmp_path / "multi", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert [a["status"] for a in doc["analyses"]] == ["analyzed"], doc["analyses"]
    notes = json.loads(next((tmp_path / "out").glob("*/findings.json")).read_text())["notes"]
    assert any("ADC was computed" in n for n in notes), notes
    res, _ = run_json(autoseg_bin, CASE, "--out", tmp_path / "plain")
    assert core_volume(tmp_path / "out") == pytest.approx(core_volume(tmp_path / "plain"), abs=0.3)

"""Issue 14 item 5: results of a de-identified source stay marked as such. A result derived from
de-identified images is no more identifying than they are, and PS3.15 E.1 / PS3.3 C.7.1.1 ask that
it still say so and how: PatientIdentityRemoved (0012,0062), DeidentificationMethod (0012,0063)
and DeidentificationMethodCodeSequence (0012,0064) are copied to every SEG, SR and key image.

`autoseg phantom` writes a small liver series, pydicom marks it de-identified (as a PS3.15 Basic
Profile tool would), `autoseg run` analyzes it; pydicom reads the attributes back from each result
and dciodvfy checks the objects (Patient module conditions included).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from peers import run_autoseg
from results_helpers import ACCEPTED_WARNINGS, DCIODVFY

METHOD = ["Basic Application Confidentiality Profile", "Retain Longitudinal Temporal Information Option"]
CODES = [("113100", "DCM", "Basic Application Confidentiality Profile"),
         ("113106", "DCM", "Retain Longitudinal Temporal Information Full Dates Option")]


def _mark_deidentified(folder: Path) -> int:
    count = 0
    for f in folder.rglob("*.dcm"):
        ds = pydicom.dcmread(f)
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = METHOD
        items = []
        for value, scheme, meaning in CODES:
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
            items.append(item)
        ds.DeidentificationMethodCodeSequence = items
        ds.save_as(f)
        count += 1
    return count


@pytest.fixture(scope="module")
def results(autoseg_bin, tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("deid")
    phantom, out = root / "phantom", root / "out"
    res = run_autoseg(autoseg_bin, "phantom", "liver", "--out", phantom, "--seed", 2, "--size", 96, timeout=170)
    assert res.returncode == 0, res.stderr
    assert _mark_deidentified(phantom) > 0
    res = run_autoseg(autoseg_bin, "run", phantom, "--out", out, "--analyzers", "liver", timeout=300)
    assert res.returncode == 0, f"run exited {res.returncode}\n{res.stderr[-3000:]}"
    files = sorted(out.rglob("*.dcm"))
    kinds = {f.name.split("-")[0].split(".")[0] for f in files}
    assert {"seg", "sr"} <= kinds, f"results written: {[f.name for f in files]}"
    return files


def test_results_keep_the_deidentification_attributes(results):
    for f in results:
        ds = pydicom.dcmread(f)
        assert ds.get("PatientIdentityRemoved") == "YES", f"{f.name}: PatientIdentityRemoved {ds.get('PatientIdentityRemoved')!r}"
        assert list(ds.DeidentificationMethod) == METHOD, f"{f.name}: DeidentificationMethod {ds.get('DeidentificationMethod')!r}"
        got = [(i.CodeValue, i.CodingSchemeDesignator, i.CodeMeaning) for i in ds.DeidentificationMethodCodeSequence]
        assert got == CODES, f"{f.name}: DeidentificationMethodCodeSequence {got}"


def test_results_with_deidentification_pass_dciodvfy(results):
    for f in results:
        res = subprocess.run([DCIODVFY, str(f)], capture_output=True, text=True, timeout=60)
        lines = (res.stdout + res.stderr).splitlines()
        errors = [l for l in lines if l.startswith("Error")]
        assert not errors, f"{f.name}: dciodvfy errors:\n" + "\n".join(errors)
        unexpected = [l for l in lines if l.startswith("Warning") and not any(a.search(l) for a in ACCEPTED_WARNINGS)
                      and ("Deidentification" in l or "PatientIdentityRemoved" in l or "Patient Identity" in l)]
        assert not unexpected, f"{f.name}: dciodvfy warnings on the de-identification attributes:\n" + "\n".join(unexpected)

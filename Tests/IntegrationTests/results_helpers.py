"""The cases of the results tests (test_results.py, test_results_views.py): phantom series and
their SEG/SR/key images written by `results-fixture`, once per session, with what each must hold."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import REPO


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

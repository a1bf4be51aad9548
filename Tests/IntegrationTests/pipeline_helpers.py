"""Helpers of the node's end-to-end tests (test_pipeline.py, test_node_recovery.py): phantom
source series written by `results-fixture` (Tests/ResultsFixture, built with the package;
`--findings none` so it only writes the source series), /usr/bin/storescp as the PACS, a node
with routing rules, and catalog queries.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import highdicom as hd
import pydicom
import pytest

from conftest import REPO, STORESCP, dcmtk_env, free_port, run_storescu, wait_until

FIXTURE_BIN = Path(os.environ.get("RESULTS_FIXTURE_BIN", str(REPO / ".build" / "debug" / "results-fixture")))
SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.34"
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"

RULES = [
    {"analyzer": "liver", "modality": "CT", "body_part": ["ABDOMEN"]},
    {"analyzer": "lung", "modality": "CT", "body_part": ["CHEST"]},
    {"analyzer": "infarct", "modality": "MR"},
    {"analyzer": "infarct", "modality": "CT", "image_type": "PERFUSION"},
    {"analyzer": "none"},
]



_sources: dict[tuple, Path] = {}


def source(tmp_root: Path, kind: str, size: int, seed: int, *extra: str) -> Path:
    """A phantom source series (folder with source/ and, for --ctp, tmax/), made once per session."""
    key = (kind, size, seed, extra)
    if key not in _sources:
        out = tmp_root / f"{kind}-{size}-{seed}{''.join(extra).replace('-', '_')}"
        if out.exists():
            shutil.rmtree(out)
        res = subprocess.run([str(FIXTURE_BIN), "--out", str(out), "--kind", kind, "--size", str(size), "--seed",
                              str(seed), "--findings", "none", "--no-key-images", *extra],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        _sources[key] = out
    return _sources[key]


def files_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dcm"))


def series_uid(folder: Path) -> str:
    return pydicom.dcmread(files_of(folder)[0], stop_before_pixels=True).SeriesInstanceUID


def derived_series(src: Path, out: Path, count: int, edit=None) -> str:
    """Copies of the first `count` files of `src` as a new series in `out` (new series and
    instance UIDs); `edit(i, ds)` changes each dataset. Returns the new SeriesInstanceUID."""
    out.mkdir()
    uid = pydicom.uid.generate_uid()
    for i, f in enumerate(files_of(src)[:count]):
        ds = pydicom.dcmread(f)
        ds.SeriesInstanceUID = uid
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        if edit:
            edit(i, ds)
        ds.save_as(out / f.name)
    return uid


class StoreSCP:
    """/usr/bin/storescp as the PACS: every received object lands in `out`."""

    def __init__(self, workdir: Path, ae: str = "PACS", port: int | None = None):
        self.ae = ae
        self.port = port or free_port()
        self.out = workdir / f"recv-{ae}"
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = open(workdir / f"storescp-{ae}.log", "ab")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([STORESCP, "-aet", self.ae, "-od", str(self.out), str(self.port)],
                                     stdout=self.log, stderr=self.log, env=dcmtk_env())
        time.sleep(0.3)
        assert self.proc.poll() is None, "storescp did not start"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def received(self) -> dict[str, pydicom.Dataset]:
        out = {}
        for f in self.out.iterdir():
            if f.is_file():
                try:
                    ds = pydicom.dcmread(f, stop_before_pixels=True)
                except Exception:
                    continue  # still being written
                out[ds.SOPInstanceUID] = ds
        return out


@pytest.fixture
def pacs(tmp_path):
    p = StoreSCP(tmp_path)
    yield p
    p.stop()


def node_with(node_factory, peers, start=True, **pipeline):
    config = {"pipeline": {"stable_seconds": 1, "retry_max_seconds": 2, **pipeline}}
    n = node_factory(start=False, config=config)
    n.config["peers"] = peers
    n.config["rules"] = RULES
    if start:
        n.start()
    return n


def jobs(node) -> list[dict]:
    return node.catalog().query("SELECT * FROM jobs ORDER BY id")


def wait_jobs(node, count: int, timeout: float = 120) -> list[dict]:
    assert wait_until(lambda: len([j for j in jobs(node) if j["state"] not in ("queued", "running")]) >= count,
                      timeout, 0.2), f"jobs: {jobs(node)}\n{node.log_tail()}"
    return jobs(node)


def deliveries(node) -> list[dict]:
    return node.catalog().query("SELECT * FROM deliveries ORDER BY id")


def wait_delivered(node, timeout: float = 120) -> list[dict]:
    def done():
        d = deliveries(node)
        return d and all(x["state"] == "sent" for x in d)
    assert wait_until(done, timeout, 0.2), f"deliveries: {deliveries(node)}\n{node.log_tail()}"
    return deliveries(node)


def send(node, folder_or_files, calling="PACS"):
    files = folder_or_files if isinstance(folder_or_files, list) else files_of(folder_or_files)
    res = run_storescu(node.port, files, calling=calling)
    assert res.returncode == 0, res.stdout + res.stderr


def check_seg(path: Path, source_series: str, source_files: list[Path]):
    seg = hd.seg.segread(str(path))
    assert seg.SOPClassUID == SEG_CLASS
    refs = {s.SeriesInstanceUID for s in seg.ReferencedSeriesSequence}
    assert refs == {source_series}
    src = pydicom.dcmread(source_files[0], stop_before_pixels=True)
    assert seg.StudyInstanceUID == src.StudyInstanceUID
    assert seg.PatientID == src.PatientID
    return seg

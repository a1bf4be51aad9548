"""The node end to end (issue 6): series completion, routing, persistent jobs, delivery back to
the PACS, restarts and outages. Real peers only: /usr/bin/storescu sends, /usr/bin/storescp
or Orthanc (Debian `orthanc`) receive, pynetdicom plays a slow PACS; results are read back with
highdicom.

Source series are phantoms written by `results-fixture` (Tests/ResultsFixture, built with the
package): `--findings none` so it only writes the source series (and the expected objects,
which these tests ignore).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from pynetdicom import AE, evt
from pynetdicom.sop_class import (ComprehensiveSRStorage, Comprehensive3DSRStorage, SecondaryCaptureImageStorage,
                                  SegmentationStorage)

from conftest import REPO, STORESCP, Orthanc, dcmtk_env, free_port, run_autoseg, run_storescu, wait_until

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


# ----------------------------------------------------------------------------- helpers

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


# ----------------------------------------------------------------------------- tests

def test_storescu_in_storescp_out(node_factory, pacs, tmp_path_factory):
    """A liver study sent with storescu comes back to the sender's storescp as SEG + SR + SC,
    without anyone touching anything; status, findings and the job's stage log say so."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, src / "source")
    j = wait_jobs(node, 1)
    assert [x["state"] for x in j] == ["done"], j
    assert j[0]["analyzer"] == "liver" and j[0]["rule"] == "rules[0]" and j[0]["calling_ae"] == "PACS"
    assert j[0]["input_instances"] == len(files_of(src / "source"))
    assert j[0]["findings"] >= 1
    d = wait_delivered(node)
    results = node.catalog().query("SELECT * FROM results")
    assert {r["kind"] for r in results} == {"seg", "sr", "sc"}
    assert len(d) == len(results)
    assert all(x["last_status"] == "0000" for x in d)
    assert wait_until(lambda: len(pacs.received()) == len(results), 10), pacs.received().keys()
    got = pacs.received()
    assert set(got) == {r["sop_instance_uid"] for r in results}
    seg_uid = next(r["sop_instance_uid"] for r in results if r["kind"] == "seg")
    seg_file = next(f for f in pacs.out.iterdir() if pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID == seg_uid)
    check_seg(seg_file, series_uid(src / "source"), files_of(src / "source"))
    sr_file = next(f for f in pacs.out.iterdir() if pydicom.dcmread(f, stop_before_pixels=True).SOPClassUID == SR_CLASS)
    sr = hd.sr.srread(str(sr_file))
    groups = sr.content.get_planar_roi_measurement_groups() + sr.content.get_volumetric_roi_measurement_groups()
    assert len(groups) >= 1
    # status, findings, logs
    st = run_autoseg(node.binary, "status", "--config", str(node.config_path), "--json")
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["jobs"] == {"done": 1}
    assert status["deliveries"]["sent"] == len(results) and status["deliveries"]["pending"] == 0
    fx = run_autoseg(node.binary, "findings", "--config", str(node.config_path), "--format", "json")
    assert fx.returncode == 0, fx.stderr
    findings = json.loads(fx.stdout)
    assert len(findings) == j[0]["findings"]
    assert all("patient_id" not in f for f in findings), "patient-free by default"
    assert all(f["measurements"]["volume"]["unit"] == "mL" for f in findings)
    csv = run_autoseg(node.binary, "findings", "--config", str(node.config_path), "--with-patient")
    assert csv.returncode == 0 and "patient_id" in csv.stdout.splitlines()[0]
    assert len(csv.stdout.splitlines()) == 1 + len(findings)
    log = node.log_text()
    for stage in ("load", "analyze", "encode"):
        assert f"stage={stage}" in log, stage
    assert "input_hash=" in log and "series complete: job queued" in log


def test_late_instance_reopens_the_series_and_replaces_results(node_factory, pacs, tmp_path_factory):
    """DESIGN §7a: an instance arriving after the series was analyzed re-runs it; the results
    keep their UIDs (replacing, not duplicating) and are delivered again."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    files = files_of(src / "source")
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, files[:-3])
    wait_jobs(node, 1)
    first = {r["sop_instance_uid"] for r in node.catalog().query("SELECT * FROM results")}
    wait_delivered(node)
    send(node, files[-3:])
    j = wait_jobs(node, 2)
    assert [x["state"] for x in j] == ["done", "done"], j
    assert j[1]["input_instances"] == len(files) and j[0]["input_instances"] == len(files) - 3
    assert j[0]["input_hash"] != j[1]["input_hash"]
    d = wait_delivered(node)
    second = {r["sop_instance_uid"] for r in node.catalog().query("SELECT * FROM results")}
    assert second == first, "same result UIDs: the re-run replaces"
    assert len(d) == len(first), "one delivery row per result and destination"
    assert all(x["attempts"] == 1 for x in d), d
    n_findings = node.catalog().count("findings")
    assert n_findings == j[1]["findings"], "findings replaced, not added"


def test_refused_and_failed_series_do_not_stop_the_node(node_factory, pacs, tmp_path_factory, tmp_path):
    """A series the analyzer refuses (an abdominal CT sent as chest) and one that cannot make a
    volume (mixed image sizes) end as refused / failed with the reason; the node keeps serving."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    # Refused: relabel the abdomen as a chest (too few slices/no lungs for the lung analyzer).
    chest = tmp_path / "chest"
    new_series = derived_series(src / "source", chest, 12, lambda i, ds: setattr(ds, "BodyPartExamined", "CHEST"))

    # Failed: mixed image sizes in one series.
    def shrink(i, ds):
        if i == 3:
            arr = ds.pixel_array[:64, :64].copy()
            ds.Rows, ds.Columns = arr.shape
            ds.PixelData = arr.tobytes()
    mixed = tmp_path / "mixed"
    mixed_series = derived_series(src / "source", mixed, 6, shrink)
    send(node, chest)
    send(node, mixed)
    j = wait_jobs(node, 2)
    by_series = {x["series_uid"]: x for x in j}
    assert by_series[new_series]["state"] == "refused", by_series[new_series]
    assert by_series[new_series]["reason"]
    assert by_series[mixed_series]["state"] == "failed", by_series[mixed_series]
    assert "cannot load" in by_series[mixed_series]["reason"]
    assert node.catalog().count("results") == 0
    # Still serving: a good study afterwards is analyzed and delivered.
    send(node, src / "source")
    j = wait_jobs(node, 3)
    assert j[-1]["state"] == "done"
    wait_delivered(node)
    assert node.running


def test_unrouted_series_is_stored_not_analyzed(node_factory, pacs, tmp_path, tmp_path_factory):
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    knee = tmp_path / "knee"
    derived_series(src / "source", knee, 5, lambda i, ds: setattr(ds, "BodyPartExamined", "KNEE"))
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, knee)
    assert wait_until(lambda: "stored, not analyzed" in node.log_text(), 20), node.log_tail()
    assert jobs(node) == []
    assert node.catalog().count("instances") == 5
    assert node.catalog().query("SELECT routed_through FROM series")[0]["routed_through"] is not None


def test_peer_down_then_up_is_delivered_with_backoff(node_factory, tmp_path, tmp_path_factory):
    """Nothing listens at the peer's port: deliveries stay pending with the error and back off;
    when the PACS comes up they are delivered, once each."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    port = free_port()
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": port}])
    send(node, src / "source")
    wait_jobs(node, 1)
    assert wait_until(lambda: deliveries(node) and all(d["attempts"] >= 2 for d in deliveries(node)), 30), \
        deliveries(node)
    d = deliveries(node)
    assert all(x["state"] == "pending" and x["last_error"] for x in d), d
    st = run_autoseg(node.binary, "status", "--config", str(node.config_path))
    assert "undelivered results:" in st.stdout and "attempts=" in st.stdout, st.stdout
    pacs = StoreSCP(tmp_path, port=port)
    try:
        d = wait_delivered(node, 60)
        assert len(pacs.received()) == len(d)
        assert all(x["last_status"] == "0000" for x in d)
    finally:
        pacs.stop()


class SlowPACS:
    """A pynetdicom storage SCP that takes `delay` seconds per C-STORE and records every UID."""

    def __init__(self, ae_title: str = "PACS", delay: float = 1.0):
        self.port = free_port()
        self.received: list[str] = []
        self.delay = delay
        ae = AE(ae_title=ae_title)
        for cls in (SegmentationStorage, ComprehensiveSRStorage, Comprehensive3DSRStorage, SecondaryCaptureImageStorage):
            ae.add_supported_context(cls)
        self.ae = ae
        self.server = ae.start_server(("127.0.0.1", self.port), block=False,
                                      evt_handlers=[(evt.EVT_C_STORE, self._store)])

    def _store(self, event):
        time.sleep(self.delay)
        self.received.append(event.request.AffectedSOPInstanceUID)
        return 0x0000

    def stop(self):
        self.server.shutdown()


def test_kill9_during_delivery_then_restart(node_factory, tmp_path_factory):
    """kill -9 while results are being sent: after the restart every result is delivered (at
    least once, always with the same UIDs) and every delivery ends acknowledged."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    slow = SlowPACS(delay=1.0)
    try:
        node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": slow.port}])
        send(node, src / "source")
        wait_jobs(node, 1)
        assert wait_until(lambda: len(slow.received) >= 1, 30), node.log_tail()
        node.kill9()
        results = {r["sop_instance_uid"] for r in node.catalog().query("SELECT * FROM results")}
        assert len(slow.received) < len(results), "killed mid-delivery"
        node.start()
        wait_delivered(node, 120)
        assert set(slow.received) == results
        assert {r["sop_instance_uid"] for r in node.catalog().query("SELECT * FROM results")} == results
    finally:
        slow.stop()


def test_kill9_during_analysis_then_restart(node_factory, pacs, tmp_path_factory):
    """kill -9 while a job runs: on restart it goes back to the queue, runs again and its
    results (same UIDs as a clean run would give) are delivered once."""
    src = source(tmp_path_factory.getbasetemp(), "lung", 256, 1)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, src / "source")
    assert wait_until(lambda: any(j["state"] == "running" for j in jobs(node)), 60, 0.01), jobs(node)
    node.kill9()
    assert [j["state"] for j in jobs(node)] == ["running"]
    node.start()
    assert "pipeline.jobs_requeued=1" in node.log_text()
    j = wait_jobs(node, 1, 180)
    assert [x["state"] for x in j] == ["done"], j
    assert j[0]["attempts"] == 2
    d = wait_delivered(node)
    assert wait_until(lambda: len(pacs.received()) == len(d), 10)
    assert all(x["attempts"] == 1 for x in d), "each result sent once"


def test_ctp_pair_forms_one_job_and_several_studies_run_in_parallel(node_factory, pacs, tmp_path_factory):
    """CT perfusion rCBF + Tmax of one study make one infarct job; two studies at once run on
    both workers (their run times overlap) within the memory budget."""
    base = tmp_path_factory.getbasetemp()
    ctp = source(base, "infarct", 64, 1, "--ctp")
    liver = source(base, "liver", 128, 3)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}], workers=2)
    t1 = threading.Thread(target=send, args=(node, files_of(ctp / "source") + files_of(ctp / "tmax")))
    t2 = threading.Thread(target=send, args=(node, liver / "source"))
    t1.start(); t2.start(); t1.join(); t2.join()
    j = wait_jobs(node, 2)
    assert len(j) == 2, j
    infarct = next(x for x in j if x["analyzer"] == "infarct")
    assert infarct["state"] == "done", infarct
    assert infarct["input_series"].split("\\") == [series_uid(ctp / "source"), series_uid(ctp / "tmax")]
    assert "worker=0" in node.log_text() and "worker=1" in node.log_text()
    wait_delivered(node)


def test_memory_budget_serialises_jobs(node_factory, pacs, tmp_path_factory):
    """With a 1 MB budget two jobs never run at once (a job alone always runs)."""
    base = tmp_path_factory.getbasetemp()
    a = source(base, "liver", 128, 3)
    b = source(base, "liver", 128, 4)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}],
                     workers=2, memory_mb=1)
    send(node, a / "source")
    send(node, b / "source")
    j = wait_jobs(node, 2)
    assert all(x["state"] == "done" for x in j), j
    spans = sorted((x["started_at"], x["finished_at"]) for x in j)
    # finished_at is taken after the results are recorded, so the next job may start before it;
    # the analysis itself (started_at + load + analyze + encode) must not overlap.
    first_end = spans[0][0] + sum(j[0][k] or 0 for k in ("load_seconds", "analyze_seconds", "encode_seconds"))
    assert spans[1][0] >= first_end - 0.05, (spans, j)


# ----------------------------------------------------------------------------- Orthanc as the PACS

def test_orthanc_pushes_a_study_and_gets_seg_sr_sc_back(node_factory, tmp_path, tmp_path_factory):
    """The real loop: phantom study uploaded to Orthanc, pushed by Orthanc to AutoSeg
    (/modalities/autoseg/store), SEG + SR + SC appear back in Orthanc under the same study."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    node = node_with(node_factory, [], start=False)
    orthanc = Orthanc(tmp_path / "orthanc", modalities={"autoseg": ("AUTOSEG", "127.0.0.1", node.port)})
    try:
        node.config["peers"] = [{"ae_title": "ORTHANC", "host": "127.0.0.1", "port": orthanc.dicom_port}]
        node.start()
        study_id = None
        for f in files_of(src / "source"):
            answer = orthanc.post_instance(f)
            study_id = answer["ParentStudy"]
        job = orthanc.post("/modalities/autoseg/store", json.dumps({"Resources": [study_id], "Synchronous": True}).encode())
        assert job.get("FailedInstancesCount", 0) == 0, job
        j = wait_jobs(node, 1)
        assert j[0]["state"] == "done" and j[0]["calling_ae"] == "ORTHANC", j
        wait_delivered(node)

        def modalities():
            return sorted(orthanc.get(f"/series/{s}")["MainDicomTags"].get("Modality", "")
                          for s in orthanc.get(f"/studies/{study_id}")["Series"])
        assert wait_until(lambda: modalities() == ["CT", "OT", "SEG", "SR"], 30), modalities()
        for s in orthanc.get(f"/studies/{study_id}")["Series"]:
            series = orthanc.get(f"/series/{s}")
            if series["MainDicomTags"]["Modality"] == "SEG":
                data = orthanc.get_bytes(f"/instances/{series['Instances'][0]}/file")
                (tmp_path / "seg.dcm").write_bytes(data)
                check_seg(tmp_path / "seg.dcm", series_uid(src / "source"), files_of(src / "source"))
            if series["MainDicomTags"]["Modality"] == "SR":
                data = orthanc.get_bytes(f"/instances/{series['Instances'][0]}/file")
                (tmp_path / "sr.dcm").write_bytes(data)
                sr = hd.sr.srread(str(tmp_path / "sr.dcm"))
                assert sr.StudyInstanceUID == pydicom.dcmread(files_of(src / "source")[0]).StudyInstanceUID
    finally:
        orthanc.stop()


def test_ctp_map_waits_for_its_partner(node_factory, pacs, tmp_path_factory):
    """An rCBF map alone is complete but not analyzable: it waits; its Tmax map arriving later
    forms the one infarct job (keyed by the rCBF series)."""
    ctp = source(tmp_path_factory.getbasetemp(), "infarct", 64, 1, "--ctp")
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, ctp / "source")
    assert wait_until(lambda: "waiting for the Tmax map" in node.log_text(), 20), node.log_tail()
    assert jobs(node) == []
    send(node, ctp / "tmax")
    j = wait_jobs(node, 1)
    assert len(j) == 1 and j[0]["state"] == "done", j
    assert j[0]["series_uid"] == series_uid(ctp / "source")
    assert j[0]["findings"] == 2, "core and hypoperfused region"
    wait_delivered(node)


def test_rules_test_and_findings_cli(autoseg_bin, tmp_path, tmp_path_factory):
    """`autoseg rules test` explains the routing of files with the shipped rules; `findings`
    refuses a bad --since (exit 2) and a data dir without a catalog (exit 1)."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    conf = REPO / "conf" / "autoseg.toml"
    res = run_autoseg(autoseg_bin, "rules", "test", str(src / "source"), "--config", str(conf))
    assert res.returncode == 0, res.stderr
    assert "-> liver by rules[1]" in res.stdout, res.stdout
    res = run_autoseg(autoseg_bin, "rules", "test", str(src / "source"), "--config", str(conf), "--json")
    doc = json.loads(res.stdout)
    assert doc["series"][0]["analyzer"] == "liver" and doc["series"][0]["files"] == len(files_of(src / "source"))
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run_autoseg(autoseg_bin, "rules", "test", str(empty), "--config", str(conf))
    assert res.returncode == 1 and "no DICOM series" in res.stderr
    res = run_autoseg(autoseg_bin, "findings", "--since", "yesterday", "--config", str(conf))
    assert res.returncode == 2 and "--since" in res.stderr
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[node]\ndata_dir = "{tmp_path / "nothing"}"\n')
    res = run_autoseg(autoseg_bin, "findings", "--config", str(cfg))
    assert res.returncode == 1 and "no catalog" in res.stderr


def test_http_status_and_metrics(node_factory, pacs, tmp_path_factory):
    """[http]: /health, /status (JSON, no patient identifiers) and /metrics (Prometheus text)
    reflect a study that went through the node."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    http = free_port()
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}], start=False)
    node.config["http"] = {"port": http, "host": "127.0.0.1"}
    node.start()

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    assert wait_until(lambda: get("/health")[0] == 200, 20)
    send(node, src / "source")
    wait_jobs(node, 1)
    wait_delivered(node)
    status, ctype, body = get("/status")
    assert status == 200 and ctype == "application/json"
    doc = json.loads(body)
    assert doc["jobs"] == {"done": 1}
    assert doc["ingest"]["stored"] == len(files_of(src / "source"))
    assert doc["deliveries"]["pending"] == 0 and doc["deliveries"]["sent"] >= 3
    assert doc["recent_jobs"][0]["analyzer"] == "liver"
    patient = pydicom.dcmread(files_of(src / "source")[0], stop_before_pixels=True)
    assert str(patient.PatientID) not in body and str(patient.PatientName) not in body
    status, ctype, body = get("/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    assert 'autoseg_jobs{state="done"} 1' in body
    assert f"autoseg_instances_stored_total {len(files_of(src / 'source'))}" in body
    assert 'autoseg_job_stage_seconds_sum{analyzer="liver",stage="analyze"}' in body
    try:
        get("/nope")
        raise AssertionError("unknown path answered")
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_sigterm_during_analysis_finishes_the_job_then_exits(node_factory, pacs, tmp_path_factory):
    """Graceful shutdown lets a running analysis finish and record its results (exit 0); the
    results are delivered after the next start."""
    src = source(tmp_path_factory.getbasetemp(), "lung", 256, 1)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, src / "source")
    assert wait_until(lambda: any(j["state"] == "running" for j in jobs(node)), 60, 0.01), jobs(node)
    assert node.stop() == 0, node.log_tail()
    j = jobs(node)
    assert [x["state"] for x in j] in (["done"], ["refused"]), j
    assert "pipeline stopped" in node.log_text()
    if j[0]["state"] == "done":
        node.start()
        wait_delivered(node)


def test_node_and_run_report_the_same_loader_warnings(node_factory, pacs, autoseg_bin, tmp_path, tmp_path_factory):
    """One analysis path: a series the loader accepts with a warning (irregular slice spacing)
    is reported by `autoseg run` on stderr and by the node in its log, in the same words."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    first = pydicom.dcmread(files_of(src / "source")[0], stop_before_pixels=True)
    count = len(files_of(src / "source"))

    def shift(i, ds):  # the second half 0.3 spacing further: one step of 1.3x, no gap
        if i >= count // 2:
            p = [float(x) for x in ds.ImagePositionPatient]
            ds.ImagePositionPatient = [p[0], p[1], p[2] + 0.3 * float(first.SliceThickness)]
    uneven = tmp_path / "uneven"
    uid = derived_series(src / "source", uneven, count, shift)
    run = run_autoseg(autoseg_bin, "run", str(uneven), "--out", str(tmp_path / "out"), "--no-key-images")
    assert run.returncode == 0, run.stderr
    assert "slice spacing varies" in run.stderr, run.stderr
    warning = next(line.split(": ", 1)[1] for line in run.stderr.splitlines() if "slice spacing varies" in line)

    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
    send(node, uneven)
    wait_jobs(node, 1)
    log = node.log_text()
    line = next((x for x in log.splitlines() if "series loaded with a warning" in x), None)
    assert line is not None, node.log_tail()
    assert f"load.series_uid={uid}" in line and warning in line, line

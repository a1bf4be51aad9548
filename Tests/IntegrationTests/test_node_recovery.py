"""The node end to end, continued: a PACS that is down or slow, kill -9 during analysis and
delivery, SIGTERM during an analysis, Orthanc pushing a study, the HTTP status API and the
rules/findings CLI. Real peers only (storescu, storescp, Orthanc, pynetdicom).
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import highdicom as hd
import pydicom
from pynetdicom import AE, evt
from pynetdicom.sop_class import (ComprehensiveSRStorage, Comprehensive3DSRStorage, SecondaryCaptureImageStorage,
                                  SegmentationStorage)

from conftest import REPO, Orthanc, free_port, run_autoseg, wait_until
from pipeline_helpers import pacs  # noqa: F401  (the storescp PACS fixture)
from pipeline_helpers import (StoreSCP, check_seg, deliveries, files_of, jobs, node_with, send, series_uid,
                              source, wait_delivered, wait_jobs)


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


def test_rules_test_and_findings_cli(autoseg_bin, tmp_path, tmp_path_factory):
    """`autoseg rules test` explains the routing of files with the shipped rules; `findings`
    refuses a bad --since (exit 2) and a data dir without a catalog (exit 1)."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    conf = REPO / "conf" / "autoseg.toml"
    res = run_autoseg(autoseg_bin, "rules", "test", str(src / "source"), "--config", str(conf))
    assert res.returncode == 0, res.stderr
    assert "-> liver by rules[2]" in res.stdout and "region abdomen" in res.stdout, res.stdout
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

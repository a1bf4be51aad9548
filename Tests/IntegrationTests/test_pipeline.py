"""The node end to end (issue 6): series completion, routing, persistent jobs and delivery back
to the PACS. Real peers only: /usr/bin/storescu sends, /usr/bin/storescp receives; results are
read back with highdicom. Helpers in pipeline_helpers.py; restarts, outages, Orthanc and the
HTTP API in test_node_recovery.py.
"""
from __future__ import annotations

import itertools
import json

import highdicom as hd
import pydicom

from conftest import run_autoseg, wait_until
from pipeline_helpers import pacs  # noqa: F401  (the storescp PACS fixture)
from pipeline_helpers import (SR_CLASS, check_seg, derived_series, files_of, jobs, node_with, send, series_uid,
                              source, wait_delivered, wait_jobs)


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
    # Assessments are fixed columns, empty where they do not apply (a liver lesion has no Lung-RADS).
    assert csv.stdout.splitlines()[0].split(",")[-1] == "lung_rads"
    assert all(f["assessments"] == {} for f in findings)
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


def test_ctp_pair_forms_one_job_and_several_studies_run_in_parallel(node_factory, pacs, tmp_path_factory):
    """CT perfusion rCBF + Tmax of one study make one infarct job; two studies at once run on
    both workers (their run times overlap) within the memory budget."""
    base = tmp_path_factory.getbasetemp()
    ctp = source(base, "infarct", 64, 1, "--ctp")
    liver = source(base, "liver", 128, 3)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}], workers=2)
    # Both studies interleaved in one association: their series end within milliseconds of each
    # other, so both jobs are queued in the same completion check and two idle workers take one
    # each (sent one after the other, the short infarct job could end before the second study is
    # complete, and one worker would rightly run both).
    a, c = files_of(liver / "source"), files_of(ctp / "source") + files_of(ctp / "tmax")
    send(node, [f for pair in itertools.zip_longest(a, c) for f in pair if f is not None])
    j = wait_jobs(node, 2)
    assert len(j) == 2, j
    infarct = next(x for x in j if x["analyzer"] == "infarct")
    assert infarct["state"] == "done", infarct
    assert infarct["input_series"].split("\\") == [series_uid(ctp / "source"), series_uid(ctp / "tmax")]
    first, second = sorted(j, key=lambda x: x["started_at"])
    assert second["started_at"] < first["finished_at"], f"the jobs did not overlap: {j}"
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

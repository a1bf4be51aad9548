"""`autoseg status`, configuration errors and environment overrides."""
import json
import subprocess

import pytest

import dicomgen
from conftest import (SUCCESS, associate, contexts_for, free_port, port_open, prepare,
                      rejection, run_autoseg, status_of, wait_until)


def _store_all(port, datasets, calling="CLISCU"):
    assoc = associate(port, contexts_for(datasets), calling=calling)
    assert assoc.is_established, rejection(assoc)
    try:
        sts = [status_of(assoc.send_c_store(ds)) for ds in datasets]
    finally:
        assoc.release()
    assert sts == [SUCCESS] * len(datasets), sts


def _status_json(autoseg_bin, node):
    res = run_autoseg(autoseg_bin, "status", "--config", str(node.config_path), "--json", timeout=60)
    assert res.returncode == 0, f"`autoseg status --json` exited {res.returncode}\n{res.stderr}"
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"`autoseg status --json` printed no JSON object ({e}):\n{res.stdout[:2000]}")


def _two_patients():
    ct = [prepare(d) for d in dicomgen.ct_series(3, 32, 32, seed=41)]
    mr = [prepare(d) for d in dicomgen.mr_series(2, 32, 32, seed=42)]
    assert ct[0].PatientID != mr[0].PatientID
    return ct, mr


def test_status_json_counts(node, autoseg_bin):
    ct, mr = _two_patients()
    _store_all(node.port, ct + mr)
    expected = {"patients": 2, "studies": 2, "series": 2, "instances": 5, "missing": 0}
    got = _status_json(autoseg_bin, node)  # while the node runs (WAL readers)
    assert isinstance(got, dict), got
    assert {k: got["catalog"].get(k) for k in expected} == expected, f"status --json: {got}"
    plain = run_autoseg(autoseg_bin, "status", "--config", str(node.config_path), timeout=60)
    assert plain.returncode == 0 and plain.stdout.strip(), \
        f"`autoseg status` exited {plain.returncode}, stdout {plain.stdout!r}, stderr {plain.stderr!r}"
    assert node.stop() == 0
    got = _status_json(autoseg_bin, node)  # and with the node stopped
    assert {k: got["catalog"].get(k) for k in expected} == expected, f"status --json (node stopped): {got}"


def test_status_reports_missing_after_reconcile(node, autoseg_bin):
    """Contract-implied (instances.status 'missing', status key catalog.missing): a catalogued
    file that disappeared from the spool is marked missing by the start-up reconcile."""
    ct, mr = _two_patients()
    _store_all(node.port, ct + mr)
    assert node.stop() == 0
    victim = ct[1]
    path = node.spool_path(str(victim.StudyInstanceUID), str(victim.SeriesInstanceUID),
                           str(victim.SOPInstanceUID))
    path.unlink()
    node.start()
    cat = node.catalog()
    wait_until(lambda: (cat.instance_rows(str(victim.SOPInstanceUID)) or [{}])[0].get("status") == "missing", 10)
    rows = cat.instance_rows(str(victim.SOPInstanceUID))
    assert rows and rows[0]["status"] == "missing", f"catalog row after reconcile: {rows}"
    got = _status_json(autoseg_bin, node)
    assert got["catalog"].get("missing") == 1, f"status --json after a file vanished: {got}"


@pytest.mark.parametrize("snippet,name", [
    ('[node]\nae_title = "AUTOSEG"\nbogus_key = 1\n', "bogus_key"),
    ('[node]\nport = 11112\n[nonsense_section]\nx = 1\n', "nonsense_section"),
    ('[security]\nallowed_callers = []\nallowed_caller = ["X"]\n', "allowed_caller"),
], ids=["unknown-key", "unknown-section", "near-miss-key"])
def test_serve_bad_config_exits_2(autoseg_bin, tmp_path, snippet, name):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(snippet + '\n[http]\nport = 0\n')
    proc = subprocess.Popen([str(autoseg_bin), "serve", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"`autoseg serve` with unknown key {name!r} kept running\n{err[-2000:]}")
    assert proc.returncode == 2, f"exit code {proc.returncode}, expected 2\nstderr: {err[-2000:]}"
    assert name in err, f"stderr does not name {name!r}: {err[-2000:]!r}"


def test_serve_missing_config_exits_2(autoseg_bin, tmp_path):
    res = run_autoseg(autoseg_bin, "serve", "--config", str(tmp_path / "nope.toml"), timeout=15)
    assert res.returncode == 2, f"exit code {res.returncode}, expected 2\nstderr: {res.stderr}"


def test_env_overrides_config(node_factory):
    env_port = free_port()
    node = node_factory(start=False, env={"AUTOSEG_NODE_PORT": str(env_port),
                                          "AUTOSEG_NODE_AE_TITLE": "ENVSEG"})
    file_port = node.port
    node.port = env_port  # wait for the overriding port
    node.start()
    assert not port_open(file_port), "node listens on the file's port despite AUTOSEG_NODE_PORT"
    assoc = associate(env_port, calling="PYSCU", called="ENVSEG")
    assert assoc.is_established, f"AUTOSEG_NODE_AE_TITLE=ENVSEG not applied: {rejection(assoc)}"
    assoc.release()

"""Issue 16 items 3-4: the facts an administrator needs and reload without restart.

`autoseg --version`; one node per data_dir (a second exits 1 naming the holder); a port
conflict names the port and the service; `node.host` binds the DICOM port to one address;
`autoseg echo PEERNAME` and the peer's rejection reason; `eval` exits 1 when nothing paired;
/status and `status --json` share one shape; results for a caller without a peer are listed
as undelivered with the reason; SIGHUP reloads rules and peers (an invalid file changes nothing)
and `autoseg redeliver` then sends what had no peer."""
import json
import signal
import subprocess
import urllib.request

from conftest import Node
from harness import STORESCP, free_port, wait_until
from peers import run_autoseg
from pipeline_helpers import pacs  # noqa: F401  (the storescp PACS fixture)
from pipeline_helpers import deliveries, node_with, send, source, wait_delivered, wait_jobs


def test_version_everywhere(node_factory):
    res = run_autoseg(node_factory(start=False).binary, "--version")
    assert res.returncode == 0 and res.stdout.startswith("autoseg "), res
    version = res.stdout.split()[1]
    http = free_port()
    node = node_factory(start=False, config={"http": {"port": http, "host": "127.0.0.1"}})
    node.start()
    assert f"autoseg.version={version}" in node.log_text()
    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=10).read())
    status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/status", timeout=10).read())
    assert health["version"] == version and status["version"] == version


def test_second_node_on_the_same_data_dir_exits_naming_the_first(node_factory, tmp_path):
    first = node_factory()
    second = Node(first.binary, tmp_path / "second", "second", data_dir=first.data_dir)
    second.write_config()
    res = run_autoseg(second.binary, "serve", "--config", second.config_path, timeout=60)
    assert res.returncode == 1, res
    assert "in use by another AutoSeg node" in res.stderr and f"pid {first.pid}" in res.stderr, res.stderr
    assert f"DICOM port {first.port}" in res.stderr
    assert first.running


def test_port_conflicts_name_the_port_and_the_service(node_factory, tmp_path):
    first = node_factory()
    clash = Node(first.binary, tmp_path / "dicom", "dicom", port=first.port)
    clash.write_config()
    res = run_autoseg(clash.binary, "serve", "--config", clash.config_path, timeout=60)
    assert res.returncode == 1 and f"DICOM: cannot listen on 0.0.0.0 port {first.port}: " in res.stderr, res.stderr
    http = free_port()
    holder = subprocess.Popen(["python3", "-m", "http.server", str(http), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: _listening(http), 10)
        other = Node(first.binary, tmp_path / "http", "http", config={"http": {"port": http, "host": "127.0.0.1"}})
        other.write_config()
        res = run_autoseg(other.binary, "serve", "--config", other.config_path, timeout=60)
        assert res.returncode == 1, res
        assert f"HTTP: cannot listen on 127.0.0.1 port {http}: Address already in use" in res.stderr, res.stderr
    finally:
        holder.terminate()
        holder.wait(10)


def _listening(port: int, address: str | None = None) -> bool:
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    return any(line.split()[3].endswith(f":{port}") and (address is None or line.split()[3] == f"{address}:{port}")
               for line in out.splitlines() if len(line.split()) > 3)


def test_node_host_binds_the_dicom_port_to_one_address(node_factory):
    node = node_factory(start=False, config={"node": {"host": "127.0.0.1"}})
    node.start()
    assert _listening(node.port, "127.0.0.1"), subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
    assert not _listening(node.port, "0.0.0.0")
    res = run_autoseg(node.binary, "echo", f"{node.ae_title}@127.0.0.1:{node.port}")
    assert res.returncode == 0, res


def test_echo_a_configured_peer_by_name_and_say_why_it_rejects(node_factory, tmp_path, pacs):
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}], start=False)
    cfg = node.write_config()
    res = run_autoseg(node.binary, "echo", "PACS", "--config", cfg)
    assert res.returncode == 0 and "C-ECHO PACS@127.0.0.1" in res.stdout and "success" in res.stdout, res
    res = run_autoseg(node.binary, "echo", "NOSUCHPEER", "--config", cfg)
    assert res.returncode == 2 and "configured: PACS" in res.stderr, res
    port = free_port()
    refusing = subprocess.Popen([STORESCP, "--refuse", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: _listening(port), 10)
        res = run_autoseg(node.binary, "echo", f"ANY@127.0.0.1:{port}", "--config", cfg)
        assert res.returncode == 1, res
        assert "association rejected by the peer" in res.stderr and "Rejected Permanent" in res.stderr, res.stderr
    finally:
        refusing.terminate()
        refusing.wait(10)


def test_eval_exits_1_when_nothing_paired(node_factory, tmp_path):
    binary = node_factory(start=False).binary
    for kind, seed in (("lung", 1), ("liver", 2)):
        assert run_autoseg(binary, "phantom", kind, "--out", tmp_path / kind, "--seed", seed, "--size", 64).returncode == 0
    res = run_autoseg(binary, "run", tmp_path / "liver", "--out", tmp_path / "pred", "--no-key-images")
    assert res.returncode == 0, res.stderr
    res = run_autoseg(binary, "eval", "--truth", tmp_path / "lung", "--pred", tmp_path / "pred")
    assert res.returncode == 1 and "nothing paired" in res.stderr, res


def test_undelivered_results_then_sighup_reload_and_redeliver(node_factory, pacs, tmp_path_factory):
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    http = free_port()
    node = node_with(node_factory, [], start=False)
    node.config["http"] = {"port": http, "host": "127.0.0.1"}
    node.start()
    send(node, src / "source", calling="PACS")
    wait_jobs(node, 1)
    web = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/status", timeout=10).read())
    cli = json.loads(run_autoseg(node.binary, "status", "--json", "--config", node.config_path).stdout)
    assert set(web) == set(cli), set(web) ^ set(cli)
    assert web["node"]["running"] and not cli["node"]["running"] and cli["ingest"] is None
    for doc in (web, cli):
        assert doc["deliveries"]["undelivered"] >= 3 and doc["deliveries"]["pending"] == 0
        u = doc["undelivered_results"][0]
        assert u["calling_ae"] == "PACS" and "no [[peers]] entry" in u["reason"], u
        assert doc["recent_jobs"][0]["finished_at"] and doc["recent_studies"][0]["last_received_at"]
    text = run_autoseg(node.binary, "status", "--config", node.config_path).stdout
    assert "undelivered=" in text and "no peer" in text

    # An invalid file: nothing changes, the node says why and keeps running.
    good = node.config_path.read_text()
    node.config_path.write_text(good + "\n[[peers]]\nae_title = \"PACS\"\n")
    node.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "configuration reload failed" in node.log_text(), 10), node.log_tail()
    assert node.running
    # The peer added: reloaded without a restart; redeliver plans what had no peer.
    node.config["peers"] = [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}]
    node.write_config()
    node.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "configuration reloaded" in node.log_text(), 10), node.log_tail()
    res = run_autoseg(node.binary, "redeliver", "--config", node.config_path)
    assert res.returncode == 0 and "planned for results that had no peer" in res.stdout, res
    wait_delivered(node)
    assert len(pacs.received()) == len(deliveries(node)) >= 3

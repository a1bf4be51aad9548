"""DICOM TLS on the node's SCP (security.tls = true), driven by DCMTK's own TLS peers.

A throw-away CA, a server certificate and a client certificate are made with the openssl CLI
for the module; a self-signed "rogue" client certificate stands for a peer the CA never
signed. DCMTK's echoscu/storescu use the BCP 195 non-downgrading profile by default, which
the node's BCP 195 profile accepts.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest

from conftest import (ECHOSCU, STORESCP, assert_raw_dataset_equal, assert_spool_clean, check_catalogued,
                      dcmtk_env, free_port, run_echoscu, run_storescu, storescu_failures, wait_until)

OPENSSL = "/usr/bin/openssl"


@dataclass
class Certs:
    dir: Path
    ca_crt: Path
    server_key: Path
    server_crt: Path
    client_key: Path
    client_crt: Path
    rogue_key: Path      # self-signed, not signed by the CA
    rogue_crt: Path
    pacs_key: Path       # storescp +tls as a PACS (server certificate)
    pacs_crt: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    res = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"openssl {' '.join(map(str, args))} failed: {res.stderr}"


def _leaf(d: Path, name: str, usage: str) -> tuple[Path, Path]:
    """An RSA-2048 key and a certificate for it signed by d/ca.{key,crt} (BCP 195: RSA >= 2048, SHA-256)."""
    key, csr, crt, ext = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt", d / f"{name}.ext"
    ext.write_text("basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature, keyEncipherment\n"
                   f"extendedKeyUsage = {usage}\n"
                   "subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}", cwd=d)
    _openssl("x509", "-req", "-in", csr, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", crt, "-days", "2", "-sha256", "-extfile", ext, cwd=d)
    return key, crt


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-sha256", "-subj", "/CN=AutoSeg Test CA", cwd=d)
    # the node's certificate is also its client certificate for peers with tls = true
    server_key, server_crt = _leaf(d, "server", "serverAuth, clientAuth")
    client_key, client_crt = _leaf(d, "client", "clientAuth")
    pacs_key, pacs_crt = _leaf(d, "pacs", "serverAuth")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.crt",
             "-days", "2", "-sha256", "-subj", "/CN=rogue", cwd=d)
    return Certs(d, d / "ca.crt", server_key, server_crt, client_key, client_crt, d / "rogue.key", d / "rogue.crt",
                 pacs_key, pacs_crt)


def tls_config(c: Certs, **extra) -> dict:
    return {"security": {"tls": True, "cert_file": str(c.server_crt), "key_file": str(c.server_key), **extra}}


def client_tls(c: Certs, key: Path | None = None, crt: Path | None = None) -> list[str]:
    """DCMTK client TLS options: authenticated with key+crt, trusting our CA for the server."""
    key, crt = key or c.client_key, crt or c.client_crt
    return ["+tls", str(key), str(crt), "+cf", str(c.ca_crt)]


def tls_echo(port: int, tls: list[str], calling: str = "TLSECHO") -> subprocess.CompletedProcess:
    return subprocess.run([ECHOSCU, *tls, "-aet", calling, "-aec", "AUTOSEG", "127.0.0.1", str(port)],
                          capture_output=True, text=True, env=dcmtk_env(), timeout=60)


def test_tls_echoscu(node_factory, certs):
    node = node_factory("tls", config=tls_config(certs))
    res = tls_echo(node.port, client_tls(certs))
    assert res.returncode == 0, f"echoscu over TLS failed ({res.returncode}): {res.stderr.strip()}"
    assert "dicom.tls=on" in node.log_text(), "the start-up line does not say TLS is on"


def test_tls_storescu_stores_byte_equal(node_factory, certs, ct_files):
    node = node_factory("tls", config=tls_config(certs))
    files = ct_files(4, 64, "tls")
    res = run_storescu(node.port, files, calling="TLSSTORE", extra=client_tls(certs))
    failures = storescu_failures(res)
    assert res.returncode == 0 and not failures, \
        f"storescu over TLS exited {res.returncode}; failures: {failures[:10]}\n{res.stderr[-2000:]}"
    uids = set()
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        uids.add(str(ds.SOPInstanceUID))
        stored = check_catalogued(node, str(ds.SOPInstanceUID), str(ds.StudyInstanceUID),
                                  str(ds.SeriesInstanceUID), calling_ae="TLSSTORE")
        assert_raw_dataset_equal(f, stored)
    assert len(node.catalog().instances()) == len(files)
    assert_spool_clean(node, allowed=uids)


def test_plain_dicom_to_tls_port_fails_and_node_keeps_serving(node_factory, certs):
    node = node_factory("tls", config=tls_config(certs))
    plain = run_echoscu(node.port, calling="PLAINECHO")
    assert plain.returncode != 0, "a plain (non-TLS) C-ECHO to the TLS port succeeded"
    assert node.running, f"node died after a plain connection to its TLS port\n{node.log_tail()}"
    again = tls_echo(node.port, client_tls(certs))
    assert again.returncode == 0, f"TLS echo after a failed plain one: {again.stderr.strip()}"
    assert "TLS handshake failed" in node.log_text(), "the failed handshake was not logged"


def test_ca_file_requires_a_client_certificate_from_the_ca(node_factory, certs):
    node = node_factory("tls", config=tls_config(certs, ca_file=str(certs.ca_crt)))
    anonymous = tls_echo(node.port, ["+tla", "+cf", str(certs.ca_crt)], calling="ANONTLS")
    assert anonymous.returncode != 0, "a client without a certificate was accepted although ca_file is set"
    rogue = tls_echo(node.port, client_tls(certs, certs.rogue_key, certs.rogue_crt), calling="ROGUETLS")
    assert rogue.returncode != 0, "a client certificate not signed by ca_file was accepted"
    assert node.running
    good = tls_echo(node.port, client_tls(certs), calling="GOODTLS")
    assert good.returncode == 0, f"a client with a CA-signed certificate was refused: {good.stderr.strip()}"
    log = node.log_text()
    assert "peer did not return a certificate" in log and "certificate verify failed" in log, \
        f"refusals not logged with their reason\n{node.log_tail()}"


def test_without_ca_file_client_certificates_are_not_checked(node_factory, certs):
    node = node_factory("tls", config=tls_config(certs))
    rogue = tls_echo(node.port, client_tls(certs, certs.rogue_key, certs.rogue_crt), calling="ROGUETLS")
    assert rogue.returncode == 0, f"without ca_file any client should be accepted: {rogue.stderr.strip()}"


def _start_fails(node_factory, config: dict) -> tuple[int | None, str]:
    node = node_factory("bad", start=False, config=config)
    node.start(wait=False)
    rc = node.wait_exit(30)
    return rc, node.log_text()


def _last_line(log: str) -> str:
    return [l for l in log.splitlines() if l.strip()][-1]


@pytest.mark.parametrize("problem", ["garbage", "missing", "mismatched"])
def test_bad_key_file_exits_1_naming_it(node_factory, certs, tmp_path, problem):
    if problem == "garbage":
        key = tmp_path / "garbage.key"
        key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        expect = "not an unencrypted PEM private key"
    elif problem == "missing":
        key = tmp_path / "missing.key"
        expect = "No such file or directory"
    else:
        key = certs.client_key
        expect = "does not match the certificate"
    config = tls_config(certs)
    config["security"]["key_file"] = str(key)
    rc, log = _start_fails(node_factory, config)
    assert rc == 1, f"autoseg serve with a {problem} key_file exited {rc}, expected 1\n{log[-2000:]}"
    line = _last_line(log)
    assert str(key) in line and expect in line, f"reason does not name the key file ({problem}): {line!r}"


def test_unreadable_certificate_exits_1(node_factory, certs, tmp_path):
    config = tls_config(certs)
    config["security"]["cert_file"] = str(tmp_path / "nope.crt")
    rc, log = _start_fails(node_factory, config)
    assert rc == 1, f"exited {rc}, expected 1\n{log[-2000:]}"
    assert str(tmp_path / "nope.crt") in _last_line(log)


def test_tls_without_key_file_is_a_config_error(node_factory, certs):
    rc, log = _start_fails(node_factory, {"security": {"tls": True, "cert_file": str(certs.server_crt)}})
    assert rc == 2, f"tls = true without key_file exited {rc}, expected 2 (configuration)\n{log[-2000:]}"
    assert "security.key_file" in _last_line(log)


# ----------------------------------------------------------------------------- outgoing (result delivery)

class TLSStoreSCP:
    """/usr/bin/storescp over TLS as the PACS: it requires a client certificate from our CA."""

    def __init__(self, workdir: Path, c: Certs, ae: str = "PACS"):
        self.ae, self.port = ae, free_port()
        self.out = workdir / f"recv-{ae}"
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"storescp-{ae}.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [STORESCP, "+tls", str(c.pacs_key), str(c.pacs_crt), "+cf", str(c.ca_crt), "-rc",
                 "-aet", ae, "-od", str(self.out), str(self.port)],
                stdout=log, stderr=log, env=dcmtk_env())
        time.sleep(0.3)
        assert self.proc.poll() is None, f"storescp +tls did not start: {self.log_path.read_text()}"

    def received(self) -> set[str]:
        uids = set()
        for f in self.out.iterdir():
            try:
                uids.add(str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID))
            except Exception:
                pass  # still being written
        return uids

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def test_results_are_delivered_over_tls_to_a_peer_with_tls(node_factory, certs, tmp_path, tmp_path_factory):
    """Incoming over TLS, results out over TLS: storescp +tls (client certificate required)
    receives SEG + SR + SC from the node, which authenticates with its own cert/key."""
    from pipeline_helpers import RULES, deliveries, files_of, source, wait_delivered, wait_jobs
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    pacs = TLSStoreSCP(tmp_path, certs)
    try:
        node = node_factory("tls", start=False, config={
            **tls_config(certs, ca_file=str(certs.ca_crt)),
            "pipeline": {"stable_seconds": 1, "retry_max_seconds": 2}})
        node.config["peers"] = [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port, "tls": True}]
        node.config["rules"] = RULES
        node.start()
        res = run_storescu(node.port, files_of(src / "source"), calling="PACS", extra=client_tls(certs))
        assert res.returncode == 0 and not storescu_failures(res), res.stdout + res.stderr
        assert [j["state"] for j in wait_jobs(node, 1)] == ["done"]
        d = wait_delivered(node)
        assert all(x["last_status"] == "0000" for x in d), d
        results = {r["sop_instance_uid"] for r in node.catalog().query("SELECT * FROM results")}
        assert wait_until(lambda: pacs.received() == results, 10), \
            f"storescp +tls got {pacs.received()}, expected {results}\n{pacs.log_path.read_text()[-2000:]}"
    finally:
        pacs.stop()


def test_peer_tls_checks_the_client_credentials_at_start(node_factory, certs):
    """tls = false for incoming, but a peer with tls = true: cert/key are the client
    credentials and are checked at start like the server's (exit 1 naming the file)."""
    config = {"security": {"cert_file": str(certs.server_crt), "key_file": str(certs.client_key)}}
    node = node_factory("bad", start=False, config=config)
    node.config["peers"] = [{"ae_title": "PACS", "host": "127.0.0.1", "port": 104, "tls": True}]
    node.start(wait=False)
    rc = node.wait_exit(30)
    line = _last_line(node.log_text())
    assert rc == 1 and str(certs.client_key) in line and "does not match" in line, (rc, line)


def test_a_tls_peer_is_verified_unless_marked_insecure(node_factory, certs, tmp_path, tmp_path_factory):
    """No security.ca_file: the PACS's certificate is checked against the system's CAs, so a
    PACS whose certificate they do not vouch for gets nothing (no silent man in the middle);
    `insecure = true` on the peer sends anyway and says so at start."""
    from pipeline_helpers import RULES, deliveries, files_of, source, wait_delivered, wait_jobs
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    pacs = TLSStoreSCP(tmp_path, certs)
    try:
        for insecure in (False, True):
            node = node_factory(f"verify{int(insecure)}", start=False, config={
                "security": {"cert_file": str(certs.server_crt), "key_file": str(certs.server_key)},
                "pipeline": {"stable_seconds": 1, "retry_max_seconds": 2}})
            node.config["peers"] = [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port, "tls": True,
                                     "insecure": insecure}]
            node.config["rules"] = RULES
            node.start()
            res = run_storescu(node.port, files_of(src / "source"), calling="PACS")
            assert res.returncode == 0, res.stdout + res.stderr
            assert [j["state"] for j in wait_jobs(node, 1)] == ["done"]
            if insecure:
                wait_delivered(node)
                assert "WITHOUT verifying its certificate" in node.log_text()
            else:
                assert wait_until(lambda: all(d["attempts"] > 0 for d in deliveries(node)), 30), deliveries(node)
                d = deliveries(node)
                assert all(x["state"] == "pending" and x["last_error"] for x in d), d
            node.stop()
    finally:
        pacs.stop()

"""Issue 14 item 4, visible refusals: every association that could store nothing (a private SOP
class, a DICOMDIR, a transfer syntax we do not take) or that ended in an abort (an odd-length
PDV, a peer's A-ABORT) is a warning in the log with its reason, and is counted in /metrics and
in the totals logged at stop. Peers: pynetdicom and a raw socket.
"""
from __future__ import annotations

import re
import signal
import socket
import urllib.request

import pytest

import dicomgen
from conftest import free_port, wait_until
from peers import associate
from rawpdu import a_associate_rq, accepted_contexts, c_store_rq_command, p_data, recv_pdu
from harness import DEFAULT_AE
from test_refusals import assert_still_serving

CT = str(dicomgen.CT_IMAGE_STORAGE)
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DICOMDIR = "1.2.840.10008.1.3.10"          # Media Storage Directory Storage (PS3.4 Annex F: media only)
PRIVATE = "1.2.826.0.1.3680043.8.498.77.1"  # a vendor's private SOP class
UNKNOWN_TS = "1.2.826.0.1.3680043.8.498.77.2"


@pytest.fixture
def watched(node_factory):
    """A node with its HTTP status port open (for /metrics)."""
    http = free_port()
    node = node_factory(start=False)
    node.config["http"] = {"port": http, "host": "127.0.0.1"}
    node.start()
    node.http = http
    assert wait_until(lambda: _answers(node), 10), f"no /metrics on port {http}:\n{node.log_tail()}"
    return node


def _answers(node) -> bool:
    try:
        return bool(metrics(node))
    except OSError:
        return False


def metrics(node) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{node.http}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(autoseg_[a-z_]+) ([0-9.e+]+)$", text, re.M)}


def _warning_with(node, *words: str) -> bool:
    return any("warning" in line.lower() and all(w in line for w in words) for line in node.log_text().splitlines())


@pytest.mark.parametrize("abstract,syntax,words", [
    (PRIVATE, EXPLICIT_LE, ["SOP class not supported", PRIVATE]),
    (DICOMDIR, EXPLICIT_LE, ["SOP class not supported", "MediaStorageDirectoryStorage", DICOMDIR, "DICOMDIR"]),
    (CT, UNKNOWN_TS, ["none of the proposed transfer syntaxes is supported", UNKNOWN_TS]),
], ids=["private-sop-class", "dicomdir", "unknown-transfer-syntax"])
def test_association_without_a_usable_context_is_a_counted_warning(watched, abstract, syntax, words):
    before = metrics(watched)
    assoc = associate(watched.port, [(abstract, [syntax])], calling="NOCTXSCU")
    assert not assoc.is_established or not assoc.accepted_contexts, "a context was accepted"
    if assoc.is_established:
        assoc.abort()
    assert wait_until(lambda: _warning_with(watched, "no presentation context accepted", *words), 5), \
        f"no warning naming {words}:\n{watched.log_tail()}"
    assert wait_until(lambda: metrics(watched)["autoseg_associations_rejected_total"]
                      == before["autoseg_associations_rejected_total"] + 1, 5), metrics(watched)
    after = metrics(watched)
    assert after["autoseg_presentation_contexts_rejected_total"] == before["autoseg_presentation_contexts_rejected_total"] + 1
    assert after["autoseg_associations_aborted_total"] == before["autoseg_associations_aborted_total"], \
        "an association with no usable context was counted twice (rejected and aborted)"
    assert_still_serving(watched)


def test_partly_rejected_contexts_are_a_warning_not_a_rejection(watched):
    assoc = associate(watched.port, [(CT, [EXPLICIT_LE]), (PRIVATE, [EXPLICIT_LE])], calling="HALFSCU")
    assert assoc.is_established
    assoc.release()
    assert wait_until(lambda: _warning_with(watched, "presentation contexts rejected", PRIVATE), 5), watched.log_tail()
    m = metrics(watched)
    assert m["autoseg_associations_rejected_total"] == 0 and m["autoseg_presentation_contexts_rejected_total"] == 1, m


def _odd_length_abort(port: int) -> None:
    """A C-STORE whose dataset PDV carries 7 bytes: DCMTK cannot take an odd-length fragment
    and aborts the association."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(a_associate_rq(DEFAULT_AE, "ODDSCU", [(1, CT, [EXPLICIT_LE])], max_pdu=65536))
        kind, body = recv_pdu(s)
        assert kind == 0x02 and accepted_contexts(body).get(1) == 0
        s.sendall(p_data(1, 0x03, c_store_rq_command(CT, str(dicomgen.new_uid()))))
        s.sendall(p_data(1, 0x02, b"\x08\x00\x18\x00UI\x00"))
        try:
            while recv_pdu(s)[0] != 0x07:
                pass
        except (ConnectionError, OSError):
            pass


def test_aborted_associations_are_counted_warnings(watched):
    _odd_length_abort(watched.port)
    assert wait_until(lambda: _warning_with(watched, "association aborted", "ODDSCU"), 5), watched.log_tail()
    assoc = associate(watched.port, [(CT, [EXPLICIT_LE])], calling="ABORTSCU")
    assert assoc.is_established
    assoc.abort()
    assert wait_until(lambda: _warning_with(watched, "association aborted", "ABORTSCU", "aborted by peer"), 5), \
        watched.log_tail()
    assert wait_until(lambda: metrics(watched)["autoseg_associations_aborted_total"] == 2, 5), metrics(watched)
    assert_still_serving(watched)


def test_stop_totals_count_rejections_and_aborts(watched):
    associate(watched.port, [(DICOMDIR, [EXPLICIT_LE])], calling="DIRSCU")
    assoc = associate(watched.port, [(CT, [EXPLICIT_LE])], calling="ABORTSCU")
    assoc.abort()
    assoc = associate(watched.port, calling="OTHERAE", called="NOTOURS")
    assert assoc.is_rejected
    assert wait_until(lambda: metrics(watched)["autoseg_associations_aborted_total"] == 1, 5)
    assert watched.stop(signal.SIGTERM) == 0
    stopped = [l for l in watched.log_text().splitlines() if "DICOM service stopped" in l]
    assert stopped, watched.log_tail()
    line = stopped[-1]
    for key, value in (("associations_rejected", 2), ("associations_aborted", 1), ("contexts_rejected", 1)):
        m = re.search(rf"ingest\.{key}[=:]\s*\"?(\d+)", line)
        assert m and int(m.group(1)) == value, f"{key}: expected {value} in {line}"

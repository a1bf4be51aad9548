"""Broken peers: a peer that vanishes mid-dataset (TCP close or A-ABORT) and one that sends
garbage; the node stores nothing of theirs and keeps serving others."""
import os
import socket
import time

import pytest

import dicomgen
from conftest import encode_dataset, prepare, wait_until
from rawpdu import a_associate_rq, accepted_contexts, c_store_rq_command, p_data, recv_pdu
from test_refusals import CT, EXPLICIT_LE, assert_nothing_stored, assert_still_serving


@pytest.mark.parametrize("ending", ["close", "a-abort"])
def test_peer_vanishes_mid_dataset(node, ending):
    ds = prepare(dicomgen.ct_series(1, 256, 256, seed=11)[0])  # ~128 KB dataset
    data = encode_dataset(ds, implicit=False)
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    try:
        sock.sendall(a_associate_rq("AUTOSEG", "RAWSCU", [(1, CT, [EXPLICIT_LE])]))
        kind, body = recv_pdu(sock)
        assert kind == 0x02, f"expected A-ASSOCIATE-AC (0x02), got PDU type 0x{kind:02x}"
        assert accepted_contexts(body).get(1) == 0, f"context not accepted: {accepted_contexts(body)}"
        sock.sendall(p_data(1, 0x03, c_store_rq_command(CT, str(ds.SOPInstanceUID))))
        half = data[: (len(data) // 2) & ~1]  # PDV fragments must have even lengths
        for i in range(0, len(half), 8000):
            sock.sendall(p_data(1, 0x00, half[i:i + 8000]))  # never the last fragment
        time.sleep(0.5)
        # the scenario is only valid if the node took our partial dataset as a well-formed
        # transfer in progress: it must not have answered, aborted or closed yet
        sock.setblocking(False)
        try:
            early = sock.recv(64)
        except BlockingIOError:
            early = None
        sock.setblocking(True)
        assert early is None, f"node reacted before the dataset was complete: {early!r}"
        if ending == "a-abort":
            sock.sendall(bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
    finally:
        sock.close()
    assert wait_until(lambda: not node.part_files(), 10), \
        f"*.part left in spool/.incoming 10 s after the peer vanished: {node.part_files()}"
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert node.running, "node exited after a peer vanished mid-dataset"
    assert_still_serving(node)


def test_garbage_bytes(node):
    payloads = [
        os.urandom(2048),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes([0x01, 0]) + (0x7FFFFFF0).to_bytes(4, "big") + os.urandom(100),  # absurd length
        bytes([0x04, 0]) + (20).to_bytes(4, "big") + os.urandom(20),  # P-DATA before association
    ]
    for p in payloads:
        with socket.create_connection(("127.0.0.1", node.port), timeout=10) as s:
            s.sendall(p)
            time.sleep(0.2)
    assert node.running, "node exited after garbage input"
    assert_still_serving(node)
    # a raw association that dies half-way through the association request
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as s:
        rq = a_associate_rq("AUTOSEG", "RAWSCU", [(1, CT, [EXPLICIT_LE])])
        s.sendall(rq[: len(rq) // 2])
    assert_still_serving(node, calling="AFTERSCU2")

"""One slow peer must never stop the others (issue 15, item 2).

Hostile connections (silent, a partial A-ASSOCIATE-RQ header, half a request, a request
trickled one byte at a time, a silent connection to a TLS port) come from 127.0.0.2..; the
well-behaved peer is /usr/bin/echoscu or pynetdicom from 127.0.0.1. Negotiation runs off the
accept thread under its own ARTIM deadline (acse_timeout); associations that stall, between
messages or inside a PDU, are aborted after idle_timeout; every A-ASSOCIATE-RQ gets an AC or RJ.
"""
import re
import signal
import time

import pytest

from conftest import SUCCESS, associate, pn_echo, rejection, wait_until
from hostile import (A_ABORT, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, CT, EXPLICIT_LE, VERIFICATION, Trickler,
                     closed_by_peer_within, connect, hostile, raw_association, stall, timed_echoscu,
                     wait_for_abort)
from rawpdu import a_associate_rq, accepted_contexts, recv_pdu
from test_tls import certs, client_tls, tls_config  # noqa: F401  (certs is a fixture)

ECHO_BOUND = 2.0  # seconds a well-behaved C-ECHO may take while hostile peers hold connections


def _close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


# ----------------------------------------------------------------------------- negotiation

@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["silent", "partial-header", "partial-rq", "trickle"])
def test_stalled_negotiations_do_not_delay_others(node, kind):
    """Three stalled negotiations (acse_timeout 30 s) and a well-behaved echoscu beside them."""
    if kind == "trickle":
        tricklers = [Trickler(node.port, interval=1.0) for _ in range(3)]
        for t in tricklers:
            t.start()
        socks = []
    else:
        tricklers, socks = [], [hostile(node.port, kind) for _ in range(3)]
    try:
        time.sleep(0.3)
        ok, took, out = timed_echoscu(node.port)
        print(f"\nSLOW-PEERS echo beside 3 x {kind}: {took:.3f} s")
        assert ok, f"echoscu beside 3 {kind} connections failed after {took:.1f} s: {out}"
        assert took < ECHO_BOUND, f"echoscu beside 3 {kind} connections took {took:.2f} s (bound {ECHO_BOUND} s)"
        ok2, took2, _ = timed_echoscu(node.port, calling="GOODECHO2")
        assert ok2 and took2 < ECHO_BOUND, f"second echoscu: ok={ok2}, {took2:.2f} s"
    finally:
        for t in tricklers:
            t.stop()
        _close_all(socks)
    assert node.running


@pytest.mark.timeout(60)
def test_silent_connections_to_tls_port_do_not_delay_others(node_factory, certs):  # noqa: F811
    node = node_factory("tls", config=tls_config(certs))
    socks = [hostile(node.port, "silent") for _ in range(3)]
    try:
        time.sleep(0.3)
        ok, took, out = timed_echoscu(node.port, calling="TLSECHO", tls=client_tls(certs))
        print(f"\nSLOW-PEERS TLS echo beside 3 silent connections: {took:.3f} s")
        assert ok, f"TLS echoscu beside 3 silent connections failed after {took:.1f} s: {out}"
        assert took < ECHO_BOUND, f"TLS echoscu beside 3 silent connections took {took:.2f} s"
    finally:
        _close_all(socks)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["silent", "partial-header", "trickle", "tls-silent"])
def test_acse_timeout_bounds_the_whole_negotiation(node_factory, certs, kind):  # noqa: F811
    """ARTIM: the node closes a connection whose request is not complete acse_timeout seconds
    after the connect, however slowly it keeps sending."""
    acse = 2
    config = {"node": {"acse_timeout": acse}}
    if kind == "tls-silent":
        config.update(tls_config(certs))
    node = node_factory("artim", config=config)
    if kind == "trickle":
        t = Trickler(node.port, interval=0.5)  # ~90 bytes after the header: 40 s at this pace
        t.start()
        try:
            assert wait_until(lambda: t.closed_after is not None, acse + 4, 0.05), \
                f"trickled request still open after {acse + 4} s ({t.sent} bytes sent), acse_timeout={acse}"
            took = t.closed_after
        finally:
            t.stop()
    else:
        s = hostile(node.port, "silent" if kind == "tls-silent" else kind)
        try:
            took = closed_by_peer_within(s, acse + 4)
        finally:
            s.close()
        assert took is not None, f"{kind} connection still open {acse + 4} s after connect (acse_timeout={acse})"
    print(f"\nSLOW-PEERS {kind} closed after {took:.2f} s (acse_timeout {acse} s)")
    assert acse - 0.5 <= took <= acse + 1.5, f"{kind} closed after {took:.2f} s, acse_timeout={acse}"
    assert node.running
    ok, took, out = timed_echoscu(node.port, tls=client_tls(certs) if kind == "tls-silent" else None)
    assert ok and took < ECHO_BOUND, f"echo afterwards: ok={ok} {took:.2f} s {out}"


@pytest.mark.timeout(60)
def test_negotiating_connections_hold_no_association_slot(node_factory):
    node = node_factory(config={"node": {"max_associations": 2}})
    socks = [hostile(node.port, "silent") for _ in range(4)]
    held = []
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        for i in range(2):
            a = associate(node.port, calling=f"SLOT{i}", timeout=10)
            held.append(a)
            assert a.is_established, f"association {i + 1} of max_associations=2 refused " \
                                     f"beside 4 silent connections: {rejection(a)}"
        took = time.monotonic() - t0
        assert took < ECHO_BOUND, f"two associations took {took:.2f} s beside 4 silent connections"
    finally:
        for a in held:
            if a.is_established:
                a.release()
        _close_all(socks)


@pytest.mark.timeout(60)
def test_negotiating_caps_total_and_per_host(node_factory):
    node = node_factory(config={"node": {"max_negotiating": 4, "max_negotiating_per_host": 2}})
    time.sleep(0.3)  # the harness's readiness probe (a connect and close) has been negotiated away
    socks = []
    try:
        socks += [hostile(node.port, "silent", "127.0.0.2") for _ in range(2)]
        over_host = hostile(node.port, "silent", "127.0.0.2")
        took = closed_by_peer_within(over_host, 2)
        assert took is not None and took < 1, \
            f"3rd negotiating connection from 127.0.0.2 (max_negotiating_per_host=2) not closed at once: {took}"
        socks += [hostile(node.port, "silent", "127.0.0.3") for _ in range(2)]
        over_total = hostile(node.port, "silent", "127.0.0.4")
        took = closed_by_peer_within(over_total, 2)
        assert took is not None and took < 1, \
            f"5th negotiating connection (max_negotiating=4) not closed at once: {took}"
        # the ones within the caps are still open (negotiating, acse_timeout 30 s)
        for s in socks:
            assert closed_by_peer_within(s, 0.2) is None, "a connection within the caps was closed"
        for _ in range(5):  # more over the per-host cap: one log line per source, with a count
            closed_by_peer_within(hostile(node.port, "silent", "127.0.0.2"), 2)
    finally:
        _close_all(socks)

    def refused(host):
        lines = [l for l in node.log_text().splitlines() if "connections closed" in l and f"dicom.peer={host}" in l]
        return lines, sum(int(m) for l in lines for m in re.findall(r"dicom\.connections=(\d+)", l))
    assert wait_until(lambda: refused("127.0.0.2")[1] == 6, 8), \
        f"log lines for 127.0.0.2: {refused('127.0.0.2')[0]} (expected counts summing to 6)"
    lines, _ = refused("127.0.0.2")
    assert len(lines) <= 2, f"over-cap connections from one source logged {len(lines)} times: {lines}"
    assert "max_negotiating_per_host" in lines[0], lines[0]
    assert refused("127.0.0.4")[1] == 1 and "(max_negotiating = 4)" in refused("127.0.0.4")[0][0]
    ok, took, out = timed_echoscu(node.port)
    assert ok and took < ECHO_BOUND, f"echo once the hostile connections closed: ok={ok} {took:.2f} s {out}"


# ----------------------------------------------------------------------------- idle associations

@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["between-messages", "mid-command", "mid-dataset"])
def test_idle_association_is_aborted(node_factory, where):
    idle = 2
    node = node_factory(config={"node": {"idle_timeout": idle, "acse_timeout": idle}})
    s = raw_association(node.port, "STALLSCU")
    try:
        stall(s, where)
        kind, took = wait_for_abort(s, idle + 6)
    finally:
        s.close()
    print(f"\nSLOW-PEERS stalled {where}: PDU {kind} after {took:.2f} s (idle_timeout {idle} s)")
    assert kind == A_ABORT, f"stalled {where}: expected A-ABORT within {idle + 6} s, got {kind} after {took:.1f} s"
    assert idle - 0.5 <= took <= idle + 1.5, f"stalled {where}: aborted after {took:.2f} s, idle_timeout={idle}"
    assert wait_until(lambda: not node.part_files(), 5), f"partial dataset left: {node.part_files()}"
    assert not node.spool_files(), f"something was stored: {node.spool_files()}"
    assert wait_until(lambda: "dicom.end=idle timeout" in node.log_text(), 5), "no 'idle timeout' end logged"
    assert pn_echo(node.port) == SUCCESS


@pytest.mark.timeout(60)
def test_stalled_associations_hold_slots_only_until_idle_timeout(node_factory):
    idle = 2
    node = node_factory(config={"node": {"max_associations": 4, "idle_timeout": idle}})
    stalled = [raw_association(node.port, f"STALL{i}") for i in range(4)]
    try:
        for i, s in enumerate(stalled):
            stall(s, "mid-dataset", sop_uid=f"1.2.3.4.5.6.7.8.{i + 1}")
        t0 = time.monotonic()
        fifth = associate(node.port, calling="FIFTH", timeout=10)
        answered = time.monotonic() - t0
        if fifth.is_established:
            fifth.release()
        assert rejection(fifth) == (2, 3, 2), \
            f"5th association while 4 stalled ones hold max_associations=4: {rejection(fifth)}, expected (2, 3, 2)"
        assert answered < 1, f"the 5th association's rejection took {answered:.2f} s"
        aborts = [wait_for_abort(s, idle + 4) for s in stalled]
        assert all(k == A_ABORT for k, _ in aborts), f"stalled associations: {aborts}"
        assert wait_until(lambda: pn_echo(node.port, calling="FIFTH") == SUCCESS, idle + 3, 0.2), \
            f"5th peer still locked out {idle + 3} s after the stall (idle_timeout={idle})"
        print(f"\nSLOW-PEERS 5th peer served {time.monotonic() - t0:.2f} s after 4 stalled associations "
              f"(idle_timeout {idle} s)")
    finally:
        _close_all(stalled)
    assert wait_until(lambda: not node.part_files(), 5), f"partial datasets left: {node.part_files()}"
    assert not node.spool_files()


# ----------------------------------------------------------------------------- every request answered

def _rj(body):
    return body[1], body[2], body[3]


REQUESTS = {
    # name: (called, calling, contexts, expected PDU type, expected RJ (result, source, reason) or AC contexts)
    "blank-calling-ae": ("AUTOSEG", "", [(1, VERIFICATION, [EXPLICIT_LE])], A_ASSOCIATE_RJ, (1, 1, 3)),
    "blank-called-ae": ("", "RAWSCU", [(1, VERIFICATION, [EXPLICIT_LE])], A_ASSOCIATE_RJ, (1, 1, 7)),
    "no-presentation-context": ("AUTOSEG", "RAWSCU", [], A_ASSOCIATE_RJ, (1, 1, 1)),
    "no-acceptable-context": ("AUTOSEG", "RAWSCU", [(1, "1.2.3.4.5.6", [EXPLICIT_LE]), (3, CT, ["1.2.3.9"])],
                              A_ASSOCIATE_AC, {1: 3, 3: 4}),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(REQUESTS))
def test_every_association_request_is_answered(node, case):
    called, calling, contexts, expected_kind, expected = REQUESTS[case]
    s = connect(node.port, "127.0.0.1")
    try:
        t0 = time.monotonic()
        s.sendall(a_associate_rq(called, calling, contexts))
        s.settimeout(3)
        try:
            kind, body = recv_pdu(s)
        except (TimeoutError, OSError, ConnectionError) as e:
            pytest.fail(f"{case}: no A-ASSOCIATE-AC/RJ within 3 s ({type(e).__name__})")
        took = time.monotonic() - t0
        assert took < 1, f"{case}: answered after {took:.2f} s"
        assert kind == expected_kind, f"{case}: PDU 0x{kind:02x} {body[:4].hex()}, expected 0x{expected_kind:02x}"
        if kind == A_ASSOCIATE_RJ:
            assert _rj(body) == expected, f"{case}: A-ASSOCIATE-RJ {_rj(body)}, expected {expected}"
            assert closed_by_peer_within(s, 2) is not None, f"{case}: connection left open after the RJ"
        else:
            assert accepted_contexts(body) == expected, f"{case}: context results {accepted_contexts(body)}"
            s.sendall(bytes([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]))  # A-RELEASE-RQ
            assert recv_pdu(s)[0] == 0x06, f"{case}: no A-RELEASE-RP"
    finally:
        s.close()
    assert wait_until(lambda: node.running and pn_echo(node.port) == SUCCESS, 5)


# ----------------------------------------------------------------------------- shutdown

@pytest.mark.timeout(60)
def test_sigterm_closes_negotiating_connections_at_once(node):
    socks = [hostile(node.port, "silent") for _ in range(3)]
    trickler = Trickler(node.port, interval=1.0, source="127.0.0.3")
    trickler.start()
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        node.send_signal(signal.SIGTERM)
        rc = node.wait_exit(10)
        took = time.monotonic() - t0
        assert rc == 0, f"exit code {rc} ({took:.1f} s after SIGTERM with 4 connections still negotiating)"
        assert took < 3, f"SIGTERM with 4 connections still negotiating took {took:.2f} s to exit"
        for s in socks:
            assert closed_by_peer_within(s, 1) is not None, "a negotiating connection outlived the node"
    finally:
        trickler.stop()
        _close_all(socks)

"""Slow and hostile peers over raw TCP (PS3.8 upper layer by hand), and a timed well-behaved
C-ECHO, for the slow-peer tests and bench/soak.sh.

Hostile connections can come from another loopback address (127.0.0.2, ...: all of 127/8 is
loopback on Linux), so that they count against their own per-host negotiating cap and not
against the well-behaved peer's (127.0.0.1).
"""
from __future__ import annotations

import socket
import subprocess
import threading
import time

from harness import ECHOSCU, dcmtk_env
from rawpdu import a_associate_rq, c_store_rq_command, p_data, recv_pdu

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

# PDU types (PS3.8 9.3.1)
A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_ABORT = 0x02, 0x03, 0x07


def connect(port: int, source: str = "127.0.0.2", timeout: float = 10) -> socket.socket:
    """A TCP connection to the node from `source` (a loopback address)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def hostile(port: int, kind: str, source: str = "127.0.0.2") -> socket.socket:
    """A connection that stalls the negotiation: "silent" (says nothing), "partial-header" (3 of
    the 6 bytes of a PDU header), "partial-rq" (the first half of an A-ASSOCIATE-RQ)."""
    s = connect(port, source)
    rq = a_associate_rq("AUTOSEG", "HOSTILE", [(1, VERIFICATION, [EXPLICIT_LE])])
    if kind == "partial-header":
        s.sendall(rq[:3])
    elif kind == "partial-rq":
        s.sendall(rq[: len(rq) // 2])
    elif kind != "silent":
        raise ValueError(kind)
    return s


def closed_by_peer_within(sock: socket.socket, timeout: float) -> float | None:
    """Seconds until the node closed (or reset) `sock`, reading and discarding anything it
    sends first; None if it is still open after `timeout` seconds."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return time.monotonic() - t0
        except socket.timeout:
            return None
        except OSError:
            return time.monotonic() - t0


class Trickler(threading.Thread):
    """Sends the first `head` bytes of `data` (default: an A-ASSOCIATE-RQ; 10 bytes: its whole
    PDU header and a little more) at once, then one byte every `interval` seconds until it is
    all sent, stop() is called or the node closes the connection (`closed_after` then holds
    the seconds since the start)."""

    def __init__(self, port: int, data: bytes | None = None, interval: float = 1.0,
                 source: str = "127.0.0.2", head: int = 10):
        super().__init__(daemon=True)
        self.sock = connect(port, source)
        self.data = data or a_associate_rq("AUTOSEG", "TRICKLE", [(1, VERIFICATION, [EXPLICIT_LE])])
        self.interval = interval
        self.head = head
        self.sent = 0
        self.closed_after: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        chunks = [self.data[:self.head]] + [bytes([b]) for b in self.data[self.head:]]
        for chunk in chunks:
            try:
                self.sock.sendall(chunk)
                self.sent += len(chunk)
            except OSError:
                self.closed_after = time.monotonic() - t0
                return
            if self._halt.wait(self.interval):
                return
            # a close by the node shows on the next send or as EOF here
            self.sock.setblocking(False)
            try:
                if self.sock.recv(64) == b"":
                    self.closed_after = time.monotonic() - t0
                    return
            except BlockingIOError:
                pass
            except OSError:
                self.closed_after = time.monotonic() - t0
                return
            finally:
                self.sock.setblocking(True)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.sock.close()


def timed_echoscu(port: int, calling: str = "GOODECHO", tls: list[str] | None = None,
                  timeout: float = 15) -> tuple[bool, float, str]:
    """/usr/bin/echoscu: (succeeded, seconds, output tail). A run still going after `timeout`
    seconds is killed and counts as a failure."""
    cmd = [ECHOSCU, *(tls or []), "-ta", str(int(timeout)), "-to", str(int(timeout)),
           "-aet", calling, "-aec", "AUTOSEG", "127.0.0.1", str(port)]
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, env=dcmtk_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - t0, f"echoscu still waiting after {timeout:.0f} s"
    took = time.monotonic() - t0
    return res.returncode == 0, took, (res.stdout + res.stderr).strip()[-400:]


def raw_association(port: int, calling: str, source: str = "127.0.0.2",
                    contexts=((1, CT, [EXPLICIT_LE]),)) -> socket.socket:
    """An association negotiated by hand; fails unless the node answers A-ASSOCIATE-AC."""
    s = connect(port, source)
    s.sendall(a_associate_rq("AUTOSEG", calling, list(contexts)))
    kind, body = recv_pdu(s)
    assert kind == A_ASSOCIATE_AC, f"{calling}: expected A-ASSOCIATE-AC, got PDU 0x{kind:02x} {body[:4].hex()}"
    return s


def stall(sock: socket.socket, where: str, sop_uid: str = "1.2.3.4.5.6.7.8.9") -> None:
    """Leaves an established association waiting for us: "between-messages" (nothing more),
    "mid-command" (a P-DATA-TF header promising 1000 bytes, 6 of them sent), "mid-dataset" (a
    whole C-STORE-RQ command, then a dataset P-DATA-TF promising 1000 bytes, 6 sent)."""
    def stalled(control: int) -> bytes:  # PDU header + PDV item header: 6 of the 1000 bytes
        return bytes([0x04, 0]) + (1000).to_bytes(4, "big") + (996).to_bytes(4, "big") + bytes([1, control])
    if where == "mid-command":
        sock.sendall(stalled(0x01))
    elif where == "mid-dataset":
        sock.sendall(p_data(1, 0x03, c_store_rq_command(CT, sop_uid)))
        sock.sendall(stalled(0x00))
    elif where != "between-messages":
        raise ValueError(where)


def wait_for_abort(sock: socket.socket, timeout: float) -> tuple[int | None, float]:
    """(PDU type the node sent before closing, seconds): A_ABORT when it aborted, None when it
    only closed or sent nothing within `timeout`."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    try:
        kind, _ = recv_pdu(sock)
        return kind, time.monotonic() - t0
    except (socket.timeout, ConnectionError, OSError):
        return None, time.monotonic() - t0

#!/usr/bin/env python3
"""The peers of bench/soak.sh, all at once against one node for SECONDS: hostile ones that hold
connections (silent, a partial PDU header, a request trickled a byte a second, associations
stalled inside a dataset), malformed input (garbage, partial and absurd PDUs, bursts over the
per-host negotiating cap), and well-behaved ones (/usr/bin/storescu sending a few CT files in
a loop, /usr/bin/echoscu every 0.2 s). Prints one SOAK-PEERS line per measure and writes them
as JSON to --out.

Hostile peers come from 127.0.0.2..7 (their own per-host caps), well-behaved ones from
127.0.0.1. Usage: soak_peers.py --port P --seconds S --out FILE CT_FILE...
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "IntegrationTests"))
from hostile import (CT, EXPLICIT_LE, VERIFICATION, Trickler, connect, hostile, raw_association,  # noqa: E402
                     stall)
from rawpdu import a_associate_rq, p_data  # noqa: E402

STORESCU, ECHOSCU = "/usr/bin/storescu", "/usr/bin/echoscu"
ENV = dict(os.environ, TCP_NODELAY="1")


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[str, int] = {}

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.values[key] = self.values.get(key, 0) + n


def holder(stop, counts, name, open_one, count, is_closed):
    """Keeps `count` hostile connections open; one the node closed is replaced at once."""
    conns = []
    while not stop.is_set():
        conns = [c for c in conns if not is_closed(c)]
        while len(conns) < count and not stop.is_set():
            try:
                conns.append(open_one())
                counts.add(name)
            except (OSError, AssertionError):  # refused or rejected: try again next round
                counts.add(name + "_connect_failed")
                break
        stop.wait(0.2)
    for c in conns:
        (c.stop if isinstance(c, Trickler) else c.close)()


def socket_closed(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def open_trickler(port):
    t = Trickler(port, interval=1.0, source="127.0.0.5")
    t.start()
    return t


def open_stalled(port):
    s = raw_association(port, "STALLSCU", source="127.0.0.6")
    stall(s, "mid-dataset", sop_uid=f"1.2.826.0.1.3680043.8.498.9.{random.randrange(10**9)}")
    return s


MALFORMED = {
    "garbage": lambda: os.urandom(random.randrange(1, 4096)),
    "http": lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "absurd-length": lambda: bytes([0x01, 0]) + (0x7FFFFFF0).to_bytes(4, "big") + os.urandom(64),
    "pdata-first": lambda: p_data(1, 0x03, os.urandom(40)),
    "half-rq": lambda: a_associate_rq("AUTOSEG", "BADSCU", [(1, VERIFICATION, [EXPLICIT_LE])])[:37],
    "blank-calling": lambda: a_associate_rq("AUTOSEG", "", [(1, VERIFICATION, [EXPLICIT_LE])]),
    "no-context": lambda: a_associate_rq("AUTOSEG", "BADSCU", []),
    "wrong-called": lambda: a_associate_rq("NOTUS", "BADSCU", [(1, CT, [EXPLICIT_LE])]),
    "ac-as-rq": lambda: bytes([0x02]) + a_associate_rq("AUTOSEG", "BADSCU", [(1, CT, [EXPLICIT_LE])])[1:],
}


def malformed(stop, counts, port):
    kinds = list(MALFORMED)
    while not stop.is_set():
        kind = random.choice(kinds + ["cap-burst"])
        try:
            if kind == "cap-burst":  # more than max_negotiating_per_host at once from one source
                burst = [connect(port, "127.0.0.7") for _ in range(8)]
                time.sleep(0.05)
                for s in burst:
                    s.close()
            else:
                with connect(port, "127.0.0.4", timeout=2) as s:
                    s.sendall(MALFORMED[kind]())
                    s.settimeout(0.3)
                    try:
                        s.recv(4096)
                    except (socket.timeout, OSError):
                        pass
            counts.add("malformed_" + kind)
        except OSError:
            counts.add("malformed_connect_failed")
        stop.wait(0.05)


def echo_loop(stop, port, latencies, failures):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            res = subprocess.run([ECHOSCU, "-ta", "10", "-to", "10", "-aet", "SOAKECHO", "-aec", "AUTOSEG",
                                  "127.0.0.1", str(port)], capture_output=True, text=True, env=ENV, timeout=15)
            ok = res.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        took = time.monotonic() - t0
        (latencies if ok else failures).append(took)
        stop.wait(max(0.0, 0.2 - took))


def store_loop(stop, counts, port, files):
    while not stop.is_set():
        res = subprocess.run([STORESCU, "-v", "-R", "-nh", "-aet", "SOAKSTORE", "-aec", "AUTOSEG", "127.0.0.1",
                              str(port), *map(str, files)], capture_output=True, text=True, env=ENV, timeout=120)
        out = res.stdout + res.stderr
        counts.add("stores_sent", len(files))
        counts.add("stores_acknowledged", sum(1 for l in out.splitlines()
                                              if "Received Store Response" in l and "Success" in l))
        if res.returncode != 0:
            counts.add("storescu_failed_runs")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("files", nargs="+", type=Path)
    a = ap.parse_args()
    random.seed(15)  # fixed: the same mix of malformed input every run
    stop, counts = threading.Event(), Counter()
    latencies: list[float] = []
    failures: list[float] = []
    port = a.port
    threads = [
        threading.Thread(target=holder, args=(stop, counts, "silent", lambda: hostile(port, "silent", "127.0.0.2"),
                                              3, socket_closed)),
        threading.Thread(target=holder, args=(stop, counts, "partial_header",
                                              lambda: hostile(port, "partial-header", "127.0.0.3"), 2, socket_closed)),
        threading.Thread(target=holder, args=(stop, counts, "trickled", lambda: open_trickler(port), 2,
                                              lambda t: t.closed_after is not None or not t.is_alive())),
        threading.Thread(target=holder, args=(stop, counts, "stalled_associations", lambda: open_stalled(port), 2,
                                              socket_closed)),
        threading.Thread(target=malformed, args=(stop, counts, port)),
        threading.Thread(target=store_loop, args=(stop, counts, port, a.files)),
        threading.Thread(target=echo_loop, args=(stop, port, latencies, failures)),
    ]
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(a.seconds)
    stop.set()
    for t in threads:
        t.join(30)
    lat = sorted(latencies)
    result = {
        "echo_ok": len(lat), "echo_failed": len(failures),
        "echo_worst_s": round(max(lat + failures), 3) if lat or failures else None,
        "echo_median_s": round(statistics.median(lat), 3) if lat else None,
        "echo_p99_s": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3) if lat else None,
        **dict(sorted(counts.values.items())),
    }
    a.out.write_text(json.dumps(result, indent=1))
    print("SOAK-PEERS " + " ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end latency of the node (issue 6): the last instance acknowledged → every result
acknowledged by the PACS, minus stable_seconds, per analyzer, with the stage breakdown.

    python3 bench/e2e/e2e.py [--stable 1] [--rounds 3] [--autoseg .build/release/autoseg]

For each analyzer a phantom study (lung: full-size chest CT, ~300 slices 512×512; liver:
full-size abdominal CT; infarct: brain ADC map) is written once with `autoseg phantom`, then
sent by /usr/bin/storescu to a release `autoseg serve` whose [[peers]] PACS is
/usr/bin/storescp. Times come from the node's catalog (jobs.started_at/finished_at and stage
seconds, deliveries.sent_at) and the wall clock when storescu returned.

Prints one line per analyzer (median over rounds):
    ANALYZER lung latency_s=… load_s=… analyze_s=… encode_s=… send_s=… wait_s=… target_ratio=…
where wait_s is the time from the completion deadline (last instance + stable_seconds) to
the job's start (the completion check's tick), send_s the time from the job's end to the last
acknowledgement, and target_ratio = latency / 3 s (issue 6's target for the chest CT).
Then the throughput with 4 studies (lung, liver, infarct, liver) sent together:
    THROUGHPUT studies=4 wall_s=… per_study_s=… serial_sum_s=… speedup=…
where wall_s runs from the first send to the last acknowledgement (transfer and
stable_seconds included), serial_sum_s is the sum of the same wall times of the single
studies measured above (the reference from the same run) and speedup = serial_sum_s / wall_s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STORESCU = "/usr/bin/storescu"
STORESCP = "/usr/bin/storescp"
PHANTOMS = {  # analyzer -> (phantom kind, seed, size, folder)
    "lung": ("lung", 1001, 512, "ct"),
    "liver": ("liver", 1001, 512, "ct"),
    "infarct": ("infarct", 1001, 256, "adc"),
}


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port: int, timeout: float = 30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def query(db: Path, sql: str, params=()):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def phantom(autoseg: str, cache: Path, analyzer: str) -> list[Path]:
    kind, seed, size, folder = PHANTOMS[analyzer]
    out = cache / f"{kind}-{seed}-{size}"
    if not (out / "truth.json").exists():
        subprocess.run([autoseg, "phantom", kind, "--out", str(out), "--seed", str(seed), "--size", str(size)],
                       check=True, stdout=subprocess.DEVNULL)
    return sorted((out / folder).glob("*.dcm"))


class Node:
    def __init__(self, autoseg: str, work: Path, pacs_port: int, stable: float):
        self.port = free_port()
        self.data = work / "data"
        self.db = self.data / "autoseg.sqlite"
        cfg = work / "node.toml"
        cfg.write_text(f"""
[node]
ae_title = "AUTOSEG"
port = {self.port}
data_dir = "{self.data}"
min_free_mb = 0
[pipeline]
stable_seconds = {stable}
[http]
port = 0
[[peers]]
ae_title = "PACS"
host = "127.0.0.1"
port = {pacs_port}
""")
        self.log = open(work / "node.log", "wb")
        env = dict(os.environ, TCP_NODELAY="1")
        self.proc = subprocess.Popen([autoseg, "serve", "--config", str(cfg)], stdout=self.log, stderr=self.log, env=env)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def send(port: int, files: list[Path]) -> float:
    """storescu over one association; returns the wall clock when the last store was acknowledged."""
    subprocess.run([STORESCU, "-aet", "PACS", "-aec", "AUTOSEG", "127.0.0.1", str(port), *map(str, files)],
                   check=True, env=dict(os.environ, TCP_NODELAY="1"), stdout=subprocess.DEVNULL)
    return time.time()


def wait_job_delivered(db: Path, series_uid: str, after: float, timeout: float = 600) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if db.exists():
            rows = query(db, "SELECT * FROM jobs WHERE series_uid = ? AND created_at >= ? ORDER BY id DESC LIMIT 1",
                         (series_uid, after))
            if rows and rows[0]["state"] in ("failed", "refused"):
                raise SystemExit(f"job {rows[0]['id']} {rows[0]['state']}: {rows[0]['reason']}")
            if rows and rows[0]["state"] == "done":
                d = query(db, """SELECT d.state, d.sent_at FROM deliveries d JOIN results r ON r.sop_instance_uid = d.result_uid
                                 WHERE r.source_series_uid = ?""", (series_uid,))
                if d and all(x["state"] == "sent" and x["sent_at"] and x["sent_at"] >= rows[0]["finished_at"] - 0.5
                             for x in d):
                    job = rows[0]
                    job["last_sent"] = max(x["sent_at"] for x in d)
                    job["objects"] = len(d)
                    return job
        time.sleep(0.02)
    raise SystemExit(f"no delivered job for {series_uid} within {timeout} s")


def series_uid(f: Path) -> str:
    import pydicom
    return pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--autoseg", default=str(REPO / ".build/release/autoseg"))
    ap.add_argument("--stable", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--analyzers", default="lung,liver,infarct")
    args = ap.parse_args()
    cache = REPO / "bench/out/e2e"
    cache.mkdir(parents=True, exist_ok=True)
    analyzers = args.analyzers.split(",")
    studies = {a: phantom(args.autoseg, cache, a) for a in analyzers}
    for a, files in studies.items():
        print(f"# {a}: {len(files)} instances, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB", file=sys.stderr)
        for f in files:
            f.read_bytes()  # page cache: measure the node, not the disk
    work = Path(tempfile.mkdtemp(prefix="autoseg-e2e-"))
    pacs_port = free_port()
    (work / "pacs").mkdir()
    # TCP_NODELAY: DCMTK leaves Nagle on otherwise and every C-STORE response of the PACS
    # stand-in would wait ~40 ms for a delayed ACK (shared/DCMTK_NOTES.md).
    pacs = subprocess.Popen([STORESCP, "-aet", "PACS", "-od", str(work / "pacs"), str(pacs_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, TCP_NODELAY="1"))
    time.sleep(0.3)
    node = Node(args.autoseg, work, pacs_port, args.stable)
    single = {}
    try:
        for a in analyzers:
            rows = []
            uid = series_uid(studies[a][0])
            for r in range(args.rounds):
                start = time.time()
                acked = send(node.port, studies[a])
                job = wait_job_delivered(node.db, uid, acked)  # a job created after the last ack: this round's
                latency = job["last_sent"] - acked - args.stable
                wait = job["started_at"] - (acked + args.stable)
                rows.append(dict(wall=job["last_sent"] - start, latency=latency, load=job["load_seconds"], analyze=job["analyze_seconds"],
                                 encode=job["encode_seconds"], send=job["last_sent"] - job["finished_at"], wait=wait,
                                 objects=job["objects"]))
                print(f"# {a} round {r + 1}: latency {latency:.2f} s ({job['objects']} objects)", file=sys.stderr)
            med = {k: statistics.median(x[k] for x in rows) for k in rows[0]}
            single[a] = med["wall"]
            print(f"ANALYZER {a} latency_s={med['latency']:.3f} load_s={med['load']:.3f} analyze_s={med['analyze']:.3f} "
                  f"encode_s={med['encode']:.3f} send_s={med['send']:.3f} wait_s={med['wait']:.3f} "
                  f"target_ratio={med['latency'] / 3.0:.2f}", flush=True)
        # Throughput: four studies at once (each a fresh study: new UIDs via dcmodify would
        # change the input; re-sending the same studies re-opens them, which is the same work).
        mix = [a for a in ["lung", "liver", "infarct", "liver"] if a in analyzers]
        if {"lung", "liver", "infarct"} <= set(analyzers):
            extra = {}
            if mix.count("liver") > 1:
                kind, seed, size, folder = PHANTOMS["liver"]
                out = cache / f"{kind}-{seed + 1}-{size}"
                if not (out / "truth.json").exists():
                    subprocess.run([args.autoseg, "phantom", kind, "--out", str(out), "--seed", str(seed + 1), "--size",
                                    str(size)], check=True, stdout=subprocess.DEVNULL)
                extra["liver2"] = sorted((out / folder).glob("*.dcm"))
            sets = [studies["lung"], studies["liver"], studies["infarct"], extra.get("liver2", studies["liver"])][:len(mix)]
            uids = [series_uid(s[0]) for s in sets]
            start = time.time()
            threads = [threading.Thread(target=send, args=(node.port, s)) for s in sets]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            jobs = [wait_job_delivered(node.db, u, start) for u in set(uids)]
            wall = max(j["last_sent"] for j in jobs) - start
            serial = sum(single[a] for a in mix)
            print(f"THROUGHPUT studies={len(set(uids))} wall_s={wall:.3f} per_study_s={wall / len(set(uids)):.3f} "
                  f"serial_sum_s={serial:.3f} speedup={serial / wall:.2f}", flush=True)
    finally:
        node.stop()
        pacs.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Fixtures and helpers for AutoSeg's real-peer integration tests.

The node under test is the `autoseg` executable (AUTOSEG_BIN, default
<repo>/.build/debug/autoseg). Every test starts its own node on a free port with its own
data directory; the node's stderr goes to a log file whose tail is attached to the report
of a failing test.

DCMTK tools are always called by absolute path (/usr/bin/...): PATH may hold Python shims
with the same names.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import dicomgen  # noqa: E402

import pydicom  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian  # noqa: E402
from pynetdicom import AE, build_context  # noqa: E402
from pynetdicom.sop_class import Verification  # noqa: E402

STORESCU = "/usr/bin/storescu"
ECHOSCU = "/usr/bin/echoscu"
STORESCP = "/usr/bin/storescp"

DEFAULT_AE = "AUTOSEG"
READY_TIMEOUT = 20.0

# Statuses of the contract (DESIGN §6 + brief).
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
DATASET_MISMATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000


# ----------------------------------------------------------------------------- basics

def autoseg_bin_path() -> Path:
    return Path(os.environ.get("AUTOSEG_BIN", str(REPO / ".build" / "debug" / "autoseg")))


def dcmtk_env(**extra: str) -> dict[str, str]:
    """Environment for DCMTK tools: Nagle off (DCMTK leaves it on otherwise, ~40 ms/store)."""
    env = dict(os.environ)
    env["TCP_NODELAY"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port that is free on all addresses right now (DCMTK binds 0.0.0.0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_exit(proc: subprocess.Popen, timeout: float) -> int | None:
    """The exit code of `proc`, or None if it is still running after `timeout` seconds."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the ASCII we use
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def render_toml(config: dict[str, Any]) -> str:
    """Tables for dict values, arrays of tables ([[peers]], [[rules]]) for lists of dicts."""
    lines = []
    for section, values in config.items():
        entries = values if isinstance(values, list) else [values]
        for entry in entries:
            lines.append(f"[[{section}]]" if isinstance(values, list) else f"[{section}]")
            for key, value in entry.items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- catalog

class Catalog:
    """Read-only view of data_dir/autoseg.sqlite (a fresh connection per query, so no WAL
    snapshot or lock is held between queries while the node writes)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        if not self.path.exists():
            raise AssertionError(f"catalog {self.path} does not exist")
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql, tuple(params)).fetchall()]
        finally:
            con.close()

    def columns(self, table: str) -> list[str]:
        return [r["name"] for r in self.query(f"PRAGMA table_info({table})")]

    def instances(self) -> dict[str, dict[str, Any]]:
        """sop_instance_uid -> row; fails if a UID appears twice (re-sends must replace)."""
        rows = self.query("SELECT * FROM instances")
        by_uid: dict[str, dict[str, Any]] = {}
        for r in rows:
            uid = r["sop_instance_uid"]
            assert uid not in by_uid, f"instance {uid} catalogued twice: {by_uid[uid]} / {r}"
            by_uid[uid] = r
        return by_uid

    def instance_rows(self, sop_uid: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM instances WHERE sop_instance_uid = ?", (sop_uid,))

    def count(self, table: str, where: str = "", params: Iterable[Any] = ()) -> int:
        sql = f"SELECT COUNT(*) AS n FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.query(sql, params)[0]["n"])


# ----------------------------------------------------------------------------- node

class NodeStartError(AssertionError):
    pass


class Node:
    """One `autoseg serve` process with its own config, port and data directory."""

    def __init__(self, binary: Path, workdir: Path, name: str = "node", *,
                 port: int | None = None, data_dir: Path | None = None,
                 ae_title: str = DEFAULT_AE, config: dict[str, dict[str, Any]] | None = None,
                 env: dict[str, str] | None = None):
        self.binary = Path(binary)
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ae_title = ae_title
        self.config_path = self.workdir / f"{name}.toml"
        self.log_path = self.workdir / f"{name}.log"
        self.extra_env = dict(env or {})
        self.config: dict[str, dict[str, Any]] = {
            "node": {
                "ae_title": ae_title,
                "port": self.port,
                "data_dir": str(self.data_dir),
                "max_associations": 16,
                "max_pdu": 131072,
                "min_free_mb": 0,
                "acse_timeout": 30,
                "idle_timeout": 60,
                "shutdown_grace": 10,
            },
            "security": {"allowed_callers": []},
            "pipeline": {"stable_seconds": 10},
            "http": {"port": 0},
        }
        for section, values in (config or {}).items():
            self.config.setdefault(section, {}).update(values)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    # -- lifecycle
    def write_config(self) -> Path:
        self.config_path.write_text(render_toml(self.config))
        return self.config_path

    def start(self, wait: bool = True, timeout: float = READY_TIMEOUT) -> "Node":
        assert self.proc is None or self.proc.poll() is not None, "node already running"
        self.write_config()
        self.starts += 1
        env = dict(os.environ)
        env.update(self.extra_env)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start #{self.starts}: {self.binary} serve --config "
                      f"{self.config_path} (port {self.port}) =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [str(self.binary), "serve", "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=self.workdir)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise NodeStartError(f"autoseg serve exited with {rc} before accepting connections "
                                     f"on port {self.port}\n--- log tail ---\n{self.log_tail()}")
            if port_open(self.port):
                return
            time.sleep(0.1)
        raise NodeStartError(f"autoseg serve did not accept connections on port {self.port} "
                             f"within {timeout:.0f} s\n--- log tail ---\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send_signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` and wait for the exit; returns the exit code. Kills (and fails) after
        `timeout` seconds."""
        if not self.running:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        rc = wait_for_exit(self.proc, timeout)
        if rc is None:
            self.kill9()
            raise AssertionError(f"autoseg did not exit within {timeout:.0f} s of signal {sig}; "
                                 f"killed\n--- log tail ---\n{self.log_tail()}")
        return rc

    def kill9(self) -> None:
        if self.running:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def wait_exit(self, timeout: float) -> int | None:
        assert self.proc is not None
        return wait_for_exit(self.proc, timeout)

    def restart(self, wait: bool = True) -> "Node":
        if self.running:
            self.stop()
        return self.start(wait=wait)

    # -- addresses and files
    @property
    def addr(self) -> str:
        return f"{self.ae_title}@127.0.0.1:{self.port}"

    @property
    def spool(self) -> Path:
        return self.data_dir / "spool"

    @property
    def incoming(self) -> Path:
        return self.spool / ".incoming"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "autoseg.sqlite"

    def catalog(self) -> Catalog:
        return Catalog(self.catalog_path)

    def spool_path(self, study_uid: str, series_uid: str, sop_uid: str) -> Path:
        return self.spool / study_uid / series_uid / f"{sop_uid}.dcm"

    def spool_files(self) -> list[Path]:
        """Every regular file in spool/ outside .incoming."""
        if not self.spool.exists():
            return []
        return sorted(p for p in self.spool.rglob("*")
                      if p.is_file() and ".incoming" not in p.relative_to(self.spool).parts)

    def part_files(self) -> list[Path]:
        if not self.incoming.exists():
            return []
        return sorted(p for p in self.incoming.rglob("*") if p.is_file())

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@pytest.fixture(scope="session")
def autoseg_bin() -> Path:
    path = autoseg_bin_path()
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"autoseg binary not found or not executable at {path}: build it with "
                    f"`swift build` (debug) in {REPO}, or point AUTOSEG_BIN at it", pytrace=False)
    return path


@pytest.fixture
def node_factory(autoseg_bin, tmp_path, request):
    """make(name=..., config={...}, start=True, **Node kwargs) -> a started Node.

    All nodes are stopped at teardown (SIGTERM, then SIGKILL after 15 s); the tail of each
    node's log is attached to the report of a failing test."""
    nodes: list[Node] = []
    request.node._autoseg_nodes = nodes

    def make(name: str | None = None, *, start: bool = True, **kwargs) -> Node:
        name = name or f"node{len(nodes) + 1}"
        node = Node(autoseg_bin, tmp_path / name, name, **kwargs)
        nodes.append(node)
        if start:
            node.start()
        return node

    yield make
    for node in nodes:
        if node.running:
            node.proc.send_signal(signal.SIGTERM)
            if wait_for_exit(node.proc, 15) is None:
                node.kill9()


@pytest.fixture
def node(node_factory) -> Node:
    """A running node with the default test configuration."""
    return node_factory("node")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for n in getattr(item, "_autoseg_nodes", []):
            rep.sections.append((f"autoseg log tail: {n.name} ({n.log_path})", n.log_tail(80)))


# ----------------------------------------------------------------------------- test data

@pytest.fixture(scope="session")
def variants(tmp_path_factory) -> list[dicomgen.Variant]:
    """Every transfer-syntax variant (3 instances each, 64×64), own series and SOP UIDs."""
    return dicomgen.generate_variants(tmp_path_factory.mktemp("variants"), count=3, size=64)


@pytest.fixture(scope="session")
def variants_dir(variants) -> Path:
    return variants[0].files[0].parent.parent


@pytest.fixture(scope="session")
def ct_files(tmp_path_factory):
    """ct_files(count, size) -> list of files of one fresh CT series (explicit VR LE),
    cached per (count, size) for the session. Each call with the same key returns the same
    files, so tests that need unique UIDs use their own key or fresh_ct()."""
    cache: dict[tuple[int, int, str], list[Path]] = {}

    def get(count: int, size: int = 64, tag: str = "") -> list[Path]:
        key = (count, size, tag)
        if key not in cache:
            d = tmp_path_factory.mktemp(f"ct{count}x{size}{tag}")
            cache[key] = dicomgen.write_ct_series(d, count, size, seed=len(cache) + 7)
        return cache[key]

    return get


def fresh_ct(count: int = 1, size: int = 64, seed: int = 0) -> list[Dataset]:
    """New CT datasets (new study/series/SOP UIDs) in memory, explicit VR LE-ready."""
    return dicomgen.ct_series(count, size, size, seed=seed)


# ----------------------------------------------------------------------------- file comparison

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}


def split_part10(data: bytes) -> tuple[bytes, bytes]:
    """(file meta group incl. preamble, dataset bytes) of a DICOM Part 10 file."""
    if len(data) < 132 or data[128:132] != b"DICM":
        raise AssertionError("not a DICOM Part 10 file (no DICM prefix at offset 128)")
    off = 132
    while off + 8 <= len(data):
        group = int.from_bytes(data[off:off + 2], "little")
        if group != 0x0002:
            break
        vr = data[off + 4:off + 6]
        if vr in _LONG_VRS:
            length = int.from_bytes(data[off + 8:off + 12], "little")
            off += 12 + length
        else:
            length = int.from_bytes(data[off + 6:off + 8], "little")
            off += 8 + length
    return data[:off], data[off:]


def dataset_payload(path: Path) -> tuple[str, bytes]:
    """(transfer syntax, dataset bytes after the meta group; inflated if deflated)."""
    data = Path(path).read_bytes()
    _, body = split_part10(data)
    ts = str(pydicom.dcmread(BytesIO(data), stop_before_pixels=True).file_meta.TransferSyntaxUID)
    if ts == DeflatedExplicitVRLittleEndian:
        body = zlib.decompress(body, -zlib.MAX_WBITS)
    return ts, body


def _first_diff(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def assert_raw_dataset_equal(sent: Path, stored: Path) -> None:
    """The stored file carries the same transfer syntax and byte-identical dataset as the
    file storescu sent (deflated datasets are compared after inflating)."""
    ts_sent, body_sent = dataset_payload(sent)
    ts_stored, body_stored = dataset_payload(stored)
    assert ts_stored == ts_sent, (f"{stored}: stored with transfer syntax {ts_stored}, "
                                  f"sent as {ts_sent} ({UID(ts_sent).name})")
    if body_sent != body_stored:
        i = _first_diff(body_sent, body_stored)
        diffs = diff_datasets(pydicom.dcmread(sent), pydicom.dcmread(stored))
        raise AssertionError(
            f"{stored}: dataset bytes differ from {sent} at offset {i} "
            f"(sent {len(body_sent)} bytes, stored {len(body_stored)}); element diffs: "
            f"{diffs[:5] or 'none (encoding-only difference)'}")


UNCOMPRESSED_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                         "1.2.840.10008.1.2.1.99"}


def diff_datasets(a: Dataset, b: Dataset, path: str = "", pixels: str = "raw") -> list[str]:
    """Element-wise differences between two datasets (file meta excluded; group lengths
    ignored), recursing into sequences. PixelData is compared as raw bytes, or with
    pixels="array" as decoded arrays (for the same image in two uncompressed syntaxes of
    different byte order)."""
    out: list[str] = []
    if pixels == "array" and "PixelData" in a and "PixelData" in b:
        import numpy as np
        if not np.array_equal(a.pixel_array, b.pixel_array):
            out.append(f"{path}PixelData: decoded pixel arrays differ")
        a, b = _without_pixels(a), _without_pixels(b)
    tags = sorted(set(a.keys()) | set(b.keys()))
    for tag in tags:
        if tag.element == 0x0000 or tag.group == 0x0002:
            continue
        name = f"{path}{tag}"
        if tag not in a:
            out.append(f"{name} only in stored")
            continue
        if tag not in b:
            out.append(f"{name} missing from stored")
            continue
        ea, eb = a[tag], b[tag]
        if ea.VR == "SQ" or eb.VR == "SQ":
            va, vb = ea.value or [], eb.value or []
            if len(va) != len(vb):
                out.append(f"{name} sequence length {len(va)} != {len(vb)}")
                continue
            for i, (ia, ib) in enumerate(zip(va, vb)):
                out += diff_datasets(ia, ib, f"{name}[{i}].")
            continue
        va, vb = ea.value, eb.value
        if isinstance(va, (bytes, bytearray)) or isinstance(vb, (bytes, bytearray)):
            ba, bb = bytes(va or b""), bytes(vb or b"")
            # one side may hold an odd-length value padded on the wire
            if ba != bb and not (ba.rstrip(b"\0") == bb.rstrip(b"\0") and abs(len(ba) - len(bb)) <= 1):
                out.append(f"{name} bytes differ (len {len(ba)} vs {len(bb)}, first diff at "
                           f"{_first_diff(ba, bb)})")
        elif va != vb:
            out.append(f"{name} {ea.keyword or ''}: sent {va!r} != stored {vb!r}")
    return out


def _without_pixels(ds: Dataset) -> Dataset:
    c = Dataset()
    for elem in ds:
        if elem.tag != 0x7FE00010:
            c.add(elem)
    return c


def assert_dataset_equal(sent: Dataset, stored_path: Path) -> Dataset:
    stored = pydicom.dcmread(stored_path)
    diffs = diff_datasets(sent, stored)
    assert not diffs, f"{stored_path}: dataset differs from what was sent: {diffs[:10]}"
    return stored


def check_catalogued(node: Node, sop_uid: str, study_uid: str, series_uid: str, *,
                     calling_ae: str | None = None, transfer_syntax: str | None = None,
                     row: dict | None = None) -> Path:
    """The instance has exactly one catalog row, status 'stored', the contract's file_path,
    and the file exists with that size. Returns the absolute file path."""
    if row is None:
        rows = node.catalog().instance_rows(sop_uid)
        assert len(rows) == 1, f"instance {sop_uid}: {len(rows)} catalog rows, expected 1"
        row = rows[0]
    expected_rel = f"spool/{study_uid}/{series_uid}/{sop_uid}.dcm"
    assert row["status"] == "stored", f"instance {sop_uid}: status {row['status']!r}"
    assert os.path.normpath(row["file_path"]) == expected_rel, \
        f"instance {sop_uid}: file_path {row['file_path']!r}, expected {expected_rel!r}"
    path = node.data_dir / expected_rel
    assert path.is_file(), f"{path} missing although catalogued"
    if row.get("file_size") is not None:
        assert int(row["file_size"]) == path.stat().st_size, \
            f"{path}: catalog file_size {row['file_size']} != {path.stat().st_size} on disk"
    if calling_ae is not None:
        assert (row["calling_ae"] or "").strip() == calling_ae, \
            f"instance {sop_uid}: calling_ae {row['calling_ae']!r}, expected {calling_ae!r}"
    if transfer_syntax is not None:
        assert row["transfer_syntax_uid"] == transfer_syntax, \
            f"instance {sop_uid}: transfer_syntax_uid {row['transfer_syntax_uid']!r}, " \
            f"expected {transfer_syntax!r}"
    return path


def assert_spool_clean(node: Node, allowed: set[str] | None = None, wait: float = 0.0) -> None:
    """No *.part (or anything) under spool/.incoming, and (if `allowed` is given) no spool
    file other than <sop>.dcm for an allowed SOP Instance UID."""
    if wait:
        wait_until(lambda: not node.part_files(), wait)
    parts = node.part_files()
    assert not parts, f"left in {node.incoming}: {[str(p.relative_to(node.spool)) for p in parts]}"
    if allowed is not None:
        extra = [p for p in node.spool_files()
                 if not (p.suffix == ".dcm" and p.stem in allowed)]
        assert not extra, f"unexpected files in spool: {[str(p.relative_to(node.spool)) for p in extra]}"


# ----------------------------------------------------------------------------- peers

def storescu_profile(files: Iterable[Path], path: Path) -> Path:
    """An association negotiation profile for storescu (-xf FILE Exact) proposing exactly one
    presentation context per (SOP class, transfer syntax) of `files`.

    Without it storescu proposes only uncompressed syntaxes (-x= and friends) and
    *converts* every other file - implicit, deflated and compressed files would not travel
    as they are. With it, storescu picks the context with the file's own transfer syntax."""
    pairs: list[tuple[str, str]] = []
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        key = (str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID))
        if key not in pairs:
            pairs.append(key)
    syntaxes = sorted({ts for _, ts in pairs})
    ts_name = {ts: f"TS{i + 1}" for i, ts in enumerate(syntaxes)}
    lines = ["[[TransferSyntaxes]]"]
    for ts in syntaxes:
        lines += [f"[{ts_name[ts]}]", f"TransferSyntax1 = {ts}"]
    lines += ["[[PresentationContexts]]", "[Exact]"]
    for i, (sop, ts) in enumerate(pairs):
        lines.append(f"PresentationContext{i + 1} = {sop}\\{ts_name[ts]}")
    lines += ["[[Profiles]]", "[Exact]", "PresentationContexts = Exact"]
    assert len(pairs) <= 128, "more than 128 presentation contexts"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_storescu(port: int, files: Iterable[Path], *, calling: str = "STORESCU",
                 called: str = DEFAULT_AE, extra: Iterable[str] = (), timeout: float = 120,
                 profile_dir: Path | None = None) -> subprocess.CompletedProcess:
    """/usr/bin/storescu, all files over one association; -nh: continue after a failed store.

    With `profile_dir`, storescu proposes one presentation context per (SOP class, transfer
    syntax) of the files (see storescu_profile) so each file travels in its own transfer
    syntax; without it storescu's defaults apply (-R: only the files' SOP classes,
    uncompressed syntaxes)."""
    files = [Path(f) for f in files]
    if profile_dir is not None:
        cfg = storescu_profile(files, Path(profile_dir) / f"storescu-{os.getpid()}-{time.monotonic_ns()}.cfg")
        neg = ["-xf", str(cfg), "Exact"]
    else:
        neg = ["-R"]
    cmd = [STORESCU, *neg, "-nh", "-aet", calling, "-aec", called, "-ta", "30",
           *extra, "127.0.0.1", str(port), *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, env=dcmtk_env(), timeout=timeout)


def storescu_failures(res: subprocess.CompletedProcess) -> list[str]:
    """Lines of storescu's output that report a failed or refused store."""
    return [l for l in (res.stdout + res.stderr).splitlines()
            if l.startswith(("E:", "F:")) or "Store Failed" in l or "Status:" in l and "Success" not in l]


def run_echoscu(port: int, *, calling: str = "ECHOSCU", called: str = DEFAULT_AE,
                timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([ECHOSCU, "-aet", calling, "-aec", called, "127.0.0.1", str(port)],
                          capture_output=True, text=True, env=dcmtk_env(), timeout=timeout)


def run_autoseg(binary: Path, *args: str, timeout: float = 120, env: dict | None = None
                ) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=e)


def make_ae(calling: str = "PYSCU", timeout: float = 30) -> AE:
    ae = AE(ae_title=calling)
    ae.acse_timeout = timeout
    ae.dimse_timeout = timeout
    ae.network_timeout = timeout
    return ae


def associate(port: int, contexts: list[tuple[str, list[str]]] | None = None, *,
              calling: str = "PYSCU", called: str = DEFAULT_AE, max_pdu: int = 16384,
              timeout: float = 30):
    """A pynetdicom association; contexts = [(abstract syntax, [transfer syntaxes])]
    (default: Verification). The caller checks .is_established / .is_rejected."""
    ae = make_ae(calling, timeout)
    ctxs = [build_context(Verification)] if contexts is None else \
        [build_context(a, ts) for a, ts in contexts]
    return ae.associate("127.0.0.1", port, contexts=ctxs, ae_title=called, max_pdu=max_pdu)


def contexts_for(datasets: Iterable[Dataset]) -> list[tuple[str, list[str]]]:
    """One presentation context per (SOP class, transfer syntax) of the datasets."""
    seen: list[tuple[str, list[str]]] = []
    keys = set()
    for ds in datasets:
        ts = str(ds.file_meta.TransferSyntaxUID)
        key = (str(ds.SOPClassUID), ts)
        if key not in keys:
            keys.add(key)
            seen.append((key[0], [ts]))
    return seen


def rejection(assoc) -> tuple[int, int, int] | None:
    """(result, source, reason/diag) of an A-ASSOCIATE-RJ, or None if not rejected."""
    if not assoc.is_rejected:
        return None
    p = assoc.acceptor.primitive
    return int(p.result), int(p.result_source), int(p.diagnostic)


def pn_echo(port: int, calling: str = "PYSCU", called: str = DEFAULT_AE) -> int | None:
    """C-ECHO with pynetdicom: the status, or None if no association."""
    assoc = associate(port, calling=calling, called=called)
    if not assoc.is_established:
        return None
    try:
        st = assoc.send_c_echo()
        return int(st.Status) if "Status" in st else None
    finally:
        assoc.release()


def status_of(ds: Dataset) -> int | None:
    return int(ds.Status) if ds is not None and "Status" in ds else None


def store_one(port: int, ds: Dataset, *, calling: str = "PYSCU", called: str = DEFAULT_AE
              ) -> tuple[int | None, Dataset]:
    """Store `ds` over a fresh association; (status or None, full response)."""
    assoc = associate(port, contexts_for([ds]), calling=calling, called=called)
    assert assoc.is_established, f"association refused: {rejection(assoc)}"
    try:
        rsp = assoc.send_c_store(ds)
        return status_of(rsp), rsp
    finally:
        if assoc.is_established:
            assoc.release()


def prepare(ds: Dataset, ts: str = "1.2.840.10008.1.2.1") -> Dataset:
    """Give an in-memory dataset a file meta with `ts` so pynetdicom can send it."""
    from pydicom.dataset import FileMetaDataset
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ts
    ds.file_meta = meta
    return ds


def send_raw_c_store(assoc, *, context_id: int, affected_class: str, affected_instance: str,
                     dataset_bytes: bytes, message_id: int = 1, timeout: float = 30):
    """A C-STORE-RQ built by hand: the command's Affected SOP Class/Instance UID are what we
    say, the dataset is whatever bytes we pass (already encoded in the context's transfer
    syntax). Returns the C-STORE response primitive (or None on timeout)."""
    from pynetdicom.dimse_primitives import C_STORE
    req = C_STORE()
    req.MessageID = message_id
    req.AffectedSOPClassUID = affected_class
    req.AffectedSOPInstanceUID = affected_instance
    req.Priority = 0x0002
    req.DataSet = BytesIO(dataset_bytes)
    assoc._reactor_checkpoint.clear()
    while not assoc._is_paused:
        time.sleep(0.0001)
    try:
        assoc.dimse.send_msg(req, context_id)
        _, rsp = assoc.dimse.get_msg(block=True)
    finally:
        assoc._reactor_checkpoint.set()
    return rsp


def encode_dataset(ds: Dataset, implicit: bool = False) -> bytes:
    from pydicom.filewriter import write_dataset
    from pydicom.filebase import DicomBytesIO
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = implicit
    write_dataset(fp, ds)
    return fp.getvalue()


@dataclass
class StoreLog:
    """Thread-safe record of which SOP Instance UIDs were acknowledged with 0000."""
    acked: list[str]
    lock: threading.Lock

    @classmethod
    def new(cls) -> "StoreLog":
        return cls([], threading.Lock())

    def add(self, uid: str) -> int:
        with self.lock:
            self.acked.append(uid)
            return len(self.acked)

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.acked)


# ----------------------------------------------------------------------------- Orthanc

ORTHANC = "/usr/sbin/Orthanc"


class Orthanc:
    """Debian's Orthanc as a PACS on free ports with its own storage. With `modalities`
    ({name: (AE, host, port)}) its DICOM server runs too (AE ORTHANC on `dicom_port`), so it
    can push studies and receive results; without, it is REST only."""

    def __init__(self, workdir: Path, modalities: dict[str, tuple[str, str, int]] | None = None):
        if not Path(ORTHANC).is_file():
            pytest.fail("Orthanc is not installed: apt-get install -y orthanc (the system service need not run)",
                        pytrace=False)
        self.port = free_port()
        self.dicom_port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "AUTOSEG-TEST", "StorageDirectory": str(workdir / "storage"),
            "IndexDirectory": str(workdir / "index"), "HttpPort": self.port, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "Plugins": [], "StorageCompression": False, "HttpThreadsCount": 4,
            "DicomServerEnabled": modalities is not None,
        }
        if modalities is not None:
            config.update({"DicomPort": self.dicom_port, "DicomAet": "ORTHANC",
                           "DicomModalities": {k: list(v) for k, v in modalities.items()},
                           "DicomAlwaysAllowStore": True, "DicomCheckCalledAet": False,
                           "UnknownSopClassAccepted": True})
        (workdir / "orthanc.json").write_text(json.dumps(config))
        self.log_path = workdir / "orthanc.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([ORTHANC, str(workdir / "orthanc.json")], stdout=self.log, stderr=self.log,
                                     cwd=workdir)
        if not wait_until(self._alive, 30, 0.2):
            self.stop()
            raise AssertionError("Orthanc did not start:\n" + self.log_path.read_text()[-3000:])

    def _alive(self) -> bool:
        try:
            self.get("/system")
            return True
        except Exception:
            return False

    def _open(self, path: str, data: bytes | None = None, ctype: str = "application/json", timeout: float = 30):
        import urllib.request
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     headers={"Content-Type": ctype} if data is not None else {},
                                     method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read()

    def get(self, path: str):
        return json.loads(self._open(path))

    def get_bytes(self, path: str) -> bytes:
        return self._open(path)

    def post(self, path: str, data: bytes, ctype: str = "application/json"):
        return json.loads(self._open(path, data, ctype, timeout=120))

    def post_instance(self, path: Path) -> dict:
        return self.post("/instances", Path(path).read_bytes(), "application/dicom")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

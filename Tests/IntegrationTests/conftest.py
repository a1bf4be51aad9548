"""Fixtures and helpers for AutoSeg's real-peer integration tests.

The node under test is the `autoseg` executable (AUTOSEG_BIN, default
<repo>/.build/debug/autoseg). Every test starts its own node on a free port with its own
data directory; the node's stderr goes to a log file whose tail is attached to the report
of a failing test.

DCMTK tools are always called by absolute path (/usr/bin/...): PATH may hold Python shims
with the same names.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import *  # noqa: E402,F401,F403  (basics; tests import them from here)
from filecompare import *  # noqa: E402,F401,F403
from peers import *  # noqa: E402,F401,F403

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
        # The test harness's own AUTOSEG_BIN is not a configuration override: the node would
        # refuse it as an unknown AUTOSEG_<SECTION>_<KEY> variable.
        env = {k: v for k, v in os.environ.items() if k not in ("AUTOSEG_BIN",)}
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
            # Ready when the DICOM port accepts and, with [http] on, the HTTP port too (the
            # HTTP server is the last service to start).
            http = int(self.config.get("http", {}).get("port", 0) or 0)
            host = self.config.get("http", {}).get("host", "127.0.0.1")
            if port_open(self.port) and (http == 0 or port_open(http, "127.0.0.1" if host == "0.0.0.0" else host)):
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
def variants(tmp_path_factory) -> list[dicomvariants.Variant]:
    """Every transfer-syntax variant (3 instances each, 64×64), own series and SOP UIDs."""
    return dicomvariants.generate_variants(tmp_path_factory.mktemp("variants"), count=3, size=64)


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
            cache[key] = dicomvariants.write_ct_series(d, count, size, seed=len(cache) + 7)
        return cache[key]

    return get


def fresh_ct(count: int = 1, size: int = 64, seed: int = 0) -> list[Dataset]:
    """New CT datasets (new study/series/SOP UIDs) in memory, explicit VR LE-ready."""
    return dicomgen.ct_series(count, size, size, seed=seed)

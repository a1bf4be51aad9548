"""The real peers of the integration tests: DCMTK's storescu/echoscu, pynetdicom associations
and raw C-STOREs, and Orthanc as a PACS."""
from __future__ import annotations

from harness import *  # noqa: F401,F403  (the basics: imports, paths, constants)


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

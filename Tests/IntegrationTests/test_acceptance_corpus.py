"""Issue 14 acceptance on a corpus: every file DCMTK's storescp stores as sent, AutoSeg stores as
sent too, and the node never dies. The corpus is what ships inside the Python packages here: the
DICOM test files of pydicom (`pydicom.data.get_testdata_files()`, the ones stored locally; those
fetched from the internet are not used) and of pynetdicom — many vendors, transfer syntaxes and
broken headers. Each file goes with pynetdicom (one association per file, its own SOP class and
transfer syntax proposed) to `storescp +xa +B` (every transfer syntax, bit-preserving) and to the
node; the outcomes are compared, and the dataset bytes stored by both must be equal.

Allowed differences, each for a stated reason:
  - PENDING_TRANSFER_SYNTAXES: transfer syntaxes not yet accepted (none: JPEG 2000 and HTJ2K
    are, since issue 14 item 1).
  - a refusal saying "no StudyInstanceUID" / "no SeriesInstanceUID": the spool has no place for
    such an instance (DESIGN §5); storescp names files by SOP Instance UID only.
  - A900: the dataset truly does not match its SOP class — native Pixel Data shorter than the
    image it describes (pydicom's MR_truncated.dcm: storescp stores it, no reader can load it),
    or command and dataset naming different instances (not with pynetdicom).
"""
from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest

from conftest import SUCCESS, split_part10, wait_until
from harness import STORESCP, dcmtk_env, free_port
from hostile_data import uid_identity
from peers import associate

# JPEG 2000 lossless/lossy, HTJ2K lossless/RPCL/lossy: pending the j2k branch (see above).
PENDING_TRANSFER_SYNTAXES: set[str] = set()
SPOOL_NEEDS = ("no StudyInstanceUID", "no SeriesInstanceUID")


def corpus() -> list[Path]:
    from pydicom.data import get_testdata_files
    import pynetdicom
    files = [Path(f) for f in get_testdata_files()]  # only files present locally (no download)
    files += sorted(Path(pynetdicom.__file__).parent.rglob("*.dcm"))
    return sorted({f for f in files if f.is_file()})


def _read(path: Path):
    """The dataset pynetdicom can send, or None (not DICOM, no meta, no SOP UIDs)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True)
        ts = str(ds.file_meta.TransferSyntaxUID)
        if not ts or "SOPClassUID" not in ds or "SOPInstanceUID" not in ds:
            return None
        return ds
    except Exception:
        return None


def send(port: int, ds) -> tuple[str, str]:
    """("status", "XXXX comment") or ("no-context", ...) or ("error", ...)."""
    ts = str(ds.file_meta.TransferSyntaxUID)
    try:
        assoc = associate(port, [(str(ds.SOPClassUID), [ts])], calling="CORPUS", timeout=30)
    except Exception as e:  # noqa: BLE001 (anything a peer does is an outcome)
        return "error", repr(e)
    if not assoc.is_established:
        return "no-association", str(assoc.is_rejected)
    try:
        if not assoc.accepted_contexts:
            return "no-context", ts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rsp = assoc.send_c_store(ds)
        if rsp is None or "Status" not in rsp:
            return "error", "no response"
        return "status", f"{int(rsp.Status):04X} {str(rsp.get('ErrorComment', ''))}".strip()
    except Exception as e:  # noqa: BLE001
        return "error", repr(e)
    finally:
        if assoc.is_established:
            assoc.release()


@pytest.fixture(scope="module")
def storescp(tmp_path_factory):
    out = tmp_path_factory.mktemp("storescp-corpus")
    port = free_port()
    # +xa every transfer syntax, +B bit-preserving (as we store), +uf a file per store (test
    # files share SOP Instance UIDs: MR_small in six encodings).
    proc = subprocess.Popen([STORESCP, "+xa", "+B", "+uf", "-od", str(out), str(port)], env=dcmtk_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: proc.poll() is None and _open(port), 5), "storescp did not start"
    yield port, out
    proc.terminate()
    proc.wait(10)


def _open(port: int) -> bool:
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _node_file(node, ds) -> Path | None:
    rows = node.catalog().instance_rows(uid_identity(str(ds.SOPInstanceUID).encode()))
    return node.data_dir / rows[0]["file_path"] if rows else None


def test_corpus_stored_wherever_storescp_stores(node, storescp):
    port, out = storescp
    files = corpus()
    assert len(files) > 100, f"corpus too small ({len(files)} files): pydicom's test files missing?"
    sent = differences = 0
    problems, pending, allowed = [], [], []
    for path in files:
        ds = _read(path)
        if ds is None:
            continue
        sent += 1
        before = set(os.listdir(out))
        reference = send(port, ds)
        stored_by_storescp = sorted(set(os.listdir(out)) - before)
        ours = send(node.port, ds)
        assert node.running, f"{path.name}: the node died"
        if reference[0] != "status" or not reference[1].startswith("0000"):
            continue  # storescp did not store it: nothing to hold the node to
        ts = str(ds.file_meta.TransferSyntaxUID)
        if ours == reference:
            mine = _node_file(node, ds)
            if mine is None or not stored_by_storescp:
                problems.append(f"{path.name}: 0000 but no file (node {mine}, storescp {stored_by_storescp})")
            elif split_part10(mine.read_bytes())[1] != split_part10((out / stored_by_storescp[-1]).read_bytes())[1]:
                problems.append(f"{path.name}: stored dataset bytes differ from storescp's")
            continue
        differences += 1
        if ts in PENDING_TRANSFER_SYNTAXES:
            pending.append(path.name)
        elif ours[0] == "status" and any(w in ours[1] for w in SPOOL_NEEDS):
            allowed.append(f"{path.name}: {ours[1]}")
        elif ours[0] == "status" and ours[1].startswith("A900"):
            allowed.append(f"{path.name}: {ours[1]}")
        else:
            problems.append(f"{path.name} ({ts}): storescp {reference}, AutoSeg {ours}")
    print(f"\ncorpus: {len(files)} files, {sent} sent, {differences} outcome(s) differ; "
          f"pending j2k: {len(pending)}; refused for a stated reason: {allowed}")
    assert not problems, "AutoSeg does not store what storescp stores:\n" + "\n".join(problems)
    assert sent > 100, f"only {sent} files could be sent"
    assert node.running

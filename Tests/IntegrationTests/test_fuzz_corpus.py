"""The fuzz corpora replayed against a real node (bench/fuzz, issue 15): every committed seed and
every input a fuzz run ever crashed on (kept in data/fuzz/, named after the target) is sent to
one node, which must answer or drop each and go on serving (FUZZ_CORPUS=bench/out/fuzz replays
the working corpora of the last fuzz run instead of the seeds).

  dataset inputs (bench/fuzz/corpus/dataset, data/fuzz/dataset-*): the dataset part (after the
      file meta, if any) as one raw C-STORE; any answer is fine (a success only if the node
      catalogued the instance, a refusal only with an ErrorComment), and so is an aborted
      association (DCMTK aborts on an odd-length fragment).
  pdu inputs (bench/fuzz/corpus/pdu, data/fuzz/pdu-*): the bytes on a fresh connection, which
      is half-closed; the node must drop it.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from conftest import REPO, SUCCESS, split_part10
from hostile_data import raw_store, uid_identity
from test_refusals import assert_still_serving

# FUZZ_CORPUS=bench/out/fuzz/<...> replays a fuzz run's working corpus (<dir>/<target>/corpus).
CORPUS = Path(os.environ.get("FUZZ_CORPUS", REPO / "bench" / "fuzz" / "corpus"))
CRASHES = Path(__file__).resolve().parent / "data" / "fuzz"


def _inputs(target: str) -> list[Path]:
    folder = CORPUS / target / "corpus" if (CORPUS / target / "corpus").is_dir() else CORPUS / target
    files = sorted(folder.glob("*")) + sorted(CRASHES.glob(f"{target}-*"))
    assert files, f"no {target} inputs in {folder}"
    return [f for f in files if f.is_file()]


def _dataset_part(data: bytes) -> bytes:
    try:
        return split_part10(data)[1]
    except AssertionError:
        return data  # a raw dataset


def _sop_uid(dataset: bytes) -> bytes:
    """The SOP Instance UID as the dataset stores it, sent as the command's (the node catalogues
    an instance under that value, padding dropped: `uid_identity`)."""
    at = dataset.find(b"\x08\x00\x18\x00UI")
    if at < 0:
        return b"1.2.3.4"
    n = int.from_bytes(dataset[at + 6:at + 8], "little")
    return dataset[at + 8:at + 8 + n].rstrip(b"\0 ") or b"1.2.3.4"


def _replay(port: int, data: bytes, timeout: float = 20) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and s.recv(65536):
                pass
        except (ConnectionError, OSError):
            pass


def test_dataset_corpus(node):
    for f in _inputs("dataset"):
        dataset = _dataset_part(f.read_bytes())
        uid = _sop_uid(dataset)
        try:
            status, comment = raw_store(node.port, dataset, uid)
        except (ConnectionError, OSError, AssertionError):
            # Dropped below DIMSE (e.g. an odd-length PDV: DCMTK aborts the association).
            assert node.running, f"{f.name}: the node died"
            continue
        assert node.running, f"{f.name}: the node died"
        if status == SUCCESS:
            assert node.catalog().instance_rows(uid_identity(uid)), f"{f.name}: 0000 but not catalogued"
        else:
            assert comment, f"{f.name}: refused with {status:04X} but no ErrorComment"
    assert_still_serving(node)


def test_pdu_corpus(node):
    for f in _inputs("pdu"):
        _replay(node.port, f.read_bytes())
        assert node.running, f"{f.name}: the node died"
    assert_still_serving(node)

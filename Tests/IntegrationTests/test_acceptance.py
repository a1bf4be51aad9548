"""Issue 14 item 3, liberal acceptance (DESIGN §6): what a real device sends with non-conformant
UIDs is stored as sent, side by side with DCMTK's storescp, which stores all of it; refused are
only a dataset without SOP Class/Instance UID, without Study/Series Instance UID (the spool has
no place for it), or one whose command names another instance (A900, both values said).

Peers: raw C-STOREs over TCP (hostile_data.py: nothing on our side normalises the UIDs),
/usr/bin/storescp as the reference, /usr/bin/storescu for Part 10 files. For each case: the
status, the identity catalogued (the UID as stored, trailing padding dropped), the spool path
(a non-conformant UID names no path: x<sha256>), and the stored dataset bytes equal to those sent.
"""
from __future__ import annotations

import random
import subprocess

import pydicom
import pytest

import dicomgen
from conftest import CANNOT_UNDERSTAND, DATASET_MISMATCH, SUCCESS, encode_dataset, split_part10, wait_until
from harness import STORESCP, dcmtk_env, free_port
from hostile_data import (ct_dataset, instance_identity_rows, element, raw_store, spool_relative, text, uid_identity, uid_path_component,
                          with_raw_uid, with_un_uid)
from peers import run_autoseg, run_storescu
from test_refusals import assert_nothing_stored, assert_still_serving


def short_uid() -> str:
    """36 characters: room for what the cases add within the 64 DCMTK's command parser takes."""
    return dicomgen.UID_ROOT + str(random.randrange(10**9, 10**10))


# name -> the raw value sent, from a fresh conformant UID.
CASES = {
    "trailing-space": lambda u: u.encode() + b" ",            # space padding (PS3.5 says NUL)
    "leading-zero": lambda u: (u + ".012").encode(),          # a component "012"
    "hex-64": lambda u: f"{random.getrandbits(256):064x}".encode(),
    "leading-space": lambda u: b" " + u.encode(),
    "embedded-space": lambda u: (u[:9] + " " + u[9:]).encode(),
    "embedded-newline": lambda u: (u[:9] + "\n" + u[9:]).encode(),
    "nul-then-path": lambda u: u.encode() + b"\0/../x",
    "traversal": lambda u: b"../../" + u.encode(),
}
FIELDS = ["SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"]


@pytest.fixture(scope="module")
def storescp(tmp_path_factory):
    """DCMTK's storescp (defaults: stores what it receives, names files by the command's UID)."""
    out = tmp_path_factory.mktemp("storescp")
    port = free_port()
    proc = subprocess.Popen([STORESCP, "-od", str(out), str(port)], env=dcmtk_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: _port_open(port), 5), "storescp did not start"
    yield port
    proc.terminate()
    proc.wait(10)


def _port_open(port: int) -> bool:
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _identities(ds) -> dict[str, str]:
    return {k: str(getattr(ds, k)) for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")}


def assert_stored_as_sent(node, data: bytes, ids: dict[str, str]) -> None:
    """One catalog row for the identity, at the contract's path inside the spool, holding the
    dataset bytes exactly as sent."""
    rows = instance_identity_rows(node, ids["SOPInstanceUID"])
    assert len(rows) == 1, f"{ids}: {len(rows)} catalog rows, expected 1 ({list(node.catalog().instances())})"
    row = rows[0]
    assert row["study_instance_uid"] == ids["StudyInstanceUID"] and row["series_instance_uid"] == ids["SeriesInstanceUID"]
    expected = spool_relative(ids["StudyInstanceUID"], ids["SeriesInstanceUID"], ids["SOPInstanceUID"])
    assert row["file_path"] == expected, f"file_path {row['file_path']!r}, expected {expected!r}"
    path = (node.data_dir / row["file_path"]).resolve()
    assert path.is_relative_to(node.spool.resolve()), f"{path} is outside the spool"
    assert split_part10(path.read_bytes())[1] == data, "stored dataset bytes differ from those sent"


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", list(CASES))
def test_nonconformant_uid_stored_as_sent_like_storescp(node, storescp, field, kind):
    ds = ct_dataset()
    ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID = short_uid(), short_uid(), short_uid()
    raw = CASES[kind](str(getattr(ds, field)))
    data = with_raw_uid(ds, field, raw)
    command = raw if field == "SOPInstanceUID" else str(ds.SOPInstanceUID)
    reference = raw_store(storescp, data, command)[0]
    assert reference == SUCCESS, f"storescp answered {reference:04X}: the reference behaviour changed"
    status, comment = raw_store(node.port, data, command)
    assert status == SUCCESS, f"{field} {kind} {raw!r}: {status:04X} {comment!r}"
    ids = _identities(ds)
    ids[field] = uid_identity(raw)
    assert_stored_as_sent(node, data, ids)
    if kind != "trailing-space":  # trailing padding is the standard's: the UID itself
        assert uid_path_component(ids[field]).startswith("x"), "a non-conformant UID named a path"
    assert wait_until(lambda: "stored with a non-conformant UID" in node.log_text()
                      or kind == "trailing-space", 5), "no log line for the non-conformant UID"


def test_trailing_padding_is_the_same_instance(node):
    """"X " and "X" are one instance (PS3.5 6.2 padding): the second store replaces the first."""
    ds = ct_dataset(seed=5)
    ds.SOPInstanceUID = uid = short_uid()
    assert raw_store(node.port, with_raw_uid(ds, "SOPInstanceUID", uid.encode() + b" "), uid.encode() + b" ")[0] == SUCCESS
    ds.SOPInstanceUID = uid  # with_raw_uid left its placeholder
    assert raw_store(node.port, encode_dataset(ds), uid)[0] == SUCCESS
    assert list(node.catalog().instances()) == [uid]
    assert (node.data_dir / spool_relative(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), uid)).is_file()


# What storescp 3.6.7 answers (measured): it cannot read SOP UIDs encoded as UN (C000, as does
# Orthanc 1.10), but stores a Series Instance UID encoded so.
UN_STORESCP = {"SOPInstanceUID": CANNOT_UNDERSTAND, "SOPClassUID": CANNOT_UNDERSTAND, "SeriesInstanceUID": SUCCESS}


@pytest.mark.parametrize("field", list(UN_STORESCP))
def test_uid_encoded_as_un_stored(node, storescp, field):
    """UIDs as VR UN (an archive that did not know the VR): stored under the value itself
    (before: C000 or a false A900), where storescp refuses SOP UIDs it cannot read."""
    ds = ct_dataset(seed=6)
    ds.SOPInstanceUID = short_uid()
    data = with_un_uid(ds, field)
    assert raw_store(storescp, data, str(ds.SOPInstanceUID))[0] == UN_STORESCP[field], "storescp's behaviour changed"
    status, comment = raw_store(node.port, data, str(ds.SOPInstanceUID))
    assert status == SUCCESS, f"{field} as UN: {status:04X} {comment!r}"
    assert_stored_as_sent(node, data, _identities(ds))
    assert node.catalog().instance_rows(str(ds.SOPInstanceUID))[0]["sop_class_uid"] == str(ds.SOPClassUID)


def test_over_long_command_uid_aborts_in_both(node, storescp):
    """A 70-character Affected SOP Instance UID: DCMTK's command parser (storescp's and ours)
    aborts the association; the node lives on."""
    ds = ct_dataset(seed=7)
    uid = short_uid()
    raw = (uid + "." + "1" * (69 - len(uid))).encode()
    data = with_raw_uid(ds, "SOPInstanceUID", raw)
    for port in (storescp, node.port):
        with pytest.raises((AssertionError, ConnectionError, OSError)):
            raw_store(port, data, raw)
    assert node.running
    assert_still_serving(node)


def test_files_with_nonconformant_uids_through_storescu(node, tmp_path):
    """Part 10 files sent by DCMTK's storescu (it reads them with DCMTK and sends the command's
    UIDs as parsed): leading zero, 64 hex digits, over-long series UID."""
    sent = {}
    for i, value in enumerate([short_uid() + ".012", f"{random.getrandbits(256):064x}"]):
        ds = ct_dataset(seed=10 + i)
        ds.SOPInstanceUID = value
        ds.SeriesInstanceUID = short_uid() + "." + "7" * 40
        ds.file_meta.MediaStorageSOPInstanceUID = value
        path = tmp_path / f"{i}.dcm"
        ds.save_as(path, enforce_file_format=True)
        sent[value] = ds
    res = run_storescu(node.port, sorted(tmp_path.glob("*.dcm")))
    assert res.returncode == 0, res.stdout + res.stderr
    for value, ds in sent.items():
        data = split_part10((tmp_path / f"{list(sent).index(value)}.dcm").read_bytes())[1]
        assert_stored_as_sent(node, data, _identities(ds))


# ----------------------------------------------------------------------------- what cannot be stored

def _without(ds, keyword: str) -> bytes:
    delattr(ds, keyword)
    return encode_dataset(ds)


@pytest.mark.parametrize("keyword,words", [
    ("SOPInstanceUID", "no SOP Instance UID (0008,0018)"), ("SOPClassUID", "no SOP Class UID (0008,0016)"),
    ("SeriesInstanceUID", "no SeriesInstanceUID"), ("StudyInstanceUID", "no StudyInstanceUID"),
])
def test_missing_identity_refused_with_the_true_reason(node, keyword, words):
    ds = ct_dataset(seed=8)
    uid = str(ds.SOPInstanceUID)
    status, comment = raw_store(node.port, _without(ds, keyword), uid)
    assert status == CANNOT_UNDERSTAND, f"without {keyword}: {status:04X} {comment!r}"
    assert words in comment, comment
    assert "not readable" not in comment and "not a valid" not in comment, comment
    assert wait_until(lambda: "store refused" in node.log_text() and words in node.log_text(), 5)
    assert_nothing_stored(node, uid)


def test_command_and_dataset_disagree_a900_with_both_values(node):
    ds = ct_dataset(seed=9)
    ds.SOPInstanceUID = dataset_uid = short_uid()
    command_uid = short_uid()
    status, comment = raw_store(node.port, encode_dataset(ds), command_uid)
    assert status == DATASET_MISMATCH, f"{status:04X} {comment!r}"
    assert "differs" in comment, comment
    line = f"SOP Instance UID differs: dataset {dataset_uid}, command {command_uid}"
    assert wait_until(lambda: line in node.log_text(), 5), f"no warning with both values: {node.log_tail()}"
    assert_nothing_stored(node, dataset_uid)


def test_equal_uids_never_called_different(node):
    """Before: "SOP Class/Instance UID differs from the command" when they were equal but one
    side was space-padded. The command padded, the dataset not, and the other way round."""
    for seed, (command_pad, dataset_pad) in enumerate([(b" ", b""), (b"", b" "), (b"\0", b" ")]):
        ds = ct_dataset(seed=20 + seed)
        uid = short_uid()
        ds.SOPInstanceUID = uid
        data = with_raw_uid(ds, "SOPInstanceUID", uid.encode() + dataset_pad)
        status, comment = raw_store(node.port, data, uid.encode() + command_pad)
        assert status == SUCCESS, f"command +{command_pad!r}, dataset +{dataset_pad!r}: {status:04X} {comment!r}"
        assert node.catalog().instance_rows(uid)


@pytest.mark.parametrize("blank", [False, True], ids=["absent", "empty"])
def test_autoseg_run_names_the_missing_series_uid(autoseg_bin, tmp_path, blank):
    """`autoseg run` on a file without a SeriesInstanceUID says so, not "not readable as DICOM"."""
    ds = ct_dataset(seed=40)
    if blank:
        ds.SeriesInstanceUID = ""
    else:
        del ds.SeriesInstanceUID
    ds.save_as(tmp_path / "one.dcm", enforce_file_format=True)
    res = run_autoseg(autoseg_bin, "run", tmp_path / "one.dcm", "--out", tmp_path / "out")
    assert res.returncode == 1, res.stderr
    assert "no SeriesInstanceUID" in res.stderr and "readable" not in res.stderr, res.stderr

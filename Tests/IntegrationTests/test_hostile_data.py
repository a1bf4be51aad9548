"""Issue 15, what one peer's data must never do to the node (items 1, 4, 5, 6): crash it with
nesting, change an instance's identity, get unloadable data acknowledged, or lose where a study
came from when the catalog is rebuilt. Real peers: raw C-STOREs over TCP (hostile_data.py: nothing
on our side validates what is sent), storescu and storescp.

Statuses (PS3.4 B.2.3, Table B.2-1): a dataset that cannot be parsed, C000 (Cannot understand);
native Pixel Data shorter than the image it describes, or a command naming another instance
than its dataset (as sent), A900 (Data Set does not match SOP Class). Each with an ErrorComment
naming the limit or the UIDs, a warning in the log, nothing in the spool or the catalog.
Identifying UIDs that are not conformant are stored under their identity as stored (issue 14,
DESIGN §6), never under DCMTK's normalised value and never as a path.
"""
from __future__ import annotations

import random
import time

import pytest

import dicomgen

from conftest import CANNOT_UNDERSTAND, DATASET_MISMATCH, SUCCESS, encode_dataset, wait_until
from hostile_data import (CT, ct_dataset, instance_identity_rows, element, identity, nested_command_elements, nested_defined, nested_open,
                     pixel_data_at, raw_command, raw_store, spool_relative, store_command, text, uid_identity,
                     with_raw_uid)
from pipeline_helpers import pacs  # noqa: F401  (the storescp PACS fixture)
from pipeline_helpers import deliveries, files_of, jobs, node_with, send, source, wait_delivered, wait_jobs
from test_refusals import assert_nothing_stored, assert_still_serving


def refused(node, status, comment, expected, words):
    """The store was answered `expected` with an ErrorComment holding `words`, and the node
    logged a warning with them."""
    assert status == expected, f"expected {expected:04X}, got {status:04X} ({comment!r})"
    assert words in comment, f"ErrorComment {comment!r} does not say {words!r}"
    assert wait_until(lambda: "store refused" in node.log_text() and words in node.log_text(), 5), \
        f"no 'store refused' warning with {words!r} in the log"


# ----------------------------------------------------------------------------- 1. nesting

@pytest.mark.parametrize("depth", [10_000, 1_000])
def test_open_nested_sequences_refused(node, depth):
    """Sequences of undefined length nested `depth` deep that never close: before, 10,000 of
    them killed the node (SIGSEGV, stack exhaustion in DCMTK's recursive parser)."""
    uid = str(dicomgen.new_uid())
    status, comment = raw_store(node.port, identity(uid) + nested_open(depth), uid)
    assert node.running, "the node died"
    refused(node, status, comment, CANNOT_UNDERSTAND, "nested deeper than 32")
    assert_nothing_stored(node, uid)
    assert_still_serving(node)


def test_deep_defined_length_nesting_refused(node):
    uid = str(dicomgen.new_uid())
    status, comment = raw_store(node.port, identity(uid) + nested_defined(1_000), uid)
    refused(node, status, comment, CANNOT_UNDERSTAND, "nested deeper than 32")
    assert_nothing_stored(node, uid)
    assert_still_serving(node)


def test_nesting_at_the_limit_is_stored(node):
    """32 levels are what the limit allows: stored and catalogued; 33 are refused."""
    ok, deep = str(dicomgen.new_uid()), str(dicomgen.new_uid())
    assert raw_store(node.port, identity(ok) + nested_defined(32), ok)[0] == SUCCESS
    assert node.catalog().instance_rows(ok), "32 levels: stored but not catalogued"
    status, comment = raw_store(node.port, identity(deep) + nested_defined(33), deep)
    refused(node, status, comment, CANNOT_UNDERSTAND, "nested deeper than 32")
    assert not node.catalog().instance_rows(deep)


@pytest.mark.parametrize("depth", [10_000, 40])
def test_nested_sequences_in_a_command_set_abort_the_association(node, depth):
    """Found writing the PDU fuzz target: DCMTK parses a DIMSE command set in memory with the
    same recursive parser, before any C-STORE code runs; 10,000 nested sequences in a command
    killed the node (SIGSEGV). The PDU filter ends the association: a command set holds group
    0000 elements of defined length only (PS3.7 6.3, E.1)."""
    command = store_command(CT, str(dicomgen.new_uid()).encode()) + nested_command_elements(depth)
    answer = raw_command(node.port, command)
    assert node.running, "the node died"
    assert answer in (None, 0x07), f"expected an A-ABORT or a closed connection, got PDU type {answer}"
    assert wait_until(lambda: "undefined length in command element (0000,5000)" in node.log_text(), 5), \
        "no warning naming the refused command element"
    assert_nothing_stored(node)
    assert_still_serving(node)


# ----------------------------------------------------------------------------- 4. UIDs as received

def short_uid() -> str:
    """A fresh UID of 36 characters: room for the bytes added below within the 64 that DCMTK's
    command parser takes (a longer Affected SOP Instance UID aborts the association)."""
    return dicomgen.UID_ROOT + str(random.randrange(10**9, 10**10))


def _spaced(uid: str) -> bytes:
    return (uid[:9] + " " + uid[9:]).encode()


BAD_UIDS = {
    "embedded-space": _spaced,
    "leading-space": lambda u: b" " + u.encode(),
    "trailing-space": lambda u: u.encode() + b" ",
    "embedded-newline": lambda u: (u[:9] + "\n" + u[9:]).encode(),
    "trailing-newline": lambda u: u.encode() + b"\n",
    "nul-then-path": lambda u: u.encode() + b"\0/../x",
}
FIELDS = {"SOPInstanceUID": "sop_instance_uid", "StudyInstanceUID": "study_instance_uid",
          "SeriesInstanceUID": "series_instance_uid"}  # keyword -> catalog column


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("kind", list(BAD_UIDS))
def test_uid_not_conformant_as_received_stored_under_its_own_identity(node, field, kind):
    """Before issue 14, refused; now stored (DESIGN §6, liberal) under the UID as stored, never
    DCMTK's normalised value (which named another instance than the file's), and never as a
    path: a non-conformant UID names its folder or file by a digest."""
    ds = ct_dataset()
    ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID = short_uid(), short_uid(), short_uid()
    raw = BAD_UIDS[kind](str(getattr(ds, field)))
    data = with_raw_uid(ds, field, raw)
    status, comment = raw_store(node.port, data, raw if field == "SOPInstanceUID" else str(ds.SOPInstanceUID))
    assert status == SUCCESS, f"{field} {raw!r}: {status:04X} {comment!r}"
    ids = {"StudyInstanceUID": str(ds.StudyInstanceUID), "SeriesInstanceUID": str(ds.SeriesInstanceUID),
           "SOPInstanceUID": str(ds.SOPInstanceUID)}
    ids[field] = uid_identity(raw)
    rows = instance_identity_rows(node, ids["SOPInstanceUID"])
    assert len(rows) == 1 and rows[0][FIELDS[field]] == ids[field], rows
    expected = spool_relative(ids["StudyInstanceUID"], ids["SeriesInstanceUID"], ids["SOPInstanceUID"])
    assert rows[0]["file_path"] == expected
    if kind != "trailing-space":
        assert "/x" in expected, expected
    assert_still_serving(node)


@pytest.mark.parametrize("kind", ["embedded-space", "leading-space", "nul-then-path"])
def test_command_uid_differing_as_sent_is_a_mismatch(node, kind):
    """A valid dataset UID X sent under a command UID that DCMTK's parser turns into X (spaces
    dropped, cut at the NUL): as sent they name different instances, so A900 with both values
    (storescp compares DCMTK's parsed value and stores)."""
    ds = ct_dataset(seed=33)
    ds.SOPInstanceUID = uid = short_uid()
    status, comment = raw_store(node.port, encode_dataset(ds), BAD_UIDS[kind](uid))
    refused(node, status, comment, DATASET_MISMATCH, "SOP Instance UID differs")
    assert uid_identity(BAD_UIDS[kind](uid)) in node.log_text(), "the command's value is not in the log"
    assert_nothing_stored(node, uid)
    assert_still_serving(node)


def test_instances_differing_only_in_uid_padding_never_collide(node):
    """An instance stored under UID X is never replaced by another whose raw UID is X with a
    space, a leading blank or a NUL and trailing bytes in it: each is an instance of its own."""
    first = ct_dataset(seed=31)
    first.SOPInstanceUID = uid = short_uid()
    assert raw_store(node.port, encode_dataset(first), uid)[0] == SUCCESS
    stored = node.spool_path(str(first.StudyInstanceUID), str(first.SeriesInstanceUID), uid)
    before = stored.read_bytes()
    others = [_spaced(uid), b" " + uid.encode(), uid.encode() + b"\0/../x"]
    for raw in others:
        other = ct_dataset(seed=32)
        other.StudyInstanceUID, other.SeriesInstanceUID = first.StudyInstanceUID, first.SeriesInstanceUID
        status, comment = raw_store(node.port, with_raw_uid(other, "SOPInstanceUID", raw), raw)
        assert status == SUCCESS, f"{raw!r}: {status:04X} {comment!r}"
    assert stored.read_bytes() == before, "the first instance's file was replaced"
    rows = node.catalog().instances()
    assert sorted(rows) == sorted([uid] + [uid_identity(r) for r in others]), rows


# ----------------------------------------------------------------------------- 5. loadable data only

def test_pixel_data_cut_short_refused(node):
    ds = ct_dataset(seed=41)
    data = encode_dataset(ds)
    at = pixel_data_at(data)
    cut = data[:at + 12 + ((len(data) - at - 12) // 2 & ~1)]
    status, comment = raw_store(node.port, cut, str(ds.SOPInstanceUID))
    refused(node, status, comment, CANNOT_UNDERSTAND, "(7FE0,0010)")
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert_still_serving(node)


def test_pixel_data_declaring_2_gib_refused(node):
    ds = ct_dataset(seed=42)
    data = bytearray(encode_dataset(ds))
    at = pixel_data_at(bytes(data))
    data[at + 8:at + 12] = (0x7FFFFFF0).to_bytes(4, "little")
    status, comment = raw_store(node.port, bytes(data), str(ds.SOPInstanceUID))
    refused(node, status, comment, CANNOT_UNDERSTAND, "(7FE0,0010)")
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert_still_serving(node)


def test_pixel_data_shorter_than_the_image_refused(node):
    """A complete element, but Rows × Columns × 2 bytes need more than it holds: A900."""
    ds = ct_dataset(seed=43)
    ds.Rows = ds.Rows * 2
    status, comment = raw_store(node.port, encode_dataset(ds), str(ds.SOPInstanceUID))
    refused(node, status, comment, DATASET_MISMATCH, "the image needs")
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert_still_serving(node)


def test_undefined_length_where_not_allowed_refused(node):
    uid = str(dicomgen.new_uid())
    data = identity(uid) + element(0x0040, 0x1001, "SH", b"", 0xFFFF)  # 64 KB promised, none sent
    status, comment = raw_store(node.port, data, uid)
    refused(node, status, comment, CANNOT_UNDERSTAND, "(0040,1001)")
    assert_nothing_stored(node, uid)
    status, comment = raw_store(node.port, identity(uid) + element(0x0040, 0xA160, "UT", b"", 0xFFFFFFFF), uid)
    refused(node, status, comment, CANNOT_UNDERSTAND, "undefined length")
    assert_nothing_stored(node, uid)


# ----------------------------------------------------------------------------- 6. provenance

def test_provenance_survives_catalog_loss(node_factory, pacs, tmp_path_factory):
    """Stored from calling AE PACS; the node stopped before analysis and its catalog deleted;
    on restart reconcile restores calling AE, peer host and received time from the files, and
    the results of the series go back to PACS."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}],
                     stable_seconds=3600)
    send(node, src / "source", calling="PACS")
    before = {r["sop_instance_uid"]: r for r in node.catalog().query("SELECT * FROM instances")}
    assert len(before) == len(files_of(src / "source"))
    assert node.stop() == 0
    for suffix in ("", "-wal", "-shm"):
        path = node.catalog_path.with_name(node.catalog_path.name + suffix)
        if path.exists():
            path.unlink()
    time.sleep(1.1)  # a receive time taken from the clock at reconcile would differ
    node.config["pipeline"]["stable_seconds"] = 1
    node.start()
    after = {r["sop_instance_uid"]: r for r in node.catalog().query("SELECT * FROM instances")}
    assert set(after) == set(before), "reconcile did not bring every instance back"
    for uid, row in after.items():
        assert row["calling_ae"] == "PACS", f"{uid}: calling_ae {row['calling_ae']!r} after reconcile"
        assert row["remote_host"] == "127.0.0.1", f"{uid}: remote_host {row['remote_host']!r} after reconcile"
        assert abs(float(row["received_at"]) - float(before[uid]["received_at"])) < 1.0, \
            f"{uid}: received_at {row['received_at']} after reconcile, {before[uid]['received_at']} before"
    j = wait_jobs(node, 1)
    assert j[0]["state"] == "done" and j[0]["calling_ae"] == "PACS", j
    d = wait_delivered(node)
    assert d and all(x["last_status"] == "0000" for x in d), deliveries(node)
    assert wait_until(lambda: len(pacs.received()) == len(d), 10), pacs.received().keys()
    assert jobs(node)[0]["remote_host"] == "127.0.0.1"

"""What the node refuses, how it says so, and that it keeps serving afterwards.

Association rejections (A-ASSOCIATE-RJ result/source/reason as in PS3.8 9.3.4):
  calling AE not allowed    -> (1 permanent, 1 service user, 3 calling AE not recognized)
  called AE not ours        -> (1|2, 1 service user, 7 called AE not recognized)
  below min_free_mb         -> (2 transient, *, *)
  above max_associations    -> (2 transient, 3 service provider/presentation, 2 local limit exceeded)
C-STORE refusals: C000 (unreadable / missing UIDs), A900 (command vs dataset mismatch), A700
(out of space); each with an ErrorComment and nothing left in spool/. Non-conformant UIDs are
stored (issue 14, DESIGN §6).
"""
import os
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest

import dicomgen
from conftest import (CANNOT_UNDERSTAND, DATASET_MISMATCH, OUT_OF_RESOURCES, SUCCESS,
                      assert_dataset_equal, assert_spool_clean, associate, check_catalogued,
                      contexts_for, encode_dataset, pn_echo, prepare, rejection, run_echoscu,
                      send_raw_c_store, status_of, store_one, wait_until)

CT = str(dicomgen.CT_IMAGE_STORAGE)
MR = str(dicomgen.MR_IMAGE_STORAGE)
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


def assert_still_serving(node, calling="AFTERSCU"):
    """The node answers C-ECHO and stores (and catalogues) a good instance."""
    assert pn_echo(node.port, calling=calling) == SUCCESS, "node no longer answers C-ECHO"
    ds = prepare(dicomgen.ct_series(1, 32, 32, seed=99)[0])
    st, rsp = store_one(node.port, ds, calling=calling)
    assert st == SUCCESS, f"a good store afterwards was answered {rsp}"
    path = check_catalogued(node, str(ds.SOPInstanceUID), str(ds.StudyInstanceUID),
                            str(ds.SeriesInstanceUID), calling_ae=calling)
    assert_dataset_equal(ds, path)
    return str(ds.SOPInstanceUID)


def assert_nothing_stored(node, sop_uid=None):
    rows = node.catalog().instances() if node.catalog_path.exists() else {}
    assert not rows, f"catalog holds instances after a refusal: {list(rows)[:3]}"
    assert_spool_clean(node, allowed=set(), wait=5)
    if sop_uid:
        strays = [p for p in node.workdir.parent.rglob(f"*{sop_uid[-20:]}*")]
        assert not strays, f"files named after the refused instance exist: {strays}"


# ----------------------------------------------------------------------------- associations

def test_unknown_calling_ae_rejected(node_factory):
    node = node_factory(config={"security": {"allowed_callers": [
        "GOODSCU", "HOSTSCU@127.0.0.1", "FARSCU@10.255.255.1"]}})
    assoc = associate(node.port, calling="BADSCU")
    assert rejection(assoc) == (1, 1, 3), \
        f"calling AE BADSCU: expected A-ASSOCIATE-RJ (1 permanent, 1 user, 3 calling AE), got " \
        f"{rejection(assoc)} (established={assoc.is_established})"
    if assoc.is_established:
        assoc.release()
    far = associate(node.port, calling="FARSCU")
    assert rejection(far) == (1, 1, 3), \
        f"FARSCU is only allowed from 10.255.255.1, connected from 127.0.0.1: got {rejection(far)}"
    assert pn_echo(node.port, calling="HOSTSCU") == SUCCESS, "HOSTSCU@127.0.0.1 should be accepted"
    res = run_echoscu(node.port, calling="BADSCU")
    assert res.returncode != 0, "echoscu with a refused calling AE succeeded"
    assert_still_serving(node, calling="GOODSCU")


def test_wrong_called_ae_rejected(node):
    assoc = associate(node.port, calling="PYSCU", called="NOTAUTOSEG")
    rj = rejection(assoc)
    assert rj is not None and rj[1:] == (1, 7) and rj[0] in (1, 2), \
        f"called AE NOTAUTOSEG: expected A-ASSOCIATE-RJ (source 1, reason 7), got {rj}"
    assert_still_serving(node)


def test_watermark_rejects_association(node_factory):
    node = node_factory(config={"node": {"min_free_mb": 1_000_000_000}})  # 1 PB
    assoc = associate(node.port, calling="PYSCU")
    rj = rejection(assoc)
    assert rj is not None and rj[0] == 2, \
        f"free space < min_free_mb: expected a transient A-ASSOCIATE-RJ, got {rj} " \
        f"(established={assoc.is_established})"
    if assoc.is_established:
        assoc.release()
    assert node.running, "node exited instead of refusing"


def test_max_associations(node_factory):
    node = node_factory(config={"node": {"max_associations": 2}})
    held = [associate(node.port, calling=f"HOLD{i}") for i in range(2)]
    try:
        assert all(a.is_established for a in held), [rejection(a) for a in held]
        third = associate(node.port, calling="THIRD")
        rj = rejection(third)
        if third.is_established:
            third.release()
        assert rj is not None and rj[0] == 2, \
            f"3rd association with max_associations=2: expected transient rejection, got {rj}"
        assert rj == (2, 3, 2), f"expected (2 transient, 3 provider/presentation, 2 local limit), got {rj}"
    finally:
        for a in held:
            if a.is_established:
                a.release()
    # slots are given back when associations end
    assert wait_until(lambda: pn_echo(node.port, calling="FOURTH") == SUCCESS, 5), \
        "after releasing, a new association is still refused"


# ----------------------------------------------------------------------------- UIDs: stored unless missing

def _bad(field: str, value: str | None):
    ds = dicomgen.ct_series(1, 32, 32, seed=3)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if value is None:
            delattr(ds, field)
        else:
            setattr(ds, field, value)
    return prepare(ds)


NONCONFORMANT_UIDS = [
    ("SOPInstanceUID", "1.2.03"),                       # leading zero in a component
    ("StudyInstanceUID", "1.2.840.abc.1"),              # letters
    ("SeriesInstanceUID", "../../etc"),                 # path traversal
    ("SeriesInstanceUID", "1.2." + "3" * 70),           # > 64 characters
    ("StudyInstanceUID", "1.2..3"),                     # empty component
]


def _send(node, ds):
    assoc = associate(node.port, contexts_for([ds]), calling="PYSCU")
    assert assoc.is_established, rejection(assoc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return assoc.send_c_store(ds)
    finally:
        if assoc.is_established:
            assoc.release()


@pytest.mark.parametrize("field,value", NONCONFORMANT_UIDS,
                         ids=["sop-leading-zero", "study-letters", "series-traversal",
                              "series-too-long", "study-empty-component"])
def test_nonconformant_uid_stored_never_as_a_path(node, field, value):
    """Issue 14 (DESIGN §6, liberal): stored as sent (storescp stores them too), catalogued
    under the value, in a folder or file named by its digest, never by the value."""
    ds = _bad(field, value)
    rsp = _send(node, ds)
    assert status_of(rsp) == SUCCESS, f"{field}={value!r}: expected 0000, got {rsp}"
    rows = node.catalog().instance_rows(str(ds.SOPInstanceUID))
    assert len(rows) == 1, rows
    path = (node.data_dir / rows[0]["file_path"]).resolve()
    assert path.is_relative_to(node.spool.resolve()) and path.is_file(), path
    assert value not in rows[0]["file_path"], f"the UID named a path: {rows[0]['file_path']}"
    if value == "../../etc":
        assert not (node.data_dir / "etc").exists() and not (node.workdir / "etc").exists()
    assert_dataset_equal(ds, path)
    assert_still_serving(node)


def test_missing_study_uid_refused_c000(node):
    """What cannot be stored: no StudyInstanceUID leaves no place in the spool (DESIGN §5)."""
    ds = _bad("StudyInstanceUID", None)
    rsp = _send(node, ds)
    assert status_of(rsp) == CANNOT_UNDERSTAND, f"expected C000, got {rsp}"
    assert str(rsp.ErrorComment).strip() == "no StudyInstanceUID", rsp
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert_still_serving(node)


def test_unreadable_dataset_refused_c000(node):
    assoc = associate(node.port, [(CT, [EXPLICIT_LE])], calling="PYSCU")
    assert assoc.is_established, rejection(assoc)
    try:
        uid = dicomgen.new_uid()
        rsp = send_raw_c_store(assoc, context_id=1, affected_class=CT, affected_instance=uid,
                               dataset_bytes=b"\x08\x00\x18\x00UI\xff\xff" + os.urandom(300))
    finally:
        if assoc.is_established:
            assoc.release()
    assert rsp is not None, "no C-STORE response"
    assert rsp.Status == CANNOT_UNDERSTAND, f"garbage dataset: expected C000, got 0x{rsp.Status:04X}"
    assert rsp.ErrorComment, "no ErrorComment"
    assert_nothing_stored(node, uid)
    assert_still_serving(node)


# ----------------------------------------------------------------------------- A900

@pytest.mark.parametrize("mismatch", ["instance", "class"])
def test_command_dataset_mismatch_a900(node, mismatch):
    ds = prepare(dicomgen.ct_series(1, 32, 32, seed=4)[0])
    if mismatch == "instance":
        affected_class, affected_instance = CT, str(dicomgen.new_uid())  # != ds.SOPInstanceUID
        context_id = 1
    else:
        ds.SOPClassUID = MR  # the dataset claims MR, the command and context say CT
        affected_class, affected_instance = CT, str(ds.SOPInstanceUID)
        context_id = 1
    assoc = associate(node.port, [(CT, [EXPLICIT_LE]), (MR, [EXPLICIT_LE])], calling="PYSCU")
    assert assoc.is_established, rejection(assoc)
    try:
        rsp = send_raw_c_store(assoc, context_id=context_id, affected_class=affected_class,
                               affected_instance=affected_instance,
                               dataset_bytes=encode_dataset(ds, implicit=False))
    finally:
        if assoc.is_established:
            assoc.release()
    assert rsp is not None, "no C-STORE response"
    assert rsp.Status == DATASET_MISMATCH, f"{mismatch} mismatch: expected A900, got 0x{rsp.Status:04X}"
    assert rsp.ErrorComment, "no ErrorComment"
    assert_nothing_stored(node, str(ds.SOPInstanceUID))
    assert_still_serving(node)


# ----------------------------------------------------------------------------- disk space

@pytest.fixture
def tmpfs(tmp_path):
    """A 24 MB tmpfs, unmounted at teardown (after the node, which is set up later)."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "autoseg-test", str(mnt)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN): {res.stderr.strip()}")
    yield mnt
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _free_mb(path: Path) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / 2**20


def _fill(path: Path, leave_mb: float) -> Path:
    """Write a filler file so that about `leave_mb` MB stay free in path's file system."""
    filler = path / "filler.bin"
    size = int((_free_mb(path) - leave_mb) * 2**20)
    with open(filler, "wb") as f:
        f.write(b"\0" * max(size, 0))
        f.flush()
        os.fsync(f.fileno())
    return filler


def _store_until_refused(node, files, calling):
    """Store files one by one over one association; stop after two refusals.
    Returns [(uid, status, rsp)]."""
    datasets = [pydicom.dcmread(f) for f in files]
    assoc = associate(node.port, contexts_for(datasets[:1]), calling=calling)
    assert assoc.is_established, f"association refused: {rejection(assoc)}"
    out = []
    try:
        for ds in datasets:
            rsp = assoc.send_c_store(ds)
            out.append((str(ds.SOPInstanceUID), status_of(rsp), rsp, ds))
            if not assoc.is_established:
                break
            if sum(1 for _, s, _, _ in out if s != SUCCESS) >= 2:
                break
    finally:
        if assoc.is_established:
            assoc.release()
    return out


def _check_after_space_refusal(node, results, file_size):
    statuses = [s for _, s, _, _ in results]
    refused = [(u, r) for u, s, r, _ in results if s != SUCCESS]
    assert refused, f"no store was refused although the disk filled up: {len(results)} stored"
    for u, r in refused:
        assert status_of(r) == OUT_OF_RESOURCES, f"out of space: expected A700, got {r}"
        assert "ErrorComment" in r and str(r.ErrorComment).strip(), f"A700 without ErrorComment: {r}"
    first_refusal = statuses.index(next(s for s in statuses if s != SUCCESS))
    assert all(s != SUCCESS for s in statuses[first_refusal:]), \
        f"stores succeeded again after a refusal with no space freed: {[hex(s or 0) for s in statuses]}"
    acked = {u: ds for u, s, _, ds in results if s == SUCCESS}
    for u, ds in acked.items():
        path = check_catalogued(node, u, str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID))
        assert_dataset_equal(ds, path)
    refused_uids = {u for u, _ in refused}
    rows = node.catalog().instances()
    assert not refused_uids & set(rows), f"refused instances catalogued: {refused_uids & set(rows)}"
    assert_spool_clean(node, allowed=set(acked), wait=5)
    for p in node.spool_files():
        assert p.stat().st_size > file_size // 2, f"half-written file in spool: {p} ({p.stat().st_size} bytes)"
    return acked


def test_low_space_watermark_a700(tmpfs, node_factory, ct_files):
    files = ct_files(24, 512, "space")  # ~525 KB each
    file_size = files[0].stat().st_size
    data_dir = tmpfs / "data"
    data_dir.mkdir()
    filler = _fill(tmpfs, leave_mb=11.0)
    node = node_factory(data_dir=data_dir, config={"node": {"min_free_mb": 8}})
    results = _store_until_refused(node, files, "SPACESCU")
    acked = _check_after_space_refusal(node, results, file_size)
    assert 1 <= len(acked) <= 8, f"{len(acked)} stores acknowledged with ~11 MB free and min_free_mb=8"
    # still below the watermark: new associations are refused, transiently
    late = associate(node.port, calling="SPACESCU")
    rj = rejection(late)
    if late.is_established:
        late.release()
    assert rj is not None and rj[0] == 2, \
        f"association below min_free_mb (free {_free_mb(data_dir):.1f} MB): expected transient rejection, got {rj}"
    # with space given back it accepts and stores again
    filler.unlink()
    assert_still_serving(node, calling="SPACESCU")


def test_disk_full_write_fails_a700(tmpfs, node_factory, ct_files):
    files = ct_files(24, 512, "space")
    file_size = files[0].stat().st_size
    data_dir = tmpfs / "data"
    data_dir.mkdir()
    node = node_factory(data_dir=data_dir, config={"node": {"min_free_mb": 0}})
    # let the node create its catalog first, then leave room for about three instances
    assert pn_echo(node.port) == SUCCESS
    filler = _fill(tmpfs, leave_mb=1.7)
    results = _store_until_refused(node, files, "FULLSCU")
    _check_after_space_refusal(node, results, file_size)
    filler.unlink()
    assert_still_serving(node, calling="FULLSCU")

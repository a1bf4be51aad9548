"""Nothing acknowledged is lost: kill -9 mid-stream, restart, every 0000 is on disk."""
import threading

import pydicom

import dicomgen
from conftest import (SUCCESS, StoreLog, associate, check_catalogued, contexts_for, diff_datasets,
                      prepare, rejection, status_of, wait_until)

TOTAL = 300
KILL_AFTER = 100


def test_kill9_mid_stream_loses_no_acknowledged_instance(node_factory):
    node = node_factory("crash")
    datasets = [prepare(ds) for ds in dicomgen.ct_series(TOTAL, 256, 256, seed=21)]
    by_uid = {str(ds.SOPInstanceUID): ds for ds in datasets}
    log = StoreLog.new()
    fire, killed = threading.Event(), threading.Event()

    def killer():  # waits without polling (a polling thread starves pynetdicom of the GIL)
        if fire.wait(120):
            node.proc.kill()  # SIGKILL while the sender carries on with the next store
            killed.set()

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    assoc = associate(node.port, contexts_for(datasets[:1]), calling="CRASHSCU",
                      timeout=5)  # pynetdicom may only notice the dead peer by timeout
    assert assoc.is_established, rejection(assoc)
    others = []
    try:
        for ds in datasets:
            try:
                rsp = assoc.send_c_store(ds)
            except Exception as e:  # the peer died under us
                others.append(repr(e))
                break
            st = status_of(rsp)
            if st == SUCCESS:
                if log.add(str(ds.SOPInstanceUID)) >= KILL_AFTER:
                    fire.set()
            elif st is not None:
                others.append(f"{ds.SOPInstanceUID}: 0x{st:04X}")
            if not assoc.is_established:
                break
    finally:
        if assoc.is_established:
            assoc.abort()
    fire.set()
    killed.wait(10)
    t.join(5)
    node.proc.wait(10)
    acked = log.snapshot()
    assert killed.is_set(), f"the killer never fired: only {len(acked)} acknowledgements"
    assert KILL_AFTER <= len(acked) < TOTAL, \
        f"{len(acked)} acknowledged: the kill did not land mid-stream"
    refused = [o for o in others if ": 0x" in o]
    assert not refused, f"stores refused before the kill: {refused[:5]}"

    node.start()  # same port, same data dir
    cat = node.catalog()

    def all_catalogued():
        rows = cat.instances()
        return all(u in rows and rows[u]["status"] == "stored" for u in acked)

    wait_until(all_catalogued, 20, 0.25)
    rows = cat.instances()
    problems = []
    for uid in acked:
        ds = by_uid[uid]
        path = node.spool_path(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), uid)
        if not path.is_file():
            problems.append(f"{uid}: acknowledged but not on disk ({path})")
            continue
        try:
            got = pydicom.dcmread(path)
        except Exception as e:
            problems.append(f"{uid}: on disk but unreadable by pydicom: {e!r}")
            continue
        diffs = diff_datasets(ds, got)
        if diffs:
            problems.append(f"{uid}: differs from what was sent: {diffs[:3]}")
        if uid not in rows:
            problems.append(f"{uid}: on disk but not catalogued after restart (reconcile)")
        else:
            try:
                check_catalogued(node, uid, str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID),
                                 calling_ae=None, row=rows[uid])
            except AssertionError as e:
                problems.append(str(e))
    assert not problems, f"{len(problems)} of {len(acked)} acknowledged instances lost or wrong:\n" + \
        "\n".join(problems[:15])
    assert wait_until(lambda: not node.part_files(), 10), \
        f"temp files from before the crash still in spool/.incoming after restart: {node.part_files()}"
    # whatever else made it to disk (stored but not yet acknowledged) must be whole too
    for p in node.spool_files():
        uid = p.stem
        assert uid in by_uid, f"unknown file in spool: {p}"
        diffs = diff_datasets(by_uid[uid], pydicom.dcmread(p))
        assert not diffs, f"{p}: unacknowledged file in spool is not whole: {diffs[:3]}"
    assert node.running

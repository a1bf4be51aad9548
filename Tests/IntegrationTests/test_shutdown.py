"""Graceful shutdown: SIGTERM stops accepting, open associations finish, exit 0."""
import signal
import time

import pytest

import dicomgen
from conftest import (SUCCESS, assert_dataset_equal, associate, check_catalogued, contexts_for,
                      make_ae, port_open, prepare, rejection, status_of, wait_until)
from pynetdicom import build_context
from pynetdicom.sop_class import Verification


def _new_association_possible(port: int) -> bool:
    ae = make_ae("LATECOMER")
    ae.acse_timeout = 5
    ae.network_timeout = 5
    assoc = ae.associate("127.0.0.1", port, contexts=[build_context(Verification)], ae_title="AUTOSEG")
    ok = assoc.is_established
    if ok:
        assoc.release()
    return ok


def test_sigterm_lets_open_association_finish(node_factory):
    node = node_factory(config={"node": {"shutdown_grace": 15}})
    datasets = [prepare(ds) for ds in dicomgen.ct_series(10, 64, 64, seed=31)]
    assoc = associate(node.port, contexts_for(datasets[:1]), calling="TERMSCU")
    assert assoc.is_established, rejection(assoc)
    acked, after = [], []
    try:
        for ds in datasets[:5]:
            st = status_of(assoc.send_c_store(ds))
            assert st == SUCCESS, f"store before SIGTERM answered {st}"
            acked.append(ds)
        node.send_signal(signal.SIGTERM)
        time.sleep(1.5)  # let the accept loop notice the stop
        assert node.running, f"node exited with {node.proc.returncode} while an association was open"
        assert not _new_association_possible(node.port), \
            "a new association was accepted after SIGTERM"
        for ds in datasets[5:]:
            st = status_of(assoc.send_c_store(ds))
            after.append(st)
            if st == SUCCESS:
                acked.append(ds)
    finally:
        if assoc.is_established:
            assoc.release()
    rc = node.wait_exit(15)
    assert rc is not None, "node still running 15 s after the last association was released"
    assert rc == 0, f"exit code {rc} after SIGTERM, expected 0"
    assert after == [SUCCESS] * 5, \
        f"stores on the open association after SIGTERM: {[hex(s) if s is not None else None for s in after]}" \
        " (expected all 0000: open associations may finish)"
    for ds in acked:
        path = check_catalogued(node, str(ds.SOPInstanceUID), str(ds.StudyInstanceUID),
                                str(ds.SeriesInstanceUID), calling_ae="TERMSCU")
        assert_dataset_equal(ds, path)
    assert not port_open(node.port), "port still open after exit"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_grace_expires_on_idle_association(node_factory, sig):
    grace = 2
    node = node_factory(config={"node": {"shutdown_grace": grace}})
    ds = prepare(dicomgen.ct_series(1, 32, 32, seed=32)[0])
    assoc = associate(node.port, contexts_for([ds]), calling="IDLESCU")
    assert assoc.is_established, rejection(assoc)
    assert status_of(assoc.send_c_store(ds)) == SUCCESS
    t0 = time.monotonic()
    node.send_signal(sig)
    rc = node.wait_exit(grace + 10)
    took = time.monotonic() - t0
    try:
        assert rc is not None, f"node still running {grace + 10} s after {sig.name} with an idle association " \
                               f"(shutdown_grace={grace})"
        assert rc == 0, f"exit code {rc} after {sig.name}, expected 0"
        assert took >= grace - 0.5, \
            f"exited {took:.1f} s after {sig.name}: the open association was not given the " \
            f"grace period of {grace} s"
        assert wait_until(lambda: not assoc.is_established, 5), \
            "association still established after the node exited"
    finally:
        if assoc.is_established:
            assoc.abort()
    path = check_catalogued(node, str(ds.SOPInstanceUID), str(ds.StudyInstanceUID),
                            str(ds.SeriesInstanceUID))
    assert_dataset_equal(ds, path)


def test_sigterm_idle_node_exits_promptly(node):
    t0 = time.monotonic()
    rc = node.stop(signal.SIGTERM, timeout=10)
    assert rc == 0, f"exit code {rc}"
    assert time.monotonic() - t0 < 5, "an idle node took more than 5 s to stop"

"""Issue 15, delivery: one PACS must never stop the others. A black-holed PACS (accepts TCP,
never answers) delays only its own results; SIGTERM during a stalled delivery exits within
shutdown_grace; a permanent refusal becomes a dead letter that `autoseg redeliver` revives;
each result is recorded the moment its own C-STORE response arrives. Real peers: storescu
in, storescp and pynetdicom out, a raw TCP black hole.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time

from pynetdicom import AE, evt
from pynetdicom.sop_class import (ComprehensiveSRStorage, Comprehensive3DSRStorage, SecondaryCaptureImageStorage,
                                  SegmentationStorage)

from conftest import free_port, run_autoseg, wait_until
from pipeline_helpers import StoreSCP, deliveries, node_with, send, source, wait_jobs


class BlackHole:
    """Accepts TCP connections and never reads or answers (a PACS that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


class RefusingPACS:
    """A pynetdicom storage SCP that answers every C-STORE with `status` (0x0122 by default)."""

    def __init__(self, status: int = 0x0122, port: int | None = None):
        self.port = port or free_port()
        self.status = status
        self.calls = 0
        ae = AE(ae_title="PACS")
        for cls in (SegmentationStorage, ComprehensiveSRStorage, Comprehensive3DSRStorage, SecondaryCaptureImageStorage):
            ae.add_supported_context(cls)
        self.server = ae.start_server(("127.0.0.1", self.port), block=False,
                                      evt_handlers=[(evt.EVT_C_STORE, self._store)])

    def _store(self, event):
        self.calls += 1
        return self.status

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server = None


def test_a_black_holed_pacs_delays_only_its_own_results(node_factory, tmp_path, tmp_path_factory):
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    hole = BlackHole()
    good = StoreSCP(tmp_path, ae="ZZGOOD")
    try:
        # Sorted by AE title the black hole comes first: a serial outbox would wait for it.
        node = node_with(node_factory, [{"ae_title": "AAHOLE", "host": "127.0.0.1", "port": hole.port},
                                        {"ae_title": "ZZGOOD", "host": "127.0.0.1", "port": good.port, "send_all": True}])
        send(node, src / "source", calling="AAHOLE")
        done = wait_jobs(node, 1)
        assert done[0]["state"] == "done", done
        finished = done[0]["finished_at"]

        def good_sent():
            d = [x for x in deliveries(node) if x["peer_ae"] == "ZZGOOD"]
            return d and all(x["state"] == "sent" for x in d)
        assert wait_until(good_sent, 20, 0.2), deliveries(node)
        last = max(x["sent_at"] for x in deliveries(node) if x["peer_ae"] == "ZZGOOD")
        print(f"healthy PACS acknowledged everything {last - finished:.2f} s after the job ended")
        assert last - finished < 10, f"the healthy PACS waited {last - finished:.1f} s behind the black hole"
        assert all(x["state"] == "pending" for x in deliveries(node) if x["peer_ae"] == "AAHOLE")
        assert node.running
        for line in node.log_text().splitlines():  # one event, one line
            assert not line or line.startswith("=====") or re.match(r"\d{4}-\d\d-\d\dT", line), \
                f"log line is not an event: {line!r}"
    finally:
        hole.stop()
        good.stop()


def test_sigterm_during_a_stalled_delivery_honours_shutdown_grace(node_factory, tmp_path_factory):
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    hole = BlackHole()
    try:
        node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": hole.port}], start=False)
        node.config["node"]["shutdown_grace"] = 3
        node.start()
        send(node, src / "source")
        assert wait_jobs(node, 1)[0]["state"] == "done"
        assert wait_until(lambda: len(hole.conns) > 0, 10), "the node never connected to the PACS"
        time.sleep(1)
        t0 = time.monotonic()
        assert node.stop(timeout=60) == 0, node.log_tail()
        took = time.monotonic() - t0
        print(f"exit {took:.1f} s after SIGTERM with a stalled delivery (shutdown_grace 3 s)")
        assert took < 3 + 5, f"SIGTERM took {took:.1f} s"
        assert all(x["state"] == "pending" for x in deliveries(node)), "nothing unacknowledged is lost"
    finally:
        hole.stop()


def test_a_permanent_refusal_becomes_a_dead_letter_until_redelivered(node_factory, autoseg_bin, tmp_path,
                                                                   tmp_path_factory):
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    pacs = RefusingPACS(0x0122)
    try:
        node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}],
                         dead_letter_after=2, retry_max_seconds=1)
        send(node, src / "source")
        assert wait_jobs(node, 1)[0]["state"] == "done"
        assert wait_until(lambda: deliveries(node) and all(x["state"] == "failed" for x in deliveries(node)), 30, 0.2), \
            deliveries(node)
        calls = pacs.calls
        time.sleep(3)  # well past the back-off: a dead letter is not retried
        assert pacs.calls == calls, "a dead letter was retried"
        assert all(x["attempts"] == 2 and x["last_status"] == "0122" for x in deliveries(node)), deliveries(node)
        status = json.loads(run_autoseg(autoseg_bin, "status", "--config", str(node.config_path), "--json").stdout)
        assert status["deliveries"]["failed"] == len(deliveries(node)), status["deliveries"]
        assert all(d["state"] == "failed" for d in status["pending_deliveries"])
        # The PACS is fixed (now it accepts); the operator redelivers.
        pacs.stop()
        good = StoreSCP(tmp_path, ae="PACS", port=pacs.port)
        try:
            res = run_autoseg(autoseg_bin, "redeliver", "--config", str(node.config_path))
            assert res.returncode == 0 and "pending again" in res.stdout, res.stdout + res.stderr
            assert wait_until(lambda: all(x["state"] == "sent" for x in deliveries(node)), 30, 0.2), deliveries(node)
            assert len(good.received()) == len(deliveries(node))
        finally:
            good.stop()
    finally:
        pacs.stop()


class SlowCountingPACS(RefusingPACS):
    """Accepts every C-STORE after `delay` seconds and counts each UID it receives."""

    def __init__(self, delay: float, port: int | None = None):
        self.delay = delay
        self.received: list[str] = []
        super().__init__(0x0000, port)

    def _store(self, event):
        time.sleep(self.delay)
        self.received.append(event.request.AffectedSOPInstanceUID)
        return 0x0000


def test_each_result_is_recorded_as_its_own_response_arrives(node_factory, tmp_path_factory):
    """kill -9 in the middle of a batch: what the PACS acknowledged before is not sent again."""
    src = source(tmp_path_factory.getbasetemp(), "liver", 128, 3)
    pacs = SlowCountingPACS(1.5)
    try:
        node = node_with(node_factory, [{"ae_title": "PACS", "host": "127.0.0.1", "port": pacs.port}])
        send(node, src / "source")
        assert wait_jobs(node, 1)[0]["state"] == "done"
        total = len(deliveries(node))
        assert total >= 3, deliveries(node)
        assert wait_until(lambda: any(x["state"] == "sent" for x in deliveries(node)), 20, 0.05), \
            "no result was recorded before the whole batch ended"
        node.kill9()
        sent_before = {x["result_uid"] for x in deliveries(node) if x["state"] == "sent"}
        assert 0 < len(sent_before) < total, (len(sent_before), total)
        node.start()
        assert wait_until(lambda: all(x["state"] == "sent" for x in deliveries(node)), 60, 0.2), deliveries(node)
        for uid in sent_before:
            assert pacs.received.count(uid) == 1, f"{uid} acknowledged before the kill was sent again"
    finally:
        pacs.stop()

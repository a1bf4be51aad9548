"""Self-checks of the test harness that need no autoseg binary: the generated variants, and
the byte-level comparison against DCMTK's own storescp -B (bit-preserving) as the reference
receiver, so a failure elsewhere points at the node, not at the harness."""
import subprocess
import time

import pydicom

from conftest import (STORESCP, assert_raw_dataset_equal, dcmtk_env, free_port, port_open,
                      run_storescu, split_part10, storescu_failures)
from dicomvariants import VARIANT_SPECS


def test_variants_have_their_transfer_syntax_and_unique_uids(variants):
    assert [v.name for v in variants] == [s[0] for s in VARIANT_SPECS]
    seen = set()
    for v in variants:
        for f, uid in zip(v.files, v.sop_instance_uids):
            ds = pydicom.dcmread(f)
            assert str(ds.file_meta.TransferSyntaxUID) == v.transfer_syntax, f
            assert ds.SOPInstanceUID == uid and ds.SeriesInstanceUID == v.series_uid
            assert uid not in seen
            seen.add(uid)
            meta, body = split_part10(f.read_bytes())
            assert meta[128:132] == b"DICM" and len(body) > 1000


def test_storescu_to_storescp_bit_preserving_roundtrip(variants, tmp_path):
    # storescp +xa accepts every syntax we generate except JPEG lossless process 14 (.4.57)
    chosen = [v for v in variants if v.transfer_syntax != "1.2.840.10008.1.2.4.57"]
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    scp = subprocess.Popen([STORESCP, "+xa", "-B", "-aet", "AUTOSEG", "-od", str(out), str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dcmtk_env())
    try:
        deadline = time.monotonic() + 10
        while not port_open(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        res = run_storescu(port, [f for v in chosen for f in v.files], profile_dir=tmp_path)
        assert res.returncode == 0 and not storescu_failures(res), res.stderr[-2000:]
    finally:
        scp.terminate()
        scp.wait(10)
    received = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p for p in out.iterdir()}
    for v in chosen:
        for f, uid in zip(v.files, v.sop_instance_uids):
            assert uid in received, f"[{v.name}] {f} not received by storescp"
            assert_raw_dataset_equal(f, received[uid])

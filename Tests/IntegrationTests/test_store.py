"""C-STORE of every transfer-syntax variant from three peers; re-sends; concurrency."""
import subprocess

import pydicom

from pydicom.uid import UID

from conftest import (STORESCU, SUCCESS, UNCOMPRESSED_SYNTAXES, assert_dataset_equal, assert_raw_dataset_equal,
                      assert_spool_clean, associate, check_catalogued, contexts_for, dcmtk_env,
                      diff_datasets, prepare, rejection, run_autoseg, run_storescu,
                      storescu_failures, storescu_profile, status_of, store_one)
import dicomgen


def _all(variants):
    return [(v, f, uid) for v in variants for f, uid in zip(v.files, v.sop_instance_uids)]


def test_storescu_every_variant_one_association(node, variants, tmp_path):
    files = [f for v in variants for f in v.files]
    res = run_storescu(node.port, files, calling="STORESCU", profile_dir=tmp_path)
    failures = storescu_failures(res)
    assert res.returncode == 0 and not failures, \
        f"storescu exited {res.returncode}; failures: {failures[:10]}\n{res.stderr[-2000:]}"
    problems = []
    for v, f, uid in _all(variants):
        try:
            stored = check_catalogued(node, uid, v.study_uid, v.series_uid, calling_ae="STORESCU",
                                      transfer_syntax=v.transfer_syntax)
            assert_raw_dataset_equal(f, stored)
        except AssertionError as e:
            problems.append(f"[{v.name}] {e}")
    assert not problems, f"{len(problems)} of {len(files)} instances wrong:\n" + "\n".join(problems)
    rows = node.catalog().instances()
    assert len(rows) == len(files), f"catalog has {len(rows)} instances, sent {len(files)}"
    assert {r["remote_host"] for r in rows.values()} == {"127.0.0.1"}, \
        f"remote_host values: {sorted({r['remote_host'] for r in rows.values()})}"
    assert_spool_clean(node, allowed={uid for _, _, uid in _all(variants)})


def test_pynetdicom_every_variant(node, variants):
    datasets = [(v, pydicom.dcmread(f), uid) for v, f, uid in _all(variants)]
    assoc = associate(node.port, contexts_for([d for _, d, _ in datasets]), calling="PYSTORE")
    assert assoc.is_established, f"association refused: {rejection(assoc)}"
    rejected = [(c.abstract_syntax, c.transfer_syntax) for c in assoc.rejected_contexts]
    try:
        statuses = {uid: status_of(assoc.send_c_store(ds)) for _, ds, uid in datasets}
    finally:
        assoc.release()
    assert not rejected, f"node rejected presentation contexts: {rejected}"
    bad = {uid: st for uid, st in statuses.items() if st != SUCCESS}
    assert not bad, f"stores not answered 0000: { {u: (hex(s) if s is not None else None) for u, s in bad.items()} }"
    problems = []
    for v, ds, uid in datasets:
        try:
            stored = check_catalogued(node, uid, v.study_uid, v.series_uid, calling_ae="PYSTORE",
                                      transfer_syntax=v.transfer_syntax)
            got = assert_dataset_equal(ds, stored)
            assert str(got.file_meta.TransferSyntaxUID) == v.transfer_syntax, \
                f"{stored}: file meta transfer syntax {got.file_meta.TransferSyntaxUID}"
        except AssertionError as e:
            problems.append(f"[{v.name}] {e}")
    assert not problems, "\n".join(problems)
    assert_spool_clean(node, allowed=set(statuses))


def test_autoseg_send_every_variant(node, variants, autoseg_bin):
    dirs = [v.files[0].parent for v in variants]  # FILE_OR_DIR: pass the folders
    res = run_autoseg(autoseg_bin, "send", *map(str, dirs), "--to", node.addr,
                      "--calling-ae", "ASSEND", timeout=180)
    n = sum(len(v.files) for v in variants)
    assert res.returncode == 0, (f"`autoseg send` exited {res.returncode}\nstdout:\n{res.stdout[-3000:]}"
                                 f"\nstderr:\n{res.stderr[-2000:]}")
    lines = [l for l in res.stdout.splitlines() if l.strip()]
    assert len(lines) == n, f"`autoseg send` printed {len(lines)} stdout lines for {n} files:\n{res.stdout[-3000:]}"
    unnamed = [str(f) for _, f, uid in _all(variants)
               if not any(str(f) in l or f.name in l and f.parent.name in l or uid in l for l in lines)]
    assert not unnamed, f"no stdout line names these files (path or SOP Instance UID): {unnamed[:5]}"
    # An SCU may send an uncompressed file in another uncompressed syntax (the SCP picks
    # from what is proposed); compressed files must travel as they are.
    problems = []
    for v, f, uid in _all(variants):
        try:
            stored = check_catalogued(node, uid, v.study_uid, v.series_uid, calling_ae="ASSEND")
            got = pydicom.dcmread(stored)
            ts = str(got.file_meta.TransferSyntaxUID)
            row = node.catalog().instance_rows(uid)[0]
            assert row["transfer_syntax_uid"] == ts, \
                f"catalog says {row['transfer_syntax_uid']}, the stored file's meta says {ts}"
            if v.transfer_syntax in UNCOMPRESSED_SYNTAXES:
                assert ts in UNCOMPRESSED_SYNTAXES, f"uncompressed file stored as {ts}"
            else:
                assert ts == v.transfer_syntax, \
                    f"sent a {UID(v.transfer_syntax).name} file, stored as {ts} ({UID(ts).name})"
            diffs = diff_datasets(pydicom.dcmread(f), got,
                                  pixels="raw" if ts == v.transfer_syntax else "array")
            assert not diffs, f"{stored} differs from {f}: {diffs[:5]}"
        except AssertionError as e:
            problems.append(f"[{v.name}] {e}")
    assert not problems, "\n".join(problems)


def test_autoseg_send_reports_failure(node, autoseg_bin, tmp_path, ct_files):
    good = ct_files(1, 64, "sendfail")[0]
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"this is not DICOM\n" * 50)
    res = run_autoseg(autoseg_bin, "send", str(good), str(junk), "--to", node.addr,
                      "--calling-ae", "ASSEND", timeout=120)
    assert res.returncode == 1, (f"`autoseg send GOOD JUNK` exited {res.returncode}, expected 1\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}")
    lines = [l for l in res.stdout.splitlines() if l.strip()]
    assert len(lines) == 2, f"expected one line per file (2), got:\n{res.stdout}"
    uid = pydicom.dcmread(good, stop_before_pixels=True).SOPInstanceUID
    assert len(node.catalog().instance_rows(uid)) == 1, "the good file was not stored"


def test_autoseg_send_unreachable(autoseg_bin, ct_files):
    from conftest import free_port
    res = run_autoseg(autoseg_bin, "send", str(ct_files(1, 64, "sendfail")[0]), "--to",
                      f"AUTOSEG@127.0.0.1:{free_port()}", timeout=60)
    assert res.returncode == 1, f"send to a closed port exited {res.returncode}, expected 1\n{res.stderr}"


def test_resend_replaces_not_duplicates(node, tmp_path):
    ds = prepare(dicomgen.ct_series(1, 64, 64, seed=5)[0])
    uid, study, series = str(ds.SOPInstanceUID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)
    first = tmp_path / "v1.dcm"
    dicomgen.write_dataset(ds, first)
    # 1) the same file twice through storescu
    for _ in range(2):
        res = run_storescu(node.port, [first], calling="STORESCU", profile_dir=tmp_path)
        assert res.returncode == 0 and not storescu_failures(res), res.stderr[-2000:]
    stored = check_catalogued(node, uid, study, series, calling_ae="STORESCU")
    assert_raw_dataset_equal(first, stored)
    # 2) a changed version of the same instance (same UIDs) through pynetdicom: replaces
    ds2 = pydicom.dcmread(first)
    ds2.InstitutionName = "Second Version Hospital"
    ds2.PixelData = bytes(len(ds2.PixelData))
    st, rsp = store_one(node.port, ds2, calling="PYRESEND")
    assert st == SUCCESS, f"re-send answered {rsp}"
    stored = check_catalogued(node, uid, study, series, calling_ae="PYRESEND")
    assert_dataset_equal(ds2, stored)
    assert node.catalog().count("instances") == 1
    assert node.catalog().count("series") == 1
    assert [p.name for p in node.spool_files()] == [f"{uid}.dcm"], \
        f"spool holds {[str(p.relative_to(node.spool)) for p in node.spool_files()]}"
    assert_spool_clean(node, allowed={uid})


def test_four_concurrent_storescu_associations(node, ct_files, tmp_path):
    files = ct_files(200, 64, "conc")
    chunks = [files[i::4] for i in range(4)]
    procs = []
    for i, chunk in enumerate(chunks):
        cfg = storescu_profile(chunk, tmp_path / f"p{i}.cfg")
        cmd = [STORESCU, "-xf", str(cfg), "Exact", "-nh", "-aet", f"CONC{i}", "-aec", "AUTOSEG",
               "127.0.0.1", str(node.port), *map(str, chunk)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=dcmtk_env()))
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        outs.append((p.returncode, out + err))
    bad = [(i, rc, o[-800:]) for i, (rc, o) in enumerate(outs)
           if rc != 0 or storescu_failures(subprocess.CompletedProcess([], rc, o, ""))]
    assert not bad, f"storescu runs failed: {bad}"
    rows = node.catalog().instances()
    uids = {}
    for i, chunk in enumerate(chunks):
        for f in chunk:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
            uids[str(ds.SOPInstanceUID)] = (f, str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), f"CONC{i}")
    missing = sorted(set(uids) - set(rows))
    assert not missing, f"{len(missing)} of 200 instances not catalogued, e.g. {missing[:3]}"
    assert len(rows) == 200, f"catalog has {len(rows)} instances, expected 200"
    problems = []
    for uid, (f, study, series, ae) in uids.items():
        try:
            stored = check_catalogued(node, uid, study, series, calling_ae=ae, row=rows[uid])
            assert_raw_dataset_equal(f, stored)
        except AssertionError as e:
            problems.append(str(e))
    assert not problems, f"{len(problems)} bad instances:\n" + "\n".join(problems[:10])
    assert node.catalog().count("series") == 1 and node.catalog().count("studies") == 1
    assert_spool_clean(node, allowed=set(uids))

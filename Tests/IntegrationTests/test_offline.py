"""The offline pipeline through the CLI: `autoseg phantom` → `autoseg run` → `autoseg eval`.

For each analyzer a small phantom is written, analyzed by `autoseg run --json` into SEG / SR /
key images + findings.json / labels.nii, and scored by `autoseg eval`. The DICOM results are
checked by dciodvfy (zero errors, only the warnings test_results.py accepts) and read back by
highdicom; a second run must write the same SOP Instance UIDs. Bad usage must exit 2; a folder
without DICOM must be reported clearly and exit 1 (DESIGN §3, README "Offline analysis").
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

import dicomgen
from conftest import run_autoseg
from results_helpers import ACCEPTED_WARNINGS, SC_CLASS, SEG_CLASS, SR_CLASS

import highdicom as hd  # noqa: E402

DCIODVFY = "/usr/bin/dciodvfy"

# Small phantoms so the whole file runs in well under a minute of analysis (debug build).
SIZES = {"lung": 192, "liver": 128, "infarct": 64}
SEED = 3
# Series each phantom yields as analyses: lung and liver one CT; infarct the ADC map with its DWI
# trace (ADC primary + DWI) and the CT perfusion pair (rCBF primary + Tmax).
ANALYSES = {"lung": 1, "liver": 1, "infarct": 2}
# Lowest headline sensitivity eval must report for the analyzer on its own phantom (the
# analyzers reach far more at full size; these guard against a broken chain, not tune quality).
MIN_SENSITIVITY = {"lung": 0.5, "liver": 0.5, "infarct": 1.0}


def run_json(autoseg_bin, *args, timeout=170):
    res = run_autoseg(autoseg_bin, "run", *args, "--json", timeout=timeout)
    try:
        doc = json.loads(res.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"`autoseg run --json` printed no JSON ({e}); exit {res.returncode}\n"
                             f"stdout:\n{res.stdout[:2000]}\nstderr:\n{res.stderr[-3000:]}")
    return res, doc


class Offline:
    """One analyzer's phantom, its first run and (lazily) a second run into the same folder."""

    def __init__(self, kind: str, root: Path, autoseg_bin: Path):
        self.kind = kind
        self.root = root
        self.bin = autoseg_bin
        self.phantom = root / "phantom"
        self.out = root / "out"
        res = run_autoseg(autoseg_bin, "phantom", kind, "--out", self.phantom, "--seed", SEED,
                          "--size", SIZES[kind], timeout=170)
        assert res.returncode == 0, f"phantom {kind} exited {res.returncode}\n{res.stdout}\n{res.stderr}"
        self.phantom_stdout = res.stdout
        self.truth = json.loads((self.phantom / "truth.json").read_text())
        self.run_result, self.summary = run_json(autoseg_bin, self.phantom, "--out", self.out)
        self._second = None

    @property
    def second(self):
        if self._second is None:
            self._second = run_json(self.bin, self.phantom, "--out", self.out)
        return self._second

    def analyses(self, summary=None) -> list[dict]:
        return (summary or self.summary)["analyses"]

    def dirs(self) -> list[Path]:
        return [Path(a["output"]) for a in self.analyses()]


@pytest.fixture(scope="module")
def offline(autoseg_bin, tmp_path_factory):
    made: dict[str, Offline] = {}

    def get(kind: str) -> Offline:
        if kind not in made:
            made[kind] = Offline(kind, tmp_path_factory.mktemp(f"offline-{kind}"), autoseg_bin)
        return made[kind]

    return get


KINDS = list(SIZES)


def dciodvfy_problems(path: Path) -> tuple[list[str], list[str]]:
    res = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)
    lines = (res.stdout + res.stderr).splitlines()
    errors = [l for l in lines if l.startswith("Error")]
    warnings = [l for l in lines if l.startswith("Warning") and not any(a.search(l) for a in ACCEPTED_WARNINGS)]
    return errors, warnings


# ----------------------------------------------------------------------------- phantom

@pytest.mark.parametrize("kind", KINDS)
def test_phantom_writes_series_and_truth(offline, kind):
    o = offline(kind)
    t = o.truth
    assert t["kind"] == kind and t["seed"] == SEED and t["size"] == SIZES[kind]
    assert t["lesions"], f"{kind}: the phantom has no lesions"
    assert (o.phantom / "truth.nii").stat().st_size > 348
    assert len(t["series"]) == (4 if kind == "infarct" else 1), t["series"]  # infarct: ADC, rCBF, Tmax, DWI
    for s in t["series"]:
        files = sorted((o.phantom / s["folder"]).glob("*.dcm"))
        assert len(files) == t["dimensions"][0], f"{s['folder']}: {len(files)} files for {t['dimensions'][0]} slices"
        ds = pydicom.dcmread(str(files[0]), stop_before_pixels=True)
        assert ds.SeriesInstanceUID == s["series_instance_uid"] and ds.StudyInstanceUID == t["study_instance_uid"]
        assert str(o.phantom / s["folder"]) in o.phantom_stdout, "phantom must say what it wrote"
    assert "truth.json" in o.phantom_stdout and "truth.nii" in o.phantom_stdout


def test_phantom_is_reproducible_and_replaces_an_earlier_phantom(autoseg_bin, tmp_path):
    d = tmp_path / "p"
    first = run_autoseg(autoseg_bin, "phantom", "infarct", "--out", d, "--size", 32, "--seed", 5)
    assert first.returncode == 0, first.stderr
    uids = sorted(pydicom.dcmread(str(p), stop_before_pixels=True).SOPInstanceUID for p in d.rglob("*.dcm"))
    # another phantom into the same folder replaces it completely (no stale series or slices)
    other = run_autoseg(autoseg_bin, "phantom", "lung", "--out", d, "--size", 48, "--seed", 5)
    assert other.returncode == 0, other.stderr
    assert sorted(p.name for p in d.iterdir()) == ["ct", "truth.json", "truth.nii"]
    again = run_autoseg(autoseg_bin, "phantom", "infarct", "--out", d, "--size", 32, "--seed", 5)
    assert again.returncode == 0, again.stderr
    assert sorted(pydicom.dcmread(str(p), stop_before_pixels=True).SOPInstanceUID for p in d.rglob("*.dcm")) == uids
    # a folder holding something else is not overwritten
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    res = run_autoseg(autoseg_bin, "phantom", "lung", "--out", foreign, "--size", 32)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "not empty" in res.stderr and (foreign / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- run

@pytest.mark.parametrize("kind", KINDS)
def test_run_analyzes_every_phantom_series(offline, kind):
    o = offline(kind)
    res, doc = o.run_result, o.summary
    assert res.returncode == 0, f"run exited {res.returncode}\n{res.stderr[-3000:]}"
    analyses = o.analyses()
    assert len(analyses) == ANALYSES[kind], [(a["analyzer"], a["status"], a["reason"]) for a in analyses]
    assert doc["counts"] == {"analyzed": ANALYSES[kind], "refused": 0, "failed": 0, "unanalyzed": 0,
                             "skipped_files": 0}, doc["counts"]
    truth_series = {s["series_instance_uid"] for s in o.truth["series"]}
    for a in analyses:
        assert a["analyzer"] == kind and a["status"] == "analyzed" and a["reason"] is None, a
        assert a["series_instance_uid"] in truth_series
        assert set(a["timings"]) == {"load_s", "analyze_s", "write_s"} and all(v >= 0 for v in a["timings"].values())
        d = Path(a["output"])
        assert d.parent == o.out and d.name == f"{a['series_instance_uid']}-{kind}"
        for f in a["findings"]:
            assert set(f) >= {"category", "volume_ml", "confidence"}, f
            assert 0 <= f["confidence"] <= 1 and f["volume_ml"] is not None and f["volume_ml"] > 0
        findings = json.loads((d / "findings.json").read_text())
        assert findings["series_instance_uid"] == a["series_instance_uid"]
        assert [f["number"] for f in findings["findings"]] == [f["number"] for f in a["findings"]]
        for f in findings["findings"]:
            m = {x["name"]: x["value"] for x in f["measurements"]}
            # Lung-RADS v2022: mean diameter = (long + short) / 2 to 0.1 mm, the category a letter.
            assert kind != "lung" or m["mean_diameter"] == pytest.approx((m["long_axis"] + m["short_axis"]) / 2, abs=0.0501)
            assert f["assessments"] == {} if kind != "lung" else f["assessments"]["lung_rads"] in {"2", "3", "4A", "4B"}
        names = sorted(p.name for p in d.iterdir())
        keyed = [f for f in findings["findings"] if f["voxels"] > 0]
        expected = sorted(["findings.json", "labels.nii", "seg.dcm", "sr.dcm"] + [f"sc-{f['number']}.dcm" for f in keyed])
        assert names == expected
        assert sorted(r["file"] for r in a["results"]) == [n for n in expected if n.endswith(".dcm")]
        # one progress line per analysis on stderr, with the analyzer, timings and findings count
        line = next((l for l in res.stderr.splitlines() if a["series_instance_uid"] in l and "analyze" in l), None)
        assert line is not None, f"no progress line for {a['series_instance_uid']}:\n{res.stderr}"
        assert kind in line and "load" in line and "write" in line and f"{len(a['findings'])} finding" in line, line
    if kind != "infarct":
        assert sum(len(a["findings"]) for a in analyses) > 0, f"{kind}: nothing found on the phantom"


@pytest.mark.parametrize("kind", KINDS)
def test_results_pass_dciodvfy(offline, kind):
    o = offline(kind)
    checked = 0
    for d in o.dirs():
        for f in sorted(d.glob("*.dcm")):
            errors, warnings = dciodvfy_problems(f)
            assert not errors, f"{kind} {f.name}: dciodvfy errors:\n" + "\n".join(errors)
            assert not warnings, f"{kind} {f.name}: new dciodvfy warnings:\n" + "\n".join(warnings)
            checked += 1
    assert checked >= 2 * ANALYSES[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_highdicom_reads_seg_and_sr(offline, kind):
    o = offline(kind)
    for a in o.analyses():
        d = Path(a["output"])
        findings = json.loads((d / "findings.json").read_text())
        segmented = [f for f in findings["findings"] if f["voxels"] > 0]
        organ = 1 if findings["organ_voxels"] > 0 else 0
        seg = hd.seg.segread(str(d / "seg.dcm"))
        assert seg.SOPClassUID == SEG_CLASS and seg.SegmentationType == "BINARY"
        assert seg.number_of_segments == organ + len(segmented)
        assert seg.StudyInstanceUID == o.truth["study_instance_uid"]
        assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == a["series_instance_uid"]
        assert kind in str(seg.SegmentSequence[0].SegmentAlgorithmName)
        sr = hd.sr.srread(str(d / "sr.dcm"))
        assert sr.SOPClassUID == SR_CLASS and sr.StudyInstanceUID == o.truth["study_instance_uid"]
        groups = sr.content.get_volumetric_roi_measurement_groups()
        assert len(groups) in (len(segmented), len(segmented) + organ), len(groups)
        for g in groups:
            ref = g.referenced_segment[0].ReferencedSOPSequence[0]
            assert ref.ReferencedSOPInstanceUID == seg.SOPInstanceUID
        for f in segmented:
            sc = pydicom.dcmread(str(d / f"sc-{f['number']}.dcm"))
            assert sc.SOPClassUID == SC_CLASS and sc.StudyInstanceUID == o.truth["study_instance_uid"]


def sop_uids(dirs: list[Path]) -> dict[str, str]:
    return {f"{d.name}/{f.name}": str(pydicom.dcmread(str(f), stop_before_pixels=True).SOPInstanceUID)
            for d in dirs for f in sorted(d.glob("*.dcm"))}


@pytest.mark.parametrize("kind", KINDS)
def test_second_run_writes_the_same_uids(offline, kind):
    o = offline(kind)
    before = sop_uids(o.dirs())
    res, doc = o.second
    assert res.returncode == 0, res.stderr[-3000:]
    assert [a["output"] for a in doc["analyses"]] == [a["output"] for a in o.analyses()]
    after = sop_uids(o.dirs())
    assert after == before, "a re-run must replace its results with the same SOP Instance UIDs"
    assert len(set(after.values())) == len(after), "every object has its own UID"
    assert [r["sop_instance_uid"] for a in doc["analyses"] for r in a["results"]] == \
        [r["sop_instance_uid"] for a in o.analyses() for r in a["results"]]


def test_no_key_images_and_output_inside_the_input(autoseg_bin, offline, tmp_path):
    """--no-key-images writes SEG and SR only; an output folder inside the input folder is not
    read back as input on a re-run."""
    o = offline("lung")
    inside = o.phantom / "results"
    try:
        for _ in range(2):
            res, doc = run_json(autoseg_bin, o.phantom, "--out", inside, "--no-key-images")
            assert res.returncode == 0, res.stderr[-3000:]
            assert doc["counts"]["analyzed"] == 1 and doc["counts"]["unanalyzed"] == 0, doc["counts"]
            d = Path(doc["analyses"][0]["output"])
            assert sorted(p.name for p in d.iterdir()) == ["findings.json", "labels.nii", "seg.dcm", "sr.dcm"]
        assert sop_uids([d]) == {k: v for k, v in sop_uids(o.dirs()).items() if not k.split("/")[1].startswith("sc-")}
    finally:
        subprocess.run(["rm", "-rf", str(inside)], check=True)


def test_unanalyzable_series_are_listed_with_the_reason(autoseg_bin, offline, tmp_path):
    o = offline("infarct")
    for i, ds in enumerate(dicomgen.mr_series(3, 32, 32, seed=77, description="AX T2 TSE")):
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M"]
        dicomgen.write_dataset(ds, tmp_path / "in" / "mr" / f"{i}.dcm")
    (tmp_path / "in" / "readme.txt").write_text("not DICOM")
    # only the CT perfusion pair of the infarct phantom, and only lung/liver allowed
    res, doc = run_json(autoseg_bin, tmp_path / "in", o.phantom / "rcbf", o.phantom / "tmax", "--out", tmp_path / "out",
                        "--analyzers", "lung,liver")
    assert res.returncode == 0, res.stderr
    assert doc["analyses"] == [] and doc["counts"]["skipped_files"] == 1
    reasons = {u["modality"] + " " + u["description"]: u["reason"] for u in doc["unanalyzed"]}
    assert len(doc["unanalyzed"]) == 3, doc["unanalyzed"]
    assert any("no analyzer for MR" in r for r in reasons.values()), reasons
    assert any("infarct" in r and "not selected" in r for r in reasons.values()), reasons
    assert "not analyzed" in res.stderr and "readme.txt" in res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ----------------------------------------------------------------------------- eval

@pytest.mark.parametrize("kind", KINDS)
def test_eval_scores_the_run(autoseg_bin, offline, kind):
    o = offline(kind)
    res = run_autoseg(autoseg_bin, "eval", "--truth", o.phantom, "--pred", o.out, "--json")
    assert res.returncode == 0, f"eval exited {res.returncode}\n{res.stderr}"
    doc = json.loads(res.stdout)
    assert len(doc["cases"]) == ANALYSES[kind], [c["name"] for c in doc["cases"]]
    assert not doc["unmatched_truths"] and not doc["unmatched_predictions"]
    for s in doc["summaries"]:
        assert s["analyzer"] == kind
        assert s["headline_total"] > 0, s
        assert s["headline_sensitivity"] is not None and s["headline_sensitivity"] >= MIN_SENSITIVITY[kind], s
        assert s["headline_sensitivity"] == pytest.approx(s["headline_detected"] / s["headline_total"])
        assert 0 <= s["case_dice_mean"] <= 1 and s["false_positives_per_scan"] >= 0
    table = run_autoseg(autoseg_bin, "eval", "--truth", o.phantom, "--pred", o.out)
    assert table.returncode == 0 and "headline" in table.stdout and "false positives per scan" in table.stdout, table


def test_eval_with_nothing_to_score_exits_1(autoseg_bin, offline, tmp_path):
    o = offline("infarct")
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run_autoseg(autoseg_bin, "eval", "--truth", o.phantom, "--pred", empty)
    assert res.returncode == 1 and "findings.json" in res.stderr, (res.returncode, res.stderr)
    res = run_autoseg(autoseg_bin, "eval", "--truth", empty, "--pred", o.out)
    assert res.returncode == 1 and "truth.json" in res.stderr, (res.returncode, res.stderr)


def test_eval_counts_a_truth_without_prediction_as_missed(autoseg_bin, offline, tmp_path):
    o = offline("lung")
    other = tmp_path / "other"
    res = run_autoseg(autoseg_bin, "phantom", "lung", "--out", other, "--size", 48, "--seed", 9)
    assert res.returncode == 0, res.stderr
    own = tmp_path / "own"  # the prediction's own truth, so that something pairs (else eval exits 1)
    own.mkdir()
    for name in ("truth.json", "truth.nii"):
        shutil.copy(o.phantom / name, own / name)
    res = run_autoseg(autoseg_bin, "eval", "--truth", tmp_path, "--pred", o.out, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["unmatched_truths"] == [str(other)] and not doc["unmatched_predictions"]
    missed = [c for c in doc["cases"] if "no prediction" in c["name"]]
    assert len(missed) == 1 and missed[0]["lesions"] and not any(l.get("matched_prediction") for l in missed[0]["lesions"])


# ----------------------------------------------------------------------------- usage

@pytest.mark.parametrize("args", [
    ["run"],
    ["run", "{phantom}"],
    ["run", "{phantom}", "--out", "{tmp}/o", "--analyzers", "lung,spleen"],
    ["run", "{phantom}", "--out", "{tmp}/o", "--analyzers", ","],
    ["run", "{tmp}/does-not-exist", "--out", "{tmp}/o"],
    ["run", "{phantom}", "--out", "{phantom}/truth.json"],
    ["run", "{phantom}", "--out", "{tmp}/o", "--bogus"],
    ["phantom", "spleen", "--out", "{tmp}/p"],
    ["phantom", "lung"],
    ["phantom", "lung", "--out", "{tmp}/p", "--size", "8"],
    ["phantom", "lung", "--out", "{tmp}/p", "--seed", "-1"],
    ["eval", "--truth", "{phantom}"],
    ["eval", "--truth", "{tmp}/does-not-exist", "--pred", "{phantom}"],
    ["eval", "--truth", "{phantom}/truth.json", "--pred", "{phantom}"],
], ids=["run-nothing", "run-no-out", "run-unknown-analyzer", "run-empty-analyzers", "run-missing-input",
        "run-out-is-file", "run-unknown-flag", "phantom-unknown-kind", "phantom-no-out", "phantom-tiny",
        "phantom-negative-seed", "eval-no-pred", "eval-missing-truth", "eval-truth-is-file"])
def test_bad_usage_exits_2(autoseg_bin, offline, tmp_path, args):
    phantom = offline("infarct").phantom
    argv = [a.format(phantom=phantom, tmp=tmp_path) for a in args]
    res = run_autoseg(autoseg_bin, *argv)
    assert res.returncode == 2, f"{argv}: exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    assert res.stderr.strip(), "a reason on stderr"
    assert not (tmp_path / "o").exists() and not (tmp_path / "p").exists()


@pytest.mark.parametrize("content", ["empty", "text"])
def test_run_on_a_folder_without_dicom(autoseg_bin, tmp_path, content):
    d = tmp_path / "in"
    d.mkdir()
    if content == "text":
        (d / "a.txt").write_text("hello")
        (d / "sub").mkdir()
        (d / "sub" / "b.dcm").write_bytes(b"\0" * 200)
    res, doc = run_json(autoseg_bin, d, "--out", tmp_path / "out")
    assert res.returncode == 1, (res.returncode, res.stderr)
    if content == "text":  # files, none of them DICOM: says so, with an example and its reason
        assert "no DICOM series" in res.stderr and "none of its 2 file(s) can be used" in res.stderr, res.stderr
        assert "not readable as DICOM" in res.stderr
    else:
        assert "no DICOM files" in res.stderr, res.stderr
    assert str(d) in res.stderr, res.stderr
    assert doc["series"] == 0 and doc["analyses"] == []
    assert doc["counts"]["skipped_files"] == (2 if content == "text" else 0)
    assert not (tmp_path / "out").exists()


def test_a_failed_analysis_exits_1_and_a_refusal_is_reported(autoseg_bin, offline, tmp_path):
    """Refused series (the analyzer cannot handle them) are normal: exit 0. A planned analysis
    that fails (here: a chest CT whose slices share one position, so no volume) exits 1, and the
    other series are still analyzed."""
    refused = tmp_path / "refused"
    for i, ds in enumerate(dicomgen.ct_series(5, 32, 32, seed=3)):  # 5 thin chest slices: too few
        dicomgen.write_dataset(ds, refused / f"{i}.dcm")
    res, doc = run_json(autoseg_bin, refused, "--out", tmp_path / "out1")
    assert res.returncode == 0, res.stderr
    [a] = doc["analyses"]
    assert a["status"] == "refused" and "too few" in a["reason"] and a["output"] is None, a
    assert "refused" in res.stderr and a["series_instance_uid"] in res.stderr

    broken = tmp_path / "broken"
    for i, ds in enumerate(dicomgen.ct_series(4, 32, 32, seed=4)):
        ds.ImagePositionPatient = [0, 0, 0]
        dicomgen.write_dataset(ds, broken / f"{i}.dcm")
    o = offline("infarct")
    res, doc = run_json(autoseg_bin, broken, refused, o.phantom / "adc", "--out", tmp_path / "out2")
    assert res.returncode == 1, (res.returncode, res.stderr)
    statuses = sorted((a["analyzer"], a["status"]) for a in doc["analyses"])
    assert statuses == [("infarct", "analyzed"), ("lung", "failed"), ("lung", "refused")], statuses
    failed = next(a for a in doc["analyses"] if a["status"] == "failed")
    assert "duplicate position" in failed["reason"] and "FAILED" in res.stderr
    assert doc["counts"]["failed"] == 1 and doc["counts"]["analyzed"] == 1

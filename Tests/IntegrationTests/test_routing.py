"""Content-aware routing (issue 14, item 2): a chest CT whose BodyPartExamined and
SeriesDescription are blank is routed to the lung analyzer by its pixels (the preflight:
aerated lungs inside the body), and `autoseg rules test`, `autoseg run --config` and the node
agree on it with the shipped conf/autoseg.toml. The series is the lung phantom of
`results-fixture` with those two attributes removed; storescu sends it to the node.
"""
from __future__ import annotations

import json
import tomllib

import pydicom

from conftest import REPO, run_autoseg
from pipeline_helpers import derived_series, node_with, send, source, wait_jobs

SHIPPED = REPO / "conf" / "autoseg.toml"


def blank_chest(tmp_path_factory, tmp_path):
    """The lung phantom as a new series without BodyPartExamined and SeriesDescription."""
    src = source(tmp_path_factory.getbasetemp(), "lung", 128, 1)
    out = tmp_path / "blank"

    def blank(_, ds):
        for keyword in ("BodyPartExamined", "SeriesDescription"):
            if keyword in ds:
                delattr(ds, keyword)
    uid = derived_series(src / "source", out, 10_000, blank)
    first = pydicom.dcmread(next(out.iterdir()), stop_before_pixels=True)
    assert "BodyPartExamined" not in first and "SeriesDescription" not in first
    return out, uid


def test_rules_test_run_and_node_agree_on_a_headerless_chest(autoseg_bin, node_factory, tmp_path_factory, tmp_path):
    folder, uid = blank_chest(tmp_path_factory, tmp_path)

    # rules test: the decision, and the measurements behind it
    rt = run_autoseg(autoseg_bin, "rules", "test", "--config", str(SHIPPED), "--json", str(folder))
    assert rt.returncode == 0, rt.stderr
    row = json.loads(rt.stdout)["series"][0]
    assert row["series_uid"] == uid and row["body_part"] == "" and row["series_description"] == ""
    assert row["planned"] == ["lung"], row
    content = row["content"]
    assert content["used_by_routing"] and "chest" in content["regions"], content
    assert content["measurements"]["lung images"] >= 2 and content["seconds"] < 2, content
    text = run_autoseg(autoseg_bin, "rules", "test", "--config", str(SHIPPED), str(folder))
    assert "region chest by the pixels" in text.stdout and "lung share of body" in text.stdout, text.stdout

    # run with the same rules: the same plan, and the lung analyzer runs
    res = run_autoseg(autoseg_bin, "run", str(folder), "--config", str(SHIPPED), "--out", str(tmp_path / "o"),
                      "--json", "--no-key-images", timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    doc = json.loads(res.stdout)
    assert [(a["analyzer"], a["status"]) for a in doc["analyses"]] == [("lung", "analyzed")], doc["analyses"]
    # and without --config, the built-in routing decides the same from the pixels
    (tmp_path / "empty.toml").write_text("# no [[rules]]: the built-in routing\n")
    plain = run_autoseg(autoseg_bin, "rules", "test", "--config", str(tmp_path / "empty.toml"), "--json", str(folder))
    assert json.loads(plain.stdout)["series"][0]["planned"] == ["lung"], plain.stdout

    # the node, with the shipped rules
    node = node_with(node_factory, [], start=False)
    node.config["rules"] = tomllib.loads(SHIPPED.read_text())["rules"]
    node.start()
    send(node, folder)
    j = wait_jobs(node, 1, timeout=240)
    assert [(x["analyzer"], x["rule"], x["series_uid"]) for x in j] == [("lung", row["rule"], uid)], j
    assert j[0]["state"] == "done", j


def test_forced_analyzer_runs_where_routing_would_not(autoseg_bin, tmp_path_factory, tmp_path):
    """--analyzers liver on a chest CT with blank headers: planned (forced), and only the liver
    analyzer itself may refuse it."""
    folder, _ = blank_chest(tmp_path_factory, tmp_path)
    res = run_autoseg(autoseg_bin, "run", str(folder), "--analyzers", "liver", "--out", str(tmp_path / "o"), "--json",
                      timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    doc = json.loads(res.stdout)
    assert [a["analyzer"] for a in doc["analyses"]] == ["liver"], doc
    assert doc["analyses"][0]["status"] in ("analyzed", "refused"), doc["analyses"][0]

#!/usr/bin/env python3
"""One REAL line for bench/real/run.sh: what `autoseg run --json` found and how `autoseg eval`
scored it against the case's truth (argv: case, run json, eval json or "", case folder, seconds)."""
import json
import sys
from pathlib import Path

name, run_path, eval_path, case_dir, seconds = sys.argv[1:6]
try:
    run = json.loads(Path(run_path).read_text())
except (OSError, ValueError):
    print(f"REAL {name} status=no-output seconds={seconds}")
    sys.exit(0)
truth_path = Path(case_dir) / "truth.json"
truth = json.loads(truth_path.read_text()) if truth_path.exists() else {}


def predicted_type(analysis, number):
    """The category AutoSeg gave finding `number` (solid / part-solid / ground-glass)."""
    return next((f["category"] for f in analysis["findings"] if f.get("number") == number), "?")

for a in run.get("analyses", []):
    parts = [f"analyzer={a['analyzer']}", f"status={a['status']}", f"findings={len(a['findings'])}"]
    if a["status"] != "analyzed":
        parts.append(f"reason=\"{(a.get('reason') or '')[:80]}\"")
    case_ml = {m["name"]: m["value"] for m in a.get("case_measurements", [])}
    if a["analyzer"] == "liver" and "liver_volume" in case_ml:
        parts.append(f"liver_ml={case_ml['liver_volume']:.1f}")
        if "volumes_ml" in truth and "liver" in truth["volumes_ml"]:
            parts.append(f"truth_liver_ml={truth['volumes_ml']['liver']:.1f}")
    if a["analyzer"] == "infarct" and "core_volume" in case_ml:
        parts.append(f"core_ml={case_ml['core_volume']:.2f}")
    if eval_path and a["status"] == "analyzed" and truth.get("lesions") is not None:
        report = json.loads(Path(eval_path).read_text())
        cases = [c for c in report.get("cases", []) if c["analyzer"] == a["analyzer"]]
        if cases and truth.get("lesions"):
            c = cases[0]
            lesions = c["lesions"]
            detected = [x for x in lesions if x["matched_prediction"] is not None]
            parts += [f"targets={len(lesions)}", f"detected={len(detected)}", f"fp={len(c['false_positives'])}"]
            # `autoseg eval` sets apart predictions on readers' small marks (LIDC: neither
            # targets nor false positives).
            if "on_small_marks" in c:
                parts.append(f"on_small_marks={len(c['on_small_marks'])}")
            types = [f"{x['type']}->{predicted_type(a, x['matched_prediction'])}" for x in detected]
            if types:
                parts.append("types=" + ",".join(types))
            if detected:
                parts.append(f"dice={sum(x['dice'] for x in detected) / len(detected):.2f}")
                errs = [abs(x["predicted_volume_ml"] - x["truth_volume_ml"]) / x["truth_volume_ml"] * 100
                        for x in detected if x["truth_volume_ml"] > 0]
                if errs:
                    parts.append(f"vol_err_pct={sorted(errs)[len(errs) // 2]:.0f}")
    print(f"REAL {name} " + " ".join(parts) + f" seconds={seconds}")
for u in run.get("unanalyzed", []):
    print(f"REAL {name} not-analyzed=\"{u.get('description', '')}\" reason=\"{u.get('reason', '')[:80]}\"")

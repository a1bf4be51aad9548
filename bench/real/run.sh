#!/usr/bin/env bash
# Real-scan benchmark: the analyzers on ../shared/realdata (public, de-identified CT and MR with
# expert or reference truth; see its README), through the shipped routing (conf/autoseg.toml),
# scored with `autoseg eval`. Real scans are the judge of an analyzer, not phantoms.
#
#   bash bench/real/run.sh            # release build; REALDATA (../shared/realdata), AUTOSEG, CONFIG
#
# Output, one line per case:
#   REAL <case> analyzer=… status=… findings=… [targets=… detected=… fp=… on_small_marks=…
#        types=truth->found,… dice=… vol_err_pct=…] [liver_ml=… truth_liver_ml=…] seconds=…
# LIDC targets are the consensus nodules (readers ≥ 1, all of them); `autoseg eval` counts a
# finding on a reader's small mark (<3 mm nodule or non-nodule) apart: LIDC calls those neither
# targets nor false positives. totalseg-abdomen's truth is a model's output, not an expert's.
set -euo pipefail
cd "$(dirname "$0")/../.."
REALDATA=${REALDATA:-../shared/realdata}
BIN=${AUTOSEG:-.build/release/autoseg}   # not AUTOSEG_*: the node's config namespace
CONFIG=${CONFIG-conf/autoseg.toml}       # CONFIG= (empty): the default routing, for binaries without run --config
[ -d "$REALDATA" ] || { echo "real.sh: no $REALDATA (the shared real-data set lies beside the repo)" >&2; exit 1; }
if [ ! -x "$BIN" ]; then swift build -c release --product autoseg >&2; fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoseg-real.XXXXXX")
trap '[ "${KEEP:-0}" = 1 ] && echo "kept: $WORK" >&2 || rm -rf "$WORK"' EXIT

for c in lidc-0001/dicom lidc-0002/dicom totalseg-abdomen/dicom totalseg-ct3mm/dicom isles22-0001; do
    name=${c%%/*}
    out="$WORK/out/$name"
    t0=$(date +%s.%N)
    "$BIN" run "$REALDATA/$c" --out "$out" ${CONFIG:+--config "$CONFIG"} --no-key-images --json \
        > "$WORK/$name.run.json" 2> "$WORK/$name.run.log" || true
    t1=$(date +%s.%N)
    eval_json=""
    if [ -f "$REALDATA/$name/truth.json" ]; then
        mkdir -p "$WORK/truth/$name"
        cp "$REALDATA/$name/truth.json" "$WORK/truth/$name/"
        gunzip -c "$REALDATA/$name/truth.nii.gz" > "$WORK/truth/$name/truth.nii"
        "$BIN" eval --truth "$WORK/truth/$name" --pred "$out" --json > "$WORK/$name.eval.json" 2>/dev/null || true
        eval_json="$WORK/$name.eval.json"
    fi
    python3 bench/real/summarize.py "$name" "$WORK/$name.run.json" "$eval_json" "$REALDATA/$name" \
        "$(python3 -c "print(f'{$t1 - $t0:.1f}')")"
done

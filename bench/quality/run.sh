#!/usr/bin/env bash
# Quality benchmark: each analyzer on its phantoms at full size, held-out test seeds, scored
# against the truth. See bench/README.md for the targets and the tuning/test seed split.
#
# Environment: SEEDS (default 1001-1020, the held-out test seeds; tuning used 1-10),
# ANALYZERS (default "lung liver infarct"), SIZE (default: the full-size phantom),
# SCRATCH (SwiftPM scratch path, default .build), VERBOSE=1 lists every miss and FP.
#
# Output per analyzer (infarct: one per ADC and CT perfusion variant):
#   QUALITY <kind> cases=… headline_sensitivity=… fp_per_scan=… lesion_dice_mean=… case_dice_mean=… median_abs_vol_err_pct=… [<volume>_worst_err_ml=… <volume>_worst_err_pct=…]
#   STAGE <kind> total mean_s=… max_s=…  (analysis time per case, release build, all cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS="${SEEDS:-1001-1020}"
ANALYZERS="${ANALYZERS:-lung liver infarct}"
SCRATCH="${SCRATCH:-.build}"
swift build -c release --product quality-bench --scratch-path "$SCRATCH" >&2
BIN="$(swift build -c release --product quality-bench --scratch-path "$SCRATCH" --show-bin-path)/quality-bench"
for kind in $ANALYZERS; do
    args=("$kind" --seeds "$SEEDS")
    [ -n "${SIZE:-}" ] && args+=(--size "$SIZE")
    [ -n "${VERBOSE:-}" ] && args+=(--verbose)
    "$BIN" "${args[@]}" | tee /dev/stderr | grep -E '^(QUALITY|STAGE [^ ]+ total)'
done

#!/usr/bin/env bash
# Kernel benchmark: AutoSeg's Imaging kernels against SimpleITK on the same 160×512×512
# CT-like volume, same thread count, in one run; then AutoSeg at 1 vs 2 threads.
# See bench/kernels/README.md. Needs `pip install SimpleITK numpy`.
#
# Environment: THREADS (default 2), RUNS (timed runs per kernel after one warm-up, median;
# default 3), SCRATCH (SwiftPM scratch path, default .build), CLOSING_RADIUS_MM (ours, 3.75).
#
# Output, one line per kernel each:
#   <kernel> autoseg_s=<s> simpleitk_s=<s> ratio=<autoseg/simpleitk>
#   <kernel> threads1_s=<s> threads<N>_s=<s> speedup=<t1/tN>
set -euo pipefail

cd "$(dirname "$0")/../.."
THREADS="${THREADS:-2}"
SCRATCH="${SCRATCH:-.build}"
export RUNS="${RUNS:-3}"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c "import SimpleITK, numpy" 2>/dev/null || "$PYTHON" -m pip install -q SimpleITK numpy >&2

swift build -c release --product kernel-bench --scratch-path "$SCRATCH" >&2
BIN="$(swift build -c release --product kernel-bench --scratch-path "$SCRATCH" --show-bin-path)/kernel-bench"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "# SimpleITK $("$PYTHON" -c 'import SimpleITK as s; print(s.Version.VersionString())'), threads=$THREADS, runs=$RUNS" >&2
"$PYTHON" bench/kernels/simpleitk_bench.py "$THREADS" | tee "$out/sitk" >&2
"$BIN" "$THREADS" | tee "$out/ours" >&2
if [ "$THREADS" != 1 ]; then
    "$BIN" 1 | tee "$out/ours1" >&2
else
    cp "$out/ours" "$out/ours1"
fi

# Both sides must have measured the same voxels.
if [ "$(grep '^VOLUME' "$out/sitk")" != "$(grep '^VOLUME' "$out/ours")" ]; then
    echo "warning: volumes differ: $(grep '^VOLUME' "$out/sitk") vs $(grep '^VOLUME' "$out/ours")" >&2
fi

seconds() { awk -v k="$2" '$1 == "KERNEL" && $2 == k { print $3 }' "$1"; }
for kernel in gaussian components closing distance objectness; do
    a="$(seconds "$out/ours" "$kernel")"
    s="$(seconds "$out/sitk" "$kernel")"
    t1="$(seconds "$out/ours1" "$kernel")"
    if [ -n "$a" ] && [ -n "$s" ]; then
        awk -v k="$kernel" -v a="$a" -v s="$s" \
            'BEGIN { printf "%s autoseg_s=%.3f simpleitk_s=%.3f ratio=%.2f\n", k, a, s, a / s }'
    else
        echo "$kernel autoseg_s=${a:-missing} simpleitk_s=${s:-missing} ratio=n/a"
    fi
    if [ -n "$a" ] && [ -n "$t1" ]; then
        awk -v k="$kernel" -v n="$THREADS" -v a="$a" -v t="$t1" \
            'BEGIN { printf "%s threads1_s=%.3f threads%s_s=%.3f speedup=%.2f\n", k, t, n, a, t / a }'
    fi
done

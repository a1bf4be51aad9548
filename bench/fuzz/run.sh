#!/usr/bin/env bash
# Fuzzing the bridge (issue 15): libFuzzer + AddressSanitizer harnesses built from the CDcmtk
# sources against Debian's libdcmtk, each run for a fixed time budget.
#
#   bash bench/fuzz/run.sh                      # both targets, 60 s each
#   FUZZ_SECONDS=600 TARGETS=dataset bash bench/fuzz/run.sh
#
# Targets: dataset (fuzz_dataset.cpp: pre-scan, FileInfo/header readers on a memfd) and pdu
# (fuzz_pdu.cpp: raw bytes to an in-process storage SCP over loopback TCP). Environment:
# FUZZ_SECONDS (60, per target), TARGETS ("dataset pdu"), JOBS (1: libFuzzer workers per
# target), CXX (/opt/swift/usr/bin/clang++, the Swift toolchain's clang: it ships libFuzzer).
# Seeds: bench/fuzz/corpus/<target> (committed, read only); the working corpus, crash
# artifacts and logs go to bench/out/fuzz/<target>/. Result, one line per target:
#   FUZZ target=dataset seconds=60 execs=… execs_per_s=… cov=… ft=… corpus=… crashes=…
# A crash leaves bench/out/fuzz/<target>/crash-* (or leak-/timeout-/oom-): make it a regression
# test (Tests/IntegrationTests/test_fuzz_regressions.py sends it to a node) and fix it.
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=${TARGETS:-dataset pdu}
JOBS=${JOBS:-1}
CXX=${CXX:-/opt/swift/usr/bin/clang++}
OUT=bench/out/fuzz
SRC=Sources/CDcmtk
die() { echo "fuzz/run.sh: $*" >&2; exit 1; }
[ -x "$CXX" ] || die "no clang++ at $CXX (set CXX; Debian: apt-get install clang)"
# lld: Debian's default linker (gold) fails on ASan objects with an internal error.
LINK=(-fuse-ld=lld)
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' \
    | "$CXX" -x c++ "${LINK[@]}" -fsanitize=fuzzer,address -o "${TMPDIR:-/tmp}/fuzz-probe.$$" - 2>/dev/null \
    || die "$CXX cannot link -fsanitize=fuzzer,address with lld (libFuzzer or ld.lld missing)"
rm -f "${TMPDIR:-/tmp}/fuzz-probe.$$"

mkdir -p "$OUT/obj"
FLAGS=(-std=c++17 -g -O1 -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer -I"$SRC/include" -I"$SRC")
LIBS=(-ldcmnet -ldcmtls -ldcmjpeg -ldcmjpls -lcmr -ldcmsr -ldcmseg -ldcmfg -ldcmiod -ldcmimage -ldcmimgle
      -ldcmdata -loflog -lofstd -lz -lssl -lcrypto -lpthread)

# The bridge, instrumented (coverage guides the fuzzer through our code; DCMTK itself is not
# instrumented, ASan still catches its crashes). Rebuilt when a source is newer.
OBJS=()
for f in "$SRC"/*.cpp; do
    o="$OUT/obj/$(basename "${f%.cpp}").o"
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find "$SRC" -name '*.h' -newer "$o" | head -1)" ]; then
        "$CXX" "${FLAGS[@]}" -c "$f" -o "$o" || die "cannot compile $f"
    fi
    OBJS+=("$o")
done

summary=()
for target in $TARGETS; do
    harness=bench/fuzz/fuzz_$target.cpp
    [ -f "$harness" ] || die "no harness $harness"
    dir=$OUT/$target
    mkdir -p "$dir/corpus" "$dir/artifacts"
    "$CXX" "${FLAGS[@]/fuzzer-no-link/fuzzer}" "${LINK[@]}" "$harness" "${OBJS[@]}" "${LIBS[@]}" -o "$dir/fuzz_$target" \
        || die "cannot link $harness"
    cp -n bench/fuzz/corpus/$target/* "$dir/corpus/" 2>/dev/null || true
    before=$(find "$dir/artifacts" -type f | wc -l)
    log=$dir/fuzz.log
    # Leaks are not checked: DCMTK keeps global caches (dictionary, codecs) for the process.
    parallel=()
    [ "$JOBS" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")  # children log to ./fuzz-N.log
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$dir/fuzz_$target" "$dir/corpus" \
        -max_total_time="$FUZZ_SECONDS" -max_len=262144 -rss_limit_mb=4096 -timeout=25 \
        "${parallel[@]}" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" > "$log" 2>&1 || true
    if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >> "$log" 2>/dev/null || true; rm -f fuzz-*.log; fi
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    last=$(grep -hE '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corpus=$(find "$dir/corpus" -type f | wc -l)
    crashes=$(( $(find "$dir/artifacts" -type f | wc -l) - before ))
    line="FUZZ target=$target seconds=$FUZZ_SECONDS execs=$execs execs_per_s=$(( execs / FUZZ_SECONDS )) cov=${cov:-?} ft=${ft:-?} corpus=$corpus crashes=$crashes"
    echo "$line"
    summary+=("$line")
    if [ "$crashes" -gt 0 ]; then
        find "$dir/artifacts" -type f -newer "$dir/fuzz_$target" | sed 's/^/  new artifact: /'
        grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer)|SUMMARY' "$log" | sed 's/^/  /'
    fi
done
printf '%s\n' "${summary[@]}" > "$OUT/summary.txt"

#!/usr/bin/env bash
# Ingest benchmark (DESIGN §9): AutoSeg's C-STORE SCP against DCMTK's own storescp on the
# same files, sent by DCMTK's storescu over one association and over four concurrent ones.
#
#   bash bench/ingest.sh            # 3 rounds, 1000 CT instances 512x512 16-bit (~525 KB)
#   ROUNDS=5 bash bench/ingest.sh
#
# Environment: ROUNDS (3), COUNT (1000), SIZE (512), PDU (131072: autoseg's default
# max_pdu, given to storescp too so both receive the same PDU size), AUTOSEG_BIN
# (.build/release/autoseg), KEEP=1 keeps the received files.
#
# Each round runs, alternating which server goes first: {1assoc, 4assoc} x {autoseg,
# storescp}, each into a fresh temporary directory on the same file system (autoseg:
# fresh data_dir, min_free_mb=0, fsync'd stores; storescp: -B bit-preserving, no fsync).
# The rate is instances / wall time from starting storescu until every storescu exited,
# after checking that all COUNT instances arrived. Result: the median over the rounds,
#   INGEST mode=1assoc autoseg_per_s=.. storescp_per_s=.. ratio=..
# storescp runs without --fork: it serves ONE association at a time, so in mode=4assoc its
# four associations are served one after another (queued in the listen backlog).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-1000}
SIZE=${SIZE:-512}
PDU=${PDU:-131072}
AUTOSEG_BIN=${AUTOSEG_BIN:-.build/release/autoseg}
STORESCU=/usr/bin/storescu   # absolute paths: PATH may hold Python shims of these names
STORESCP=/usr/bin/storescp
export TCP_NODELAY=1         # DCMTK leaves Nagle on otherwise (~40 ms per store)

die() { echo "ingest.sh: $*" >&2; exit 1; }
[ -x "$STORESCU" ] && [ -x "$STORESCP" ] || die "Debian dcmtk is not installed (/usr/bin/storescu, /usr/bin/storescp)"
[ -x "$AUTOSEG_BIN" ] || die "$AUTOSEG_BIN not found: build it with 'swift build -c release' (or set AUTOSEG_BIN)"

DATA=bench/out/ct${SIZE}
[ "$COUNT" = 1000 ] || DATA=bench/out/ct${SIZE}_${COUNT}
python3 bench/gen_ct.py --out "$DATA" --count "$COUNT" --size "$SIZE"
mapfile -t FILES < <(find "$DATA" -maxdepth 1 -name 'CT*.dcm' | sort)
[ "${#FILES[@]}" = "$COUNT" ] || die "expected $COUNT files in $DATA, found ${#FILES[@]}"
QUARTER=$(( (COUNT + 3) / 4 ))
cat "${FILES[@]}" > /dev/null   # warm the page cache: measure the network path, not our reads

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoseg-bench.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }

wait_listening() {   # port pid: poll the listen table (a probe connection would disturb storescp)
    local port=$1 pid=$2 i
    for i in $(seq 1 200); do
        if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

now() { date +%s.%N; }

send() {   # mode port logprefix -> prints elapsed seconds
    local mode=$1 port=$2 log=$3 t0 t1 pids=() i rc=0
    sync   # the previous run's dirty pages must not be flushed on this run's clock
    t0=$(now)
    if [ "$mode" = 1assoc ]; then
        "$STORESCU" -R -aet BENCH -aec AUTOSEG 127.0.0.1 "$port" "${FILES[@]}" > "$log.scu0" 2>&1 || rc=$?
    else
        for i in 0 1 2 3; do
            "$STORESCU" -R -aet "BENCH$i" -aec AUTOSEG 127.0.0.1 "$port" \
                "${FILES[@]:$((i * QUARTER)):$QUARTER}" > "$log.scu$i" 2>&1 &
            pids+=($!)
        done
        for i in "${!pids[@]}"; do wait "${pids[$i]}" || rc=$?; done
    fi
    t1=$(now)
    [ "$rc" = 0 ] || { tail -5 "$log".scu* >&2; die "storescu failed (exit $rc), see $log.scu*"; }
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

run_autoseg() {   # mode round
    local mode=$1 round=$2 dir port secs n
    dir="$WORK/autoseg-r$round-$mode"; mkdir -p "$dir/data"
    port=$(free_port)
    cat > "$dir/autoseg.toml" <<EOF
[node]
ae_title = "AUTOSEG"
port = $port
data_dir = "$dir/data"
max_associations = 16
max_pdu = $PDU
min_free_mb = 0

[http]
port = 0
EOF
    # Not AUTOSEG_BIN itself: the node refuses AUTOSEG_* variables that name no config key.
    env -u AUTOSEG_BIN "$AUTOSEG_BIN" serve --config "$dir/autoseg.toml" 2> "$dir/autoseg.log" &
    SERVER_PID=$!
    wait_listening "$port" "$SERVER_PID" || { tail -20 "$dir/autoseg.log" >&2; die "autoseg did not start"; }
    secs=$(send "$mode" "$port" "$dir/run")
    n=$(find "$dir/data/spool" -name '*.dcm' -not -path '*/.incoming/*' | wc -l)
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || die "autoseg exited with $? after SIGTERM"
    SERVER_PID=""
    [ "$n" = "$COUNT" ] || die "autoseg stored $n of $COUNT instances (log: $dir/autoseg.log)"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
    echo "$secs"
}

run_storescp() {   # mode round
    local mode=$1 round=$2 dir port secs n
    dir="$WORK/storescp-r$round-$mode"; mkdir -p "$dir/out"
    port=$(free_port)
    "$STORESCP" -B -pdu "$PDU" -aet AUTOSEG -od "$dir/out" "$port" > "$dir/storescp.log" 2>&1 &
    SERVER_PID=$!
    wait_listening "$port" "$SERVER_PID" || { tail -20 "$dir/storescp.log" >&2; die "storescp did not start"; }
    secs=$(send "$mode" "$port" "$dir/run")
    n=$(find "$dir/out" -type f | wc -l)
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    [ "$n" = "$COUNT" ] || die "storescp stored $n of $COUNT instances (log: $dir/storescp.log)"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
    echo "$secs"
}

declare -A TIMES=()
echo "# ingest: $COUNT instances ${SIZE}x${SIZE} ($(du -sh "$DATA" | cut -f1)), $ROUNDS rounds, max PDU $PDU," \
     "autoseg=$AUTOSEG_BIN, $(nproc) cores"
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="autoseg storescp"; else order="storescp autoseg"; fi
    for mode in 1assoc 4assoc; do
        for server in $order; do
            secs=$("run_$server" "$mode" "$round")
            TIMES[$mode.$server]="${TIMES[$mode.$server]:-} $secs"
            python3 -c "print(f'RUN round=$round mode=$mode server=$server seconds=$secs per_s={$COUNT / $secs:.1f}')"
        done
    done
done

for mode in 1assoc 4assoc; do
    python3 - "$COUNT" "$mode" "${TIMES[$mode.autoseg]}" "${TIMES[$mode.storescp]}" "$ROUNDS" <<'EOF'
import statistics, sys
count, mode, a, s, rounds = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
ra = statistics.median(count / float(x) for x in a)
rs = statistics.median(count / float(x) for x in s)
print(f"INGEST mode={mode} autoseg_per_s={ra:.1f} storescp_per_s={rs:.1f} ratio={ra / rs:.2f} "
      f"(median of {rounds} rounds)")
EOF
done
echo "NOTE: storescp runs without --fork and serves one association at a time; in mode=4assoc its" \
     "four associations are served one after another, while autoseg serves them concurrently" \
     "(and fsyncs every instance before acknowledging it; storescp does not fsync)."

#!/usr/bin/env bash
# Soak (issue 15): slow peers, malformed input and normal traffic together against a release
# build of `autoseg serve`, for a bounded time. Reports whether the node survived (and exits 0
# on SIGTERM), the worst C-ECHO latency a well-behaved peer saw (target < 1 s), stores sent and
# acknowledged, and the node's threads and open files before and after (no leak).
#
#   bash bench/soak.sh                  # 60 s
#   SOAK_SECONDS=300 bash bench/soak.sh
#
# Environment: SOAK_SECONDS (60), SOAK_ACSE (10: acse_timeout, so ARTIM cycles several times),
# SOAK_IDLE (10: idle_timeout), SOAK_FILES (20 CT 512x512 instances, bench/gen_ct.py, cached in
# bench/out/), AUTOSEG (.build/release/autoseg), KEEP=1 keeps the node's data and log.
# The peers are bench/soak_peers.py (hostile ones from 127.0.0.2..7, well-behaved from 127.0.0.1).
# Routing is off for the soak's CT traffic ([[rules]] analyzer = "none"), except one liver
# phantom (`autoseg phantom liver --size 128`, BodyPartExamined ABDOMEN) sent at the start as
# calling AE HOLE: its results go to HOLE, a PACS that accepts TCP and never answers, and (send_all)
# to HEALTHY, /usr/bin/storescp; the soak reports how many reached HEALTHY and how long after the
# job ended, while HOLE stalls.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_=${SOAK_SECONDS:-60}
ACSE=${SOAK_ACSE:-10}
IDLE=${SOAK_IDLE:-10}
NFILES=${SOAK_FILES:-20}
BIN=${AUTOSEG:-.build/release/autoseg}   # not AUTOSEG_*: the node rejects unknown AUTOSEG_ variables
export TCP_NODELAY=1

die() { echo "soak.sh: $*" >&2; exit 1; }
[ -x /usr/bin/storescu ] && [ -x /usr/bin/echoscu ] || die "Debian dcmtk is not installed"
[ -x "$BIN" ] || die "$BIN not found: build it with 'swift build -c release' (or set AUTOSEG)"

DATA=bench/out/soak_ct${NFILES}
python3 bench/gen_ct.py --out "$DATA" --count "$NFILES" --size 512 > /dev/null
mapfile -t FILES < <(find "$DATA" -maxdepth 1 -name 'CT*.dcm' | sort)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autoseg-soak.XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
    for p in ${HOLE_PID:-} ${HEALTHY_PID:-}; do kill "$p" 2>/dev/null || true; done
    [ "${KEEP:-0}" = 1 ] && echo "kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); HOLE_PORT=$(free_port); HEALTHY_PORT=$(free_port)
"$BIN" phantom liver --size 128 --out "$WORK/liver" > /dev/null
# HOLE: accepts TCP connections and never reads or answers.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$HOLE_PORT" &
HOLE_PID=$!
mkdir -p "$WORK/healthy"
/usr/bin/storescp -aet HEALTHY -od "$WORK/healthy" "$HEALTHY_PORT" > "$WORK/healthy.log" 2>&1 &
HEALTHY_PID=$!
cat > "$WORK/autoseg.toml" <<TOML
[node]
port = $PORT
data_dir = "$WORK/data"
min_free_mb = 0
acse_timeout = $ACSE
idle_timeout = $IDLE
shutdown_grace = 10

[http]
port = 0

[pipeline]
stable_seconds = 1

[[peers]]
ae_title = "HOLE"
host = "127.0.0.1"
port = $HOLE_PORT

[[peers]]
ae_title = "HEALTHY"
host = "127.0.0.1"
port = $HEALTHY_PORT
send_all = true

[[rules]]
analyzer = "liver"
body_part = ["ABDOMEN"]

[[rules]]
analyzer = "none"
TOML
"$BIN" serve --config "$WORK/autoseg.toml" 2> "$WORK/autoseg.log" &
PID=$!
for _ in $(seq 1 100); do
    ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && break
    kill -0 "$PID" 2>/dev/null || { tail -20 "$WORK/autoseg.log" >&2; die "autoseg did not start"; }
    sleep 0.1
done
resources() { echo "threads=$(awk '/^Threads:/ {print $2}' /proc/$PID/status) fds=$(ls /proc/$PID/fd | wc -l)"; }
BEFORE=$(resources)
echo "# soak: ${SECONDS_} s against $BIN (port $PORT, acse_timeout $ACSE s, idle_timeout $IDLE s," \
     "$NFILES CT files per storescu run), $(nproc) cores"

/usr/bin/storescu -aet HOLE -aec AUTOSEG 127.0.0.1 "$PORT" "$WORK"/liver/ct/*.dcm > "$WORK/liver-send.log" 2>&1 \
    || die "the liver phantom could not be sent"
python3 bench/soak_peers.py --port "$PORT" --seconds "$SECONDS_" --out "$WORK/peers.json" "${FILES[@]}"

ALIVE=no; kill -0 "$PID" 2>/dev/null && ALIVE=yes
sleep $((IDLE + 2))   # let the last hostile connections time out before counting resources
AFTER=$( [ "$ALIVE" = yes ] && resources || echo "threads=- fds=-")
EXIT=none
if [ "$ALIVE" = yes ]; then
    kill -TERM "$PID"
    for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then EXIT=timeout; else wait "$PID" && EXIT=0 || EXIT=$?; PID=""; fi
fi
DELIVERY=$(python3 - "$WORK/data/autoseg.sqlite" <<'PY' 2>/dev/null || echo "delivery=?"
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
done = c.execute("select max(finished_at) from jobs where state = 'done'").fetchone()[0]
rows = c.execute("select peer_ae, state, sent_at from deliveries").fetchall()
healthy = [r for r in rows if r[0] == "HEALTHY"]
sent = [r[2] for r in healthy if r[1] == "sent"]
hole = [r for r in rows if r[0] == "HOLE"]
after = f"{max(sent) - done:.2f}" if sent and done else "-"
print(f"results_to_healthy={len(sent)}/{len(healthy)} healthy_last_ack_after_job_s={after} "
      f"results_to_hole_sent={sum(r[1] == 'sent' for r in hole)}/{len(hole)}")
PY
)
CATALOGUED=$(python3 -c "import sqlite3,sys; print(sqlite3.connect('file:$WORK/data/autoseg.sqlite?mode=ro', uri=True).execute('select count(*) from instances').fetchone()[0])" 2>/dev/null || echo "?")
PARTS=$(find "$WORK/data/spool/.incoming" -type f 2>/dev/null | wc -l)
CRASHES=$([ "$ALIVE" = yes ] && [ "$EXIT" = 0 ] && echo 0 || echo 1)
python3 - "$WORK/peers.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
print(f"SOAK seconds=$SECONDS_ node_alive=$ALIVE exit_after_sigterm=$EXIT crashes=$CRASHES "
      f"echo_ok={r['echo_ok']} echo_failed={r['echo_failed']} echo_worst_s={r['echo_worst_s']} "
      f"echo_p99_s={r['echo_p99_s']} echo_median_s={r['echo_median_s']} "
      f"stores_sent={r.get('stores_sent', 0)} stores_acknowledged={r.get('stores_acknowledged', 0)} "
      f"instances_catalogued=$CATALOGUED part_files_left=$PARTS")
print("SOAK hostile " + " ".join(f"{k}={v}" for k, v in r.items() if not k.startswith(("echo", "stores"))))
print("SOAK delivery (HOLE black-holed, HEALTHY storescp): $DELIVERY")
print("SOAK node before: $BEFORE after: $AFTER")
PY
grep -c "connections closed before negotiation" "$WORK/autoseg.log" | sed 's/^/SOAK log: over-cap summary lines=/'
[ "$CRASHES" = 0 ] || { tail -30 "$WORK/autoseg.log" >&2; die "the node did not survive the soak"; }

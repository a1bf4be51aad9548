#!/usr/bin/env bash
# End-to-end latency and throughput of the node (issue 6). See bench/e2e/e2e.py.
#   bash bench/e2e/run.sh [--rounds N] [--stable S] [--analyzers lung,liver,infarct]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product autoseg >&2
exec python3 bench/e2e/e2e.py "$@"

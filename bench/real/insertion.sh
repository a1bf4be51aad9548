#!/usr/bin/env bash
# Hybrid insertion benchmark: the lung analyzer on the real LIDC chest CTs of ../shared/realdata
# with synthetic nodules inserted (Phantoms' NoduleInserter: scanner-blurred partial-volume
# spheres added to the real anatomy and noise) at sites chosen by rule from a seed
# (parenchyma, juxtavascular, juxtapleural, juxtamediastinal with 1/6, 1/3, 1/2 embedded),
# sizes × types; several nodules well apart per copy of a volume. See bench/README.md.
#
#   bash bench/real/insertion.sh                  # release build; REALDATA, PER (1), SEED (1), SIZES, ARGS
#   PER=2 SEED=3 bash bench/real/insertion.sh     # more nodules per cell, another draw
#   ARGS="--verbose" bash bench/real/insertion.sh # one line per inserted nodule
#
# Prints tables by site, size, type and site × size (sensitivity, median Dice, median |volume
# error| against the nodule's visible part, solid typed solid, type right), the new findings on
# no insertion, then machine lines: INSERTION site=… n=… found=… sensitivity=… median_dice=… …
set -euo pipefail
cd "$(dirname "$0")/../.."
REALDATA=${REALDATA:-../shared/realdata}
[ -d "$REALDATA" ] || { echo "insertion.sh: no $REALDATA (the shared real-data set lies beside the repo)" >&2; exit 1; }
nice swift build -c release --product insertion-bench >&2
.build/release/insertion-bench --realdata "$REALDATA" --per "${PER:-1}" --seed "${SEED:-1}" \
    --sizes "${SIZES:-5,8,12,20}" ${ARGS:-}

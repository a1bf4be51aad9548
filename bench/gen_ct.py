#!/usr/bin/env python3
"""Generate, once, the ingest benchmark's data: one CT series of COUNT slices, SIZE×SIZE,
signed 16-bit (≈525 KB each at 512×512), explicit VR little endian, in OUT.

Re-running with the same parameters reuses the files (a marker records what is there).
Usage: gen_ct.py [--out bench/out/ct512] [--count 1000] [--size 512]
"""
import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "IntegrationTests"))
import dicomvariants  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ct512")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    want = {"count": a.count, "size": a.size, "seed": a.seed, "version": 1}
    marker = a.out / ".complete.json"
    if marker.exists():
        try:
            have = json.loads(marker.read_text())
        except ValueError:
            have = None
        if have == want and len(list(a.out.glob("CT*.dcm"))) == a.count:
            print(f"gen_ct: using cached {a.count} instances {a.size}x{a.size} in {a.out}", file=sys.stderr)
            return 0
    if a.out.exists():
        shutil.rmtree(a.out)
    t0 = time.monotonic()
    files = dicomvariants.write_ct_series(a.out, a.count, a.size, a.seed)
    marker.write_text(json.dumps(want))
    total = sum(f.stat().st_size for f in files)
    print(f"gen_ct: wrote {len(files)} instances {a.size}x{a.size} ({total / 2**20:.0f} MiB) to {a.out} "
          f"in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

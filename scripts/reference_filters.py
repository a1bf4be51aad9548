#!/usr/bin/env python3
"""Reference values for Tests/ImagingTests/FilterTests.swift (Gaussian, gradient, Hessian eigenvalues).

Computed once with scipy/numpy in float64 and committed as numbers in the Swift test; re-run to
check them:  python3 scripts/reference_filters.py   (pip install numpy scipy if missing).

The volume is defined by an integer formula (exact in float32, no RNG, identical in Swift):
  shape (slices, rows, columns) = (7, 9, 11), spacing (slice, row, column) = (2.5, 0.8, 0.6) mm
  v[s, r, c] = ((37 s + 23 r + 11 c) mod 17) * 1.5 + 0.5 s - 0.25 r + 0.125 c^2
Conventions matched by AutoSeg:
  Gaussian: sigma in mm divided by spacing, scipy gaussian_filter(mode='nearest', truncate=4).
  Gradient: numpy.gradient(v, 2.5, 0.8, 0.6) (central inside, one-sided at edges).
  Hessian: the Gaussian-smoothed volume (sigma 1.5 mm), replicate-edge padding, 3-point second
    differences and 4-point cross differences in mm, times sigma^2; eigenvalues by numpy
    eigvalsh, sorted by absolute value ascending.
"""
import numpy as np
from scipy.ndimage import gaussian_filter

SHAPE = (7, 9, 11)
SPACING = (2.5, 0.8, 0.6)
SIGMA_MM = 1.5
POINTS = [(0, 0, 0), (3, 4, 5), (6, 8, 10), (1, 7, 2), (5, 2, 9)]


def volume():
    s, r, c = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    return (((37 * s + 23 * r + 11 * c) % 17) * 1.5 + 0.5 * s - 0.25 * r + 0.125 * c * c).astype(np.float64)


def hessian_eigenvalues(sm, scale):
    p = np.pad(sm, 1, mode="edge")
    hs, hr, hc = SPACING
    C = p[1:-1, 1:-1, 1:-1]

    def sh(ds, dr, dc):
        return p[1 + ds:p.shape[0] - 1 + ds, 1 + dr:p.shape[1] - 1 + dr, 1 + dc:p.shape[2] - 1 + dc]

    ss = (sh(1, 0, 0) - 2 * C + sh(-1, 0, 0)) / hs**2
    rr = (sh(0, 1, 0) - 2 * C + sh(0, -1, 0)) / hr**2
    cc = (sh(0, 0, 1) - 2 * C + sh(0, 0, -1)) / hc**2
    sr = (sh(1, 1, 0) - sh(1, -1, 0) - sh(-1, 1, 0) + sh(-1, -1, 0)) / (4 * hs * hr)
    sc = (sh(1, 0, 1) - sh(1, 0, -1) - sh(-1, 0, 1) + sh(-1, 0, -1)) / (4 * hs * hc)
    rc = (sh(0, 1, 1) - sh(0, 1, -1) - sh(0, -1, 1) + sh(0, -1, -1)) / (4 * hr * hc)
    H = np.stack([np.stack([ss, sr, sc], -1), np.stack([sr, rr, rc], -1), np.stack([sc, rc, cc], -1)], -2)
    e = np.linalg.eigvalsh(H * scale)
    order = np.argsort(np.abs(e), axis=-1, kind="stable")
    return np.take_along_axis(e, order, axis=-1)


def main():
    v = volume()
    sig = tuple(SIGMA_MM / h for h in SPACING)
    g = gaussian_filter(v, sigma=sig, mode="nearest", truncate=4.0)
    print(f"# volume sum {v.sum():.10g}")
    print(f"gaussian sigma={SIGMA_MM}mm voxels={tuple(round(x, 6) for x in sig)} sum={g.sum():.10g}")
    for p in POINTS:
        print(f"  gaussian{p} = {g[p]:.10g}")
    # Per-axis sigmas (column only, then slice only) exercise sigma <= 0 on the other axes.
    gc = gaussian_filter(v, sigma=(0, 0, 1.2 / SPACING[2]), mode="nearest", truncate=4.0)
    gs = gaussian_filter(v, sigma=(3.0 / SPACING[0], 0, 0), mode="nearest", truncate=4.0)
    for p in POINTS:
        print(f"  columnOnly1.2{p} = {gc[p]:.10g}   sliceOnly3.0{p} = {gs[p]:.10g}")
    ds, dr, dc = np.gradient(v, *SPACING)
    print(f"gradient abs sums: slice={np.abs(ds).sum():.10g} row={np.abs(dr).sum():.10g} column={np.abs(dc).sum():.10g}")
    for p in POINTS:
        print(f"  gradient{p} = ({ds[p]:.10g}, {dr[p]:.10g}, {dc[p]:.10g})")
    e = hessian_eigenvalues(g, SIGMA_MM**2)
    for p in POINTS:
        print(f"  hessianEigen{p} = ({e[p][0]:.10g}, {e[p][1]:.10g}, {e[p][2]:.10g})")


if __name__ == "__main__":
    main()

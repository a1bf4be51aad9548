#!/usr/bin/env python3
"""SimpleITK side of the kernel benchmark (see bench/kernels/README.md).

Builds the same deterministic 160x512x512 CT-like float32 volume as
bench/kernels/KernelBench.swift (same formula, same integer-hash noise, evaluated in
float64 and rounded once to float32, so both sides hold bit-identical voxels; both print
the same `VOLUME` checksum line), then times each SimpleITK kernel: one warm-up run, then
the median of RUNS runs (default 3), with
sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(N).

Usage: simpleitk_bench.py [threads] [kernel ...]   (pip install SimpleITK numpy)
Prints `KERNEL <name> <seconds>` lines, one per kernel.
"""
import os
import statistics
import sys
import time

import numpy as np
import SimpleITK as sitk

SLICES, ROWS, COLUMNS = 160, 512, 512
SPACING = (1.25, 0.7, 0.7)  # (slice, row, column) mm

# Spheres (nodules) and tubes (vessels), in mm: (x, y, z, radius) and (x at z=0, dx/dz, y, radius).
# Must match KernelBench.swift.
NODULES = [(105.0, 160.0, 60.0, 6.0), (255.0, 150.0, 90.0, 9.0), (120.0, 210.0, 120.0, 4.0),
           (250.0, 205.0, 140.0, 7.5), (95.0, 130.0, 100.0, 3.0), (270.0, 175.0, 50.0, 5.0),
           (140.0, 175.0, 80.0, 10.0), (230.0, 125.0, 110.0, 3.5)]
TUBES = [(100.0, 0.10, 170.0, 3.0), (130.0, -0.08, 145.0, 2.0), (115.0, 0.05, 200.0, 1.5),
         (255.0, -0.10, 170.0, 3.0), (230.0, 0.07, 150.0, 2.0), (265.0, 0.04, 195.0, 1.5)]


def lowbias32(x):
    """Chris Wellons' lowbias32 integer hash on uint32 arrays (wrapping arithmetic)."""
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def make_volume():
    """The benchmark volume as a (slice, row, column) float32 array, in HU."""
    out = np.empty((SLICES, ROWS, COLUMNS), dtype=np.float32)
    ss, sr, sc = SPACING
    y = np.arange(ROWS, dtype=np.float64)[:, None] * sr
    x = np.arange(COLUMNS, dtype=np.float64)[None, :] * sc
    x0 = 255.5 * sc
    y0 = 255.5 * sr
    base_index = (np.arange(ROWS, dtype=np.uint64)[:, None] * COLUMNS
                  + np.arange(COLUMNS, dtype=np.uint64)[None, :])
    for s in range(SLICES):
        z = s * ss
        v = np.full((ROWS, COLUMNS), -1000.0)
        bx = (x - x0) / 170.0
        by = (y - y0) / 120.0
        v[bx * bx + by * by <= 1.0] = 40.0
        for cx in (x0 - 75.0, x0 + 75.0):
            lx = (x - cx) / 55.0
            ly = (y - (y0 - 5.0)) / 80.0
            lz = (z - 100.0) / 110.0
            v[lx * lx + ly * ly + lz * lz <= 1.0] = -850.0
        for (tx, slope, ty, tr) in TUBES:
            dx = x - (tx + slope * z)
            dy = y - ty
            v[dx * dx + dy * dy <= tr * tr] = 200.0
        for (nx, ny, nz, nr) in NODULES:
            dx = x - nx
            dy = y - ny
            dz = z - nz
            v[dx * dx + dy * dy + dz * dz <= nr * nr] = 60.0
        sx = x - x0
        sy = y - (y0 + 85.0)
        v[sx * sx + sy * sy <= 20.0 * 20.0] = 700.0
        h = lowbias32(base_index + np.uint64(s * ROWS * COLUMNS))
        noise = ((h & np.uint32(0xFFFF)).astype(np.float64) / 65535.0 - 0.5) * 40.0
        out[s] = (v + noise).astype(np.float32)
    return out


def checksum(arr):
    """Exact summary both languages print: mask size and the sum of the float32 bit patterns."""
    return int(np.count_nonzero(arr > -400.0)), int(arr.view(np.uint32).astype(np.uint64).sum())


# Timed only when named on the command line (not part of the comparison).
EXTRA = {"gaussian_discrete"}


def timed(fn, runs):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    only = set(sys.argv[2:])
    runs = int(os.environ.get("RUNS", "3"))
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)

    arr = make_volume()
    count, total = checksum(arr)
    print(f"VOLUME mask={count} bits={total}", flush=True)
    image = sitk.GetImageFromArray(arr)  # numpy (slice,row,column) -> ITK (x,y,z)
    image.SetSpacing((SPACING[2], SPACING[1], SPACING[0]))
    mask = sitk.Cast(image > -400.0, sitk.sitkUInt8)

    def objectness():
        smoothed = sitk.SmoothingRecursiveGaussian(image, 1.0)
        return sitk.ObjectnessMeasure(smoothed, objectDimension=1, brightObject=True,
                                      alpha=0.5, beta=0.5, gamma=5.0, scaleObjectnessMeasure=True)

    kernels = [
        # Recursive (Deriche) Gaussian, sigma 1 mm on every axis (physical spacing).
        ("gaussian", lambda: sitk.SmoothingRecursiveGaussian(image, 1.0)),
        ("gaussian_discrete", lambda: sitk.DiscreteGaussian(image, variance=1.0, maximumKernelWidth=32,
                                                                  maximumError=0.01, useImageSpacing=True)),
        ("components", lambda: sitk.ConnectedComponent(mask, True)),
        # Ball of radius 3 voxels per axis (2.1 x 2.1 x 3.75 mm ellipsoid).
        ("closing", lambda: sitk.BinaryMorphologicalClosing(mask, [3, 3, 3], sitk.sitkBall)),
        ("distance", lambda: sitk.SignedMaurerDistanceMap(mask, insideIsPositive=False,
                                                          squaredDistance=False,
                                                          useImageSpacing=True)),
        # Gaussian sigma 1 mm + Hessian + Frangi objectness (ours does all three in one call).
        ("objectness", objectness),
    ]
    for name, fn in kernels:
        if (only and name not in only) or (not only and name in EXTRA):
            continue
        print(f"KERNEL {name} {timed(fn, runs):.3f}", flush=True)


if __name__ == "__main__":
    main()

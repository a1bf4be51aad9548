#!/usr/bin/env python3
"""Reference values for Tests/ImagingTests/MeasureTests.swift (region properties, resampling).

Builds a small deterministic label volume and intensity volume from formulas on an oblique,
anisotropic grid, and prints what SimpleITK (LabelShapeStatisticsImageFilter) and numpy/scipy
(brute force) say about it. The numbers are committed into the test; re-run this script if the
formulas change (they are duplicated in the test's `referenceVolumes()`).

    pip install SimpleITK scipy numpy && python3 scripts/reference_measure.py

Conventions checked: voxel count, physical volume, centroid (patient mm), bounding box,
principal axes 4*sqrt(eigenvalues of the population covariance of voxel centres, mm),
maximum 3D diameter (SimpleITK Feret diameter and scipy pdist over all voxel centres),
axial long axis (largest in-plane pdist on the slice with the most voxels, lowest on ties),
short axis (extent of that slice's voxel centres perpendicular to the long axis), intensity
mean / population SD / min / max, and trilinear resampling (scipy.ndimage.map_coordinates,
order=1) onto a shifted, rescaled grid.
"""
import math

import numpy as np
import SimpleITK as sitk
from scipy import ndimage
from scipy.spatial.distance import pdist, squareform

DIMS = (10, 16, 18)  # slices, rows, columns
SPACING = (2.0, 0.8, 0.6)  # slice, row, column (mm)
ORIGIN = np.array([-12.5, 30.25, 101.0])
A, B = math.radians(30), math.radians(20)
COL_DIR = np.array([math.cos(A), math.sin(A), 0.0])
ROW_DIR = np.array([-math.sin(A) * math.cos(B), math.cos(A) * math.cos(B), math.sin(B)])
SLICE_DIR = np.cross(COL_DIR, ROW_DIR)


def volumes():
    s, r, c = np.meshgrid(*[np.arange(n) for n in DIMS], indexing="ij")
    labels = np.zeros(DIMS, dtype=np.int32)
    e = ((s - 4.3) / 3.1) ** 2 + ((r - 7.2) / 5.5) ** 2 + ((c - 6.1) / 4.2) ** 2
    labels[e <= 1.0] = 1
    labels[(s >= 1) & (s <= 3) & (r >= 2) & (r <= 4) & (c >= 12) & (c <= 16)] = 2
    labels[(s == 2) & (r >= 5) & (r <= 12) & (c == 16)] = 2
    labels[(s == 8) & (r >= 3) & (r <= 13) & (c == r + 1)] = 3
    intensity = (100.0 * np.sin(0.3 * s + 0.2 * r) + 3.0 * c - 0.5 * r * s).astype(np.float32)
    return labels, intensity


def patient(idx):
    """(N,3) (slice,row,column) indices -> (N,3) patient mm."""
    idx = np.asarray(idx, dtype=np.float64)
    return (ORIGIN + idx[:, 2:3] * SPACING[2] * COL_DIR + idx[:, 1:2] * SPACING[1] * ROW_DIR
            + idx[:, 0:1] * SPACING[0] * SLICE_DIR)


def to_sitk(arr):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((SPACING[2], SPACING[1], SPACING[0]))
    img.SetOrigin(tuple(ORIGIN))
    img.SetDirection(tuple(np.column_stack([COL_DIR, ROW_DIR, SLICE_DIR]).flatten()))
    return img


def fmt(x):
    return f"{x:.10g}"


def main():
    labels, intensity = volumes()
    shape = sitk.LabelShapeStatisticsImageFilter()
    shape.ComputeFeretDiameterOn()
    shape.Execute(to_sitk(labels))
    for label in (1, 2, 3):
        idx = np.argwhere(labels == label)
        pts = patient(idx)
        vals = intensity[labels == label].astype(np.float64)
        cov = np.cov(pts.T, bias=True)
        axes = sorted((4 * math.sqrt(max(0.0, l)) for l in np.linalg.eigvalsh(cov)), reverse=True)
        diam = pdist(pts).max() if len(pts) > 1 else 0.0
        areas = np.bincount(idx[:, 0], minlength=DIMS[0])
        axial = int(np.argmax(areas))
        sl = pts[idx[:, 0] == axial]
        d = squareform(pdist(sl)) if len(sl) > 1 else np.zeros((1, 1))
        i, j = np.unravel_index(np.argmax(d), d.shape)
        long = d[i, j]
        short = 0.0
        if long > 0:
            u = (sl[j] - sl[i]) / long
            across = np.cross(np.cross(COL_DIR, ROW_DIR), u)
            across /= np.linalg.norm(across)
            proj = sl @ across
            short = proj.max() - proj.min()
        bb = shape.GetBoundingBox(label)  # (x, y, z, size_x, size_y, size_z)
        print(f"label {label}:")
        print(f"  count {shape.GetNumberOfPixels(label)} (numpy {len(idx)})")
        print(f"  volume_mm3 {fmt(shape.GetPhysicalSize(label))}")
        print(f"  centroid sitk [{', '.join(fmt(v) for v in shape.GetCentroid(label))}]"
              f" numpy [{', '.join(fmt(v) for v in pts.mean(axis=0))}]")
        print(f"  box lower (s,r,c) ({bb[2]}, {bb[1]}, {bb[0]}) upper ({bb[2] + bb[5] - 1},"
              f" {bb[1] + bb[4] - 1}, {bb[0] + bb[3] - 1})")
        print(f"  principal_axes numpy [{', '.join(fmt(v) for v in axes)}]  sitk 4*sqrt(moments) "
              f"[{', '.join(fmt(4 * math.sqrt(max(0, m))) for m in sorted(shape.GetPrincipalMoments(label), reverse=True))}]")
        print(f"  max_diameter pdist {fmt(diam)} sitk_feret {fmt(shape.GetFeretDiameter(label))}")
        print(f"  axial slice {axial} long {fmt(long)} short {fmt(short)}")
        print(f"  intensity mean {fmt(vals.mean())} sd {fmt(vals.std())} min {fmt(vals.min())} max {fmt(vals.max())}")

    # Trilinear resampling onto a grid with the same directions, a shifted origin and new spacing.
    new_spacing = (1.3, 0.5, 0.9)
    shift = np.array([0.35, 1.1, 0.7])  # in input index units (slice, row, column)
    new_origin = patient(shift[None, :])[0]
    samples = [(0, 0, 0), (1, 2, 3), (3, 7, 5), (5, 20, 9), (6, 25, 11), (2, 13, 4)]
    print("resample: origin", [fmt(v) for v in new_origin], "spacing", new_spacing)
    for (s, r, c) in samples:
        x = shift + np.array([s * new_spacing[0] / SPACING[0], r * new_spacing[1] / SPACING[1],
                              c * new_spacing[2] / SPACING[2]])
        inside = all(0 <= x[k] <= DIMS[k] - 1 for k in range(3))
        v = ndimage.map_coordinates(intensity.astype(np.float64), x.reshape(3, 1), order=1)[0] if inside else None
        print(f"  out ({s}, {r}, {c}) -> in {[fmt(t) for t in x]} value {fmt(v) if v is not None else 'outside'}")


if __name__ == "__main__":
    main()

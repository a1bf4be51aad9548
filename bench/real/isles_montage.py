#!/usr/bin/env python3
"""Montage of the infarct core on the real ISLES'22 case (docs/isles22-core.png): the ADC map and the
DWI b1000 trace, every slice holding core plus a few without, the core outlined in red.

    .build/release/autoseg run ../shared/realdata/isles22-0001 --out /tmp/isles
    python3 bench/real/isles_montage.py /tmp/isles ../shared/realdata/isles22-0001 docs/isles22-core.png

Prints the core's components (volume, slices, centroid, mean ADC). Needs numpy, pydicom, nibabel,
scipy and Pillow. Image left = patient right (the series' own display).
"""
import glob, json, os, sys

import nibabel as nib
import numpy as np
import pydicom
from PIL import Image, ImageDraw
from scipy import ndimage as ndi


def load(d):
    fs = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(d, "*.dcm")))]
    o = np.array(fs[0].ImageOrientationPatient, float)
    n = np.cross(o[:3], o[3:])
    fs.sort(key=lambda f: float(np.dot(n, np.array(f.ImagePositionPatient, float))))
    return np.stack([f.pixel_array.astype(np.float32) * float(getattr(f, "RescaleSlope", 1))
                     + float(getattr(f, "RescaleIntercept", 0)) for f in fs])


def main(out, case, png):
    lab_path = next(os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs if f == "labels.nii")
    findings = json.load(open(os.path.join(os.path.dirname(lab_path), "findings.json")))
    lab = np.asarray(nib.load(lab_path).dataobj)
    adc, dwi = load(os.path.join(case, "adc")), load(os.path.join(case, "dwi"))
    if lab.shape != adc.shape:  # NIfTI (x, y, z) against the stack's (z, y, x)
        lab = np.transpose(lab, (2, 1, 0))
    core = lab > 0
    zs = [z for z in range(core.shape[0]) if core[z].any()]
    brain = [z for z in range(adc.shape[0]) if (adc[z] > 100).sum() > 500]
    extra = [brain[len(brain) * k // 6] for k in range(1, 6)]
    zs = sorted(set(zs) | set(extra))
    meas = {m["name"]: m["value"] for m in findings.get("case_measurements", [])}
    title = (f"isles22-0001, AutoSeg infarct {findings.get('version', findings.get('analyzer_version', ''))}: core (red) "
             f"{meas.get('core_volume', 0):.2f} mL, ADC<620 {meas.get('adc620_volume', 0):.2f} mL, brain "
             f"{meas.get('brain_volume', 0):.0f} mL; image left = patient right; slice numbers top left")
    s, cols = 3, 8
    h, w = adc.shape[1:]
    rows = (len(zs) + cols - 1) // cols
    im = Image.new("RGB", (cols * w * s, 2 * rows * h * s + 40))
    dr = ImageDraw.Draw(im)
    dr.text((4, 2), title, fill=(255, 255, 255))
    dr.text((4, 20 + rows * h * s), "above: ADC (0-1400 x1e-6 mm2/s); below: DWI b=1000 trace (0-500), same outline",
            fill=(255, 255, 255))
    for block, (img, hi) in enumerate([(adc, 1400), (dwi, 500)]):
        for k, z in enumerate(zs):
            g = np.clip(img[z] / hi * 255, 0, 255).astype(np.uint8)
            rgb = np.stack([g] * 3, -1)
            edge = core[z] & ~ndi.binary_erosion(core[z])
            rgb[edge] = (255, 0, 0)
            tile = Image.fromarray(rgb).resize((w * s, h * s), Image.NEAREST)
            x0, y0 = (k % cols) * w * s, 18 + block * (rows * h * s + 20) + (k // cols) * h * s
            im.paste(tile, (x0, y0))
            dr.text((x0 + 3, y0 + 3), str(z), fill=(255, 255, 0))
    im.save(png)
    # The core's connected components (26-connected), largest first: volume, slices, centroid
    # (slice, row, column) and mean ADC, to compare versions focus by focus.
    vox_ml = float(np.prod(nib.load(lab_path).header.get_zooms()[:3])) / 1000
    lab3, n = ndi.label(core, structure=np.ones((3, 3, 3)))
    comps = []
    for k in range(1, n + 1):
        m = lab3 == k
        zz = np.nonzero(m.any(axis=(1, 2)))[0]
        comps.append((m.sum() * vox_ml, zz.min(), zz.max(), ndi.center_of_mass(m), float(adc[m].mean())))
    print(f"core {core.sum() * vox_ml:.2f} mL in {n} components")
    for ml, z0, z1, c, a in sorted(comps, key=lambda t: -t[0]):
        print(f"  {ml:6.2f} mL  slices {z0}-{z1}  centroid ({c[0]:.0f}, {c[1]:.0f}, {c[2]:.0f})  mean ADC {a:.0f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

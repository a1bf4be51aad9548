#!/usr/bin/env python3
"""Writes synthetic DICOM series for Tests/DICOMTests/VolumeLoaderTests.swift.

Usage: make_test_series.py SPEC.json OUT_DIR

SPEC.json is a list of cases; each case is written to OUT_DIR/<name>/ (see DEFAULTS for
the keys). The conventions the Swift test relies on:

- Slice k (0-based, k = the expected volume slice index) is at
  ImagePositionPatient = origin + k * (spacing * normal + shear), where normal is the cross
  product of the ImageOrientationPatient row and column cosines (unless `positions` lists
  the positions explicitly).
- Slice k has SOPInstanceUID "<series_uid>.<k+1>" and is written to file
  "<perm(k):04d>.dcm" with InstanceNumber perm(k)+1, perm(k) = (7k + 3) mod N: file names
  and instance numbers are deliberately not in position order. In an enhanced multi-frame
  file, slice k is frame perm(k)+1.
- Stored value at (k, row, col): pattern "hash": h = ((k*73856093) ^ (row*19349663) ^
  (col*83492791)) mod 2^BitsStored, minus 2^(BitsStored-1) when signed; pattern "smooth":
  k*3 + row + col. With dirty_high_bits the bits above BitsStored hold (k+row+col) garbage.
- Voxel value = stored * slope_k + intercept_k (double), slope_k = slope,
  intercept_k = intercept + 10 * (k % 3) when per_frame_rescale else intercept.

Transfer syntaxes other than explicit/implicit little endian are made with Debian's DCMTK
tools at absolute paths (/usr/bin/dcmconv, dcmcjpeg, dcmcjpls, dcmcrle); JPEG 2000 and HTJ2K
(j2k, j2k-any, j2k-lossy, htj2k, htj2k-rpcl, htj2k-lossy) with OpenJPEG's opj_compress and
OpenJPH's ojph_compress through j2k_encode.py, `j2k_fragments` fragments per frame, with a
Basic Offset Table unless `j2k_bot` is false.
"""
import copy
import json
import math
import os
import subprocess
import sys

import numpy as np
import pydicom

import j2k_encode
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

DEFAULTS = {
    "name": None,
    "rows": 24,
    "columns": 20,
    "slices": 10,
    "pixel_spacing": [0.75, 0.5],       # between rows, between columns
    "spacing": 1.25,                     # between slices along the normal
    "shear": [0.0, 0.0, 0.0],            # extra per-slice offset (gantry tilt)
    "origin": [-100.5, -80.25, 30.0],
    "iop": [1, 0, 0, 0, 1, 0],
    "positions": None,                   # explicit positions, one per slice
    "modality": "CT",
    "bits_allocated": 16,
    "bits_stored": 12,
    "signed": True,
    "slope": 1.0,
    "intercept": -1024.0,
    "rescale_type": None,
    "per_frame_rescale": False,
    "pattern": "hash",
    "dirty_high_bits": False,
    "transfer_syntax": "explicit",       # implicit explicit big deflate jpeg-lossless(-sv1) jpeg-baseline
                                         # jpegls jpegls-near rle
    "j2k_fragments": 1,                  # JPEG 2000 / HTJ2K: fragments per frame
    "j2k_bot": True,                     # JPEG 2000 / HTJ2K: with a Basic Offset Table
    "j2k_damage": None,                  # JPEG 2000 / HTJ2K error injection (j2k_encode.damaged)
    "enhanced": False,
    "series_uid": "1.2.826.0.1.3680043.8.498.77.1",
    # error injection, keyed by slice index
    "drop_ipp": [],
    "iop_override": {},
    "rows_override": {},
    "duplicate_of": {},
    "skip": [],
    "series_override": {},
}

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"

TOOLS = {
    "big": ["/usr/bin/dcmconv", "+tb"],
    "deflate": ["/usr/bin/dcmconv", "+td"],
    "jpeg-lossless": ["/usr/bin/dcmcjpeg", "+el"],           # process 14
    "jpeg-lossless-sv1": ["/usr/bin/dcmcjpeg", "+e1"],       # process 14, selection value 1
    "jpeg-baseline": ["/usr/bin/dcmcjpeg", "+eb", "+sr", "+un"],   # keep values and UIDs
    "jpegls": ["/usr/bin/dcmcjpls", "+el"],
    "jpegls-near": ["/usr/bin/dcmcjpls", "+en", "+md", "2", "+un"],
    "rle": ["/usr/bin/dcmcrle"],
}


def ds_str(v):
    """A DS value of at most 16 characters (6 decimals)."""
    s = f"{round(float(v), 6):.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def normal_of(iop):
    r = np.array(iop[:3], dtype=float)
    c = np.array(iop[3:], dtype=float)
    n = np.cross(r / np.linalg.norm(r), c / np.linalg.norm(c))
    return n / np.linalg.norm(n)


def perm(k, n):
    assert math.gcd(7, n) == 1, "slice count must be coprime with 7"
    return (7 * k + 3) % n


def stored_values(case, k, rows, cols):
    bs, ba = case["bits_stored"], case["bits_allocated"]
    r = np.arange(rows, dtype=np.int64)[:, None]
    c = np.arange(cols, dtype=np.int64)[None, :]
    if case["pattern"] == "smooth":
        v = k * 3 + r + c + np.zeros((rows, cols), dtype=np.int64)
    else:
        h = (k * 73856093) ^ (r * 19349663) ^ (c * 83492791)
        v = h % (1 << bs)
        if case["signed"]:
            v = v - (1 << (bs - 1))
    raw = v & ((1 << bs) - 1)                 # the BitsStored bit pattern
    if case["signed"] and not case["dirty_high_bits"]:
        raw = v & ((1 << ba) - 1)             # sign-extended to BitsAllocated
    if case["dirty_high_bits"] and bs < ba:
        raw = raw | (((k + r + c) & ((1 << (ba - bs)) - 1)) << bs)
    dtype = {8: "<u1", 16: "<u2", 32: "<u4"}[ba]
    return raw.astype(dtype)


def positions_of(case):
    n = case["slices"]
    if case["positions"] is not None:
        return [np.array(p, dtype=float) for p in case["positions"]]
    normal = normal_of(case["iop"])
    step = case["spacing"] * normal + np.array(case["shear"], dtype=float)
    return [np.array(case["origin"], dtype=float) + k * step for k in range(n)]


def base_dataset(case, sop_class):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.PatientName = "Loader^Test"
    ds.PatientID = "LOADER-1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.77"
    ds.SeriesInstanceUID = case["series_uid"]
    ds.Modality = case["modality"]
    ds.SeriesNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = case["bits_allocated"]
    ds.BitsStored = case["bits_stored"]
    ds.HighBit = case["bits_stored"] - 1
    ds.PixelRepresentation = 1 if case["signed"] else 0
    return ds


def set_pixels(ds, data):
    vr = "OB" if ds.BitsAllocated == 8 else "OW"
    ds.add_new(0x7FE00010, vr, data)


def rescale_of(case, k):
    intercept = case["intercept"] + (10 * (k % 3) if case["per_frame_rescale"] else 0)
    return case["slope"], intercept


def write_classic(case, out):
    n = case["slices"]
    sop_class = CT_IMAGE if case["modality"] == "CT" else MR_IMAGE
    positions = positions_of(case)
    paths = []
    for k in range(n):
        if k in case["skip"]:
            continue
        ds = base_dataset(case, sop_class)
        uid = f"{case['series_uid']}.{k + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.SOPInstanceUID = uid
        ds.SeriesInstanceUID = case["series_override"].get(str(k), case["series_uid"])
        ds.InstanceNumber = perm(k, n) + 1
        rows = int(case["rows_override"].get(str(k), case["rows"]))
        ds.Rows, ds.Columns = rows, case["columns"]
        ds.PixelSpacing = [ds_str(v) for v in case["pixel_spacing"]]
        ds.SliceThickness = ds_str(case["spacing"])
        ds.ImageOrientationPatient = [ds_str(v) for v in case["iop_override"].get(str(k), case["iop"])]
        p = positions[int(case["duplicate_of"].get(str(k), k))]
        if k not in case["drop_ipp"]:
            ds.ImagePositionPatient = [ds_str(v) for v in p]
        slope, intercept = rescale_of(case, k)
        if case["modality"] == "CT" or slope != 1 or intercept != 0:
            ds.RescaleSlope = ds_str(slope)
            ds.RescaleIntercept = ds_str(intercept)
        if case["rescale_type"]:
            ds.RescaleType = case["rescale_type"]
        set_pixels(ds, stored_values(case, k, rows, case["columns"]).tobytes())
        path = os.path.join(out, f"{perm(k, n):04d}.dcm")
        save(ds, path, case["transfer_syntax"], case)
        paths.append(path)
    return paths


def write_enhanced(case, out):
    n = case["slices"]
    sop_class = ENHANCED_CT if case["modality"] == "CT" else ENHANCED_MR
    positions = positions_of(case)
    ds = base_dataset(case, sop_class)
    uid = f"{case['series_uid']}.1"
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.SOPInstanceUID = uid
    ds.InstanceNumber = 1
    ds.Rows, ds.Columns = case["rows"], case["columns"]
    ds.NumberOfFrames = n

    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = [ds_str(v) for v in case["pixel_spacing"]]
    measures.SliceThickness = ds_str(case["spacing"])
    shared.PixelMeasuresSequence = Sequence([measures])
    orientation = Dataset()
    orientation.ImageOrientationPatient = [ds_str(v) for v in case["iop"]]
    shared.PlaneOrientationSequence = Sequence([orientation])

    def transformation(k):
        t = Dataset()
        slope, intercept = rescale_of(case, k)
        t.RescaleSlope = ds_str(slope)
        t.RescaleIntercept = ds_str(intercept)
        t.RescaleType = case["rescale_type"] or ("HU" if case["modality"] == "CT" else "US")
        return t

    if not case["per_frame_rescale"]:
        shared.PixelValueTransformationSequence = Sequence([transformation(0)])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    slice_of_frame = [None] * n
    for k in range(n):
        slice_of_frame[perm(k, n)] = k
    frames = []
    pixels = []
    for j, k in enumerate(slice_of_frame):
        item = Dataset()
        position = Dataset()
        if k not in case["drop_ipp"]:
            position.ImagePositionPatient = [ds_str(v) for v in positions[int(case["duplicate_of"].get(str(k), k))]]
        item.PlanePositionSequence = Sequence([position])
        content = Dataset()
        content.InStackPositionNumber = k + 1
        content.StackID = "1"
        item.FrameContentSequence = Sequence([content])
        if case["per_frame_rescale"]:
            item.PixelValueTransformationSequence = Sequence([transformation(k)])
        frames.append(item)
        pixels.append(stored_values(case, k, case["rows"], case["columns"]).tobytes())
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    set_pixels(ds, b"".join(pixels))
    path = os.path.join(out, "0000.dcm")
    save(ds, path, case["transfer_syntax"], case)
    return [path]


def save(ds, path, syntax, case):
    if syntax == "implicit":
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    if syntax in j2k_encode.SYNTAXES:
        j2k_encode.encode_dataset(ds, syntax, case["j2k_fragments"], case["j2k_bot"], case["j2k_damage"])
        ds.save_as(path, enforce_file_format=True)
        return
    ds.save_as(path, enforce_file_format=True)
    if syntax in ("implicit", "explicit"):
        return
    tmp = path + ".tmp"
    subprocess.run(TOOLS[syntax] + [path, tmp], check=True, stdout=subprocess.DEVNULL)
    os.replace(tmp, path)


def main():
    spec_path, out_dir = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        cases = json.load(f)
    for raw in cases:
        unknown = set(raw) - set(DEFAULTS)
        if unknown:
            sys.exit(f"unknown keys {sorted(unknown)} in case {raw.get('name')}")
        case = copy.deepcopy(DEFAULTS)
        case.update(raw)
        out = os.path.join(out_dir, case["name"])
        os.makedirs(out, exist_ok=True)
        (write_enhanced if case["enhanced"] else write_classic)(case, out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Synthetic DICOM data for the AutoSeg integration tests and the ingest benchmark.

Nothing is downloaded: every image is drawn here (a simple body/lung/spine phantom with
noise) and written with pydicom; the compressed and re-encoded variants are made with
Debian's DCMTK command-line tools, always called by absolute path (/usr/bin/...), because
PATH may hold Python shims with the same names.

Every variant gets its own series and its own SOP Instance UIDs *before* it is
compressed or converted (and the DCMTK tools are told never to invent new ones: +un), so
all variants can be stored side by side on one node.

The transfer-syntax variants and the benchmark series built from these datasets are in
dicomvariants.py (also its command line).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    generate_uid,
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

DCMTK_BIN = Path("/usr/bin")
CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
MR_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.4")
SECONDARY_CAPTURE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.7")
# A private-looking but valid root; UIDs are <root>.<random digits>, never a leading zero.
UID_ROOT = "1.2.826.0.1.3680043.8.498."
IMPLEMENTATION_CLASS_UID = UID("1.2.826.0.1.3680043.8.498.1")


def new_uid() -> UID:
    return generate_uid(prefix=UID_ROOT)


def dcmtk(tool: str) -> str:
    path = DCMTK_BIN / tool
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: install Debian package 'dcmtk'")
    return str(path)


# ----------------------------------------------------------------------------- pixels

def _phantom_hu(rows: int, cols: int, z_frac: float, rng: np.random.Generator) -> np.ndarray:
    """A crude axial chest slice in HU: air, soft-tissue body, two lungs, spine, a nodule."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    cy, cx = (rows - 1) / 2.0, (cols - 1) / 2.0
    ny, nx = (y - cy) / (rows / 2.0), (x - cx) / (cols / 2.0)
    img = np.full((rows, cols), -1000.0, dtype=np.float32)
    body = (nx / 0.85) ** 2 + (ny / 0.62) ** 2 <= 1.0
    img[body] = 40.0
    lung_scale = 0.8 + 0.2 * np.sin(np.pi * z_frac)
    for sx in (-0.38, 0.38):
        lung = ((nx - sx) / (0.28 * lung_scale)) ** 2 + ((ny + 0.05) / (0.42 * lung_scale)) ** 2 <= 1.0
        img[lung] = -850.0
    spine = (nx / 0.1) ** 2 + ((ny - 0.45) / 0.1) ** 2 <= 1.0
    img[spine] = 700.0
    nodule = ((nx - 0.35) / 0.05) ** 2 + ((ny + 0.1) / 0.05) ** 2 <= 1.0 - (2 * z_frac - 1) ** 2
    img[nodule] = 30.0
    img += rng.normal(0.0, 12.0, size=img.shape).astype(np.float32)
    return img


# ----------------------------------------------------------------------------- datasets

@dataclass
class Patient:
    name: str = "PHANTOM^CHEST"
    patient_id: str = "AS-CT-0001"
    birth_date: str = "19600101"
    sex: str = "O"


@dataclass
class Study:
    patient: Patient = field(default_factory=Patient)
    study_uid: UID = field(default_factory=new_uid)
    accession: str = "ACC0001"
    study_id: str = "1"
    date: str = "20240105"
    time: str = "101500"
    description: str = "AutoSeg integration test"


def _common(ds: Dataset, study: Study, series_uid: UID, series_number: int, frame_uid: UID,
            modality: str, sop_class: UID, description: str) -> None:
    p = study.patient
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = new_uid()
    ds.StudyDate = study.date
    ds.SeriesDate = study.date
    ds.ContentDate = study.date
    ds.StudyTime = study.time
    ds.SeriesTime = study.time
    ds.ContentTime = study.time
    ds.AccessionNumber = study.accession
    ds.Modality = modality
    ds.Manufacturer = "AutoSeg Test Generator"
    ds.InstitutionName = "Test Hospital"
    ds.ReferringPhysicianName = "REFERRER^TEST"
    ds.StudyDescription = study.description
    ds.SeriesDescription = description
    ds.PatientName = p.name
    ds.PatientID = p.patient_id
    ds.PatientBirthDate = p.birth_date
    ds.PatientSex = p.sex
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = series_number
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = ""


def _geometry(ds: Dataset, index: int, rows: int, cols: int, fov_mm: float,
              thickness: float, z0: float) -> None:
    spacing = fov_mm / cols
    z = z0 + index * thickness
    ds.ImagePositionPatient = [f"{-fov_mm / 2 + spacing / 2:.4f}",
                               f"{-fov_mm / 2 * rows / cols + spacing / 2:.4f}", f"{z:.4f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = [f"{spacing:.6f}", f"{spacing:.6f}"]
    ds.SliceThickness = f"{thickness:g}"
    ds.SpacingBetweenSlices = f"{thickness:g}"
    ds.SliceLocation = f"{z:.4f}"
    ds.InstanceNumber = index + 1
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"


def ct_series(count: int, rows: int = 64, cols: int = 64, *, study: Study | None = None,
              series_number: int = 1, description: str = "CHEST 2.5mm",
              bits_stored: int = 16, seed: int = 0) -> list[Dataset]:
    """CT slices in HU with RescaleIntercept -1024.

    bits_stored=16: signed 16-bit (PixelRepresentation 1), as many scanners write.
    bits_stored=12: unsigned 12-bit in 16 (PixelRepresentation 0), suitable for JPEG
    extended (process 2/4, .4.51), which DCMTK only encodes up to 12 bits.
    """
    study = study or Study()
    rng = np.random.default_rng(seed)
    series_uid, frame_uid = new_uid(), new_uid()
    out = []
    for i in range(count):
        ds = Dataset()
        _common(ds, study, series_uid, series_number, frame_uid, "CT", CT_IMAGE_STORAGE, description)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.BodyPartExamined = "CHEST"
        ds.ScanOptions = "HELICAL MODE"
        ds.KVP = "120"
        ds.XRayTubeCurrent = 200
        ds.ConvolutionKernel = "STANDARD"
        ds.PatientPosition = "FFS"
        ds.AcquisitionNumber = 1
        _geometry(ds, i, rows, cols, 350.0, 2.5, -150.0)
        ds.BitsAllocated = 16
        ds.BitsStored = bits_stored
        ds.HighBit = bits_stored - 1
        hu = _phantom_hu(rows, cols, i / max(count - 1, 1), rng)
        stored = np.clip(np.rint(hu + 1024.0), 0, (1 << bits_stored) - 1 if bits_stored < 16 else 32767)
        if bits_stored == 16:
            ds.PixelRepresentation = 1
            arr = stored.astype("<i2")
        else:
            ds.PixelRepresentation = 0
            arr = stored.astype("<u2")
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.WindowCenter = "-600"
        ds.WindowWidth = "1500"
        ds.PixelData = arr.tobytes()
        out.append(ds)
    return out


def mr_series(count: int, rows: int = 64, cols: int = 64, *, study: Study | None = None,
              series_number: int = 1, description: str = "AX DWI ADC", seed: int = 1) -> list[Dataset]:
    """MR slices, unsigned 16-bit (12 bits stored), a head-like ellipse."""
    study = study or Study(patient=Patient("PHANTOM^BRAIN", "AS-MR-0001", "19700202", "F"),
                           accession="ACC0002", study_id="2")
    rng = np.random.default_rng(seed)
    series_uid, frame_uid = new_uid(), new_uid()
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    ny, nx = (y - (rows - 1) / 2) / (rows / 2), (x - (cols - 1) / 2) / (cols / 2)
    out = []
    for i in range(count):
        ds = Dataset()
        _common(ds, study, series_uid, series_number, frame_uid, "MR", MR_IMAGE_STORAGE, description)
        ds.ImageType = ["DERIVED", "PRIMARY", "ADC"]
        ds.BodyPartExamined = "HEAD"
        ds.ScanningSequence = "EP"
        ds.SequenceVariant = "SK"
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "2D"
        ds.RepetitionTime = "5000"
        ds.EchoTime = "80"
        ds.MagneticFieldStrength = "1.5"
        ds.ImagingFrequency = "63.87"
        ds.PatientPosition = "HFS"
        _geometry(ds, i, rows, cols, 230.0, 5.0, -20.0)
        ds.BitsAllocated = 16
        ds.BitsStored = 12
        ds.HighBit = 11
        ds.PixelRepresentation = 0
        brain = (nx / 0.75) ** 2 + (ny / 0.9) ** 2 <= 1.0
        img = np.zeros((rows, cols), np.float32)
        img[brain] = 800.0
        img[brain & ((nx - 0.3) ** 2 + ny ** 2 < 0.04)] = 450.0  # an ADC-dark core
        img += np.abs(rng.normal(0, 20, img.shape))
        ds.PixelData = np.clip(np.rint(img), 0, 4095).astype("<u2").tobytes()
        ds.WindowCenter = "700"
        ds.WindowWidth = "1400"
        out.append(ds)
    return out


def sc8_series(count: int, rows: int = 64, cols: int = 64, *, study: Study | None = None,
               series_number: int = 90, description: str = "KEY IMAGES 8 bit",
               seed: int = 2) -> list[Dataset]:
    """8-bit monochrome secondary capture (JPEG baseline needs 8-bit samples)."""
    study = study or Study()
    rng = np.random.default_rng(seed)
    series_uid, frame_uid = new_uid(), new_uid()
    out = []
    for i in range(count):
        ds = Dataset()
        _common(ds, study, series_uid, series_number, frame_uid, "OT", SECONDARY_CAPTURE_STORAGE,
                description)
        ds.ImageType = ["DERIVED", "SECONDARY"]
        ds.ConversionType = "WSD"
        ds.PatientOrientation = ["L", "P"]
        _geometry(ds, i, rows, cols, 350.0, 2.5, -150.0)
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        hu = _phantom_hu(rows, cols, i / max(count - 1, 1), rng)
        ds.PixelData = np.clip((hu + 1000.0) / 8.0, 0, 255).astype(np.uint8).tobytes()
        out.append(ds)
    return out


def write_dataset(ds: Dataset, path: Path, transfer_syntax: UID = ExplicitVRLittleEndian) -> Path:
    """Write a DICOM file (preamble + meta + dataset) in implicit or explicit VR little endian."""
    if transfer_syntax not in (ImplicitVRLittleEndian, ExplicitVRLittleEndian):
        raise ValueError("pydicom writes only the two little-endian syntaxes here; use DCMTK tools")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = "ASTESTGEN"
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, implicit_vr=transfer_syntax == ImplicitVRLittleEndian, little_endian=True,
               enforce_file_format=True)
    return path


def file_transfer_syntax(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)

#!/usr/bin/env python3
"""Every transfer-syntax variant of a small CT/MR/SC study (the store tests), and the large CT
series of the ingest benchmark, built from dicomgen's datasets. DCMTK tools by absolute path.

Command line:
    dicomvariants.py variants OUTDIR [--size 64] [--count 3]
    dicomvariants.py ct OUTDIR --count 1000 --size 512 [--seed 1]     # benchmark series
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dicomgen import (_geometry, Dataset, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian,
                      ImplicitVRLittleEndian, JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSLossless,
                      JPEGLSNearLossless, JPEGLossless, JPEGLosslessSV1, Patient, RLELossless, Study, UID,
                      ct_series, dcmtk, mr_series, new_uid, pydicom, sc8_series, write_dataset)


@dataclass
class Variant:
    name: str
    transfer_syntax: str
    files: list[Path]
    sop_instance_uids: list[str]
    series_uid: str
    study_uid: str
    sop_class_uid: str

    def to_json(self) -> dict:
        return {"name": self.name, "transfer_syntax": self.transfer_syntax,
                "files": [str(f) for f in self.files], "sop_instance_uids": self.sop_instance_uids,
                "series_uid": self.series_uid, "study_uid": self.study_uid,
                "sop_class_uid": self.sop_class_uid}

    @classmethod
    def from_json(cls, d: dict) -> "Variant":
        return cls(d["name"], d["transfer_syntax"], [Path(f) for f in d["files"]],
                   d["sop_instance_uids"], d["series_uid"], d["study_uid"], d["sop_class_uid"])


# name -> (source kind, tool + args ("" = written by pydicom), expected transfer syntax)
VARIANT_SPECS: list[tuple[str, str, list[str], UID]] = [
    ("ct_implicit_le", "ct16", [], ImplicitVRLittleEndian),
    ("ct_explicit_le", "ct16", [], ExplicitVRLittleEndian),
    ("ct_explicit_be", "ct16", ["dcmconv", "+tb"], ExplicitVRBigEndian),
    ("ct_deflated", "ct16", ["dcmconv", "+td"], DeflatedExplicitVRLittleEndian),
    ("sc8_explicit_le", "sc8", [], ExplicitVRLittleEndian),
    ("sc8_jpeg_baseline", "sc8", ["dcmcjpeg", "+eb", "+un"], JPEGBaseline8Bit),
    ("ct12_jpeg_extended", "ct12", ["dcmcjpeg", "+ee", "+un"], JPEGExtended12Bit),
    ("ct_jpeg_lossless", "ct16", ["dcmcjpeg", "+el", "+un"], JPEGLossless),
    ("ct_jpeg_lossless_sv1", "ct16", ["dcmcjpeg", "+e1", "+un"], JPEGLosslessSV1),
    ("ct_jpegls_lossless", "ct16", ["dcmcjpls", "+el", "+un"], JPEGLSLossless),
    ("ct12_jpegls_near_lossless", "ct12", ["dcmcjpls", "+en", "+un"], JPEGLSNearLossless),
    ("ct_rle", "ct16", ["dcmcrle", "+un"], RLELossless),
    ("mr_explicit_le", "mr", [], ExplicitVRLittleEndian),
    ("mr_implicit_le", "mr", [], ImplicitVRLittleEndian),
]


def _source(kind: str, count: int, size: int, ct_study: Study, mr_study: Study,
            series_number: int) -> list[Dataset]:
    if kind == "ct16":
        return ct_series(count, size, size, study=ct_study, series_number=series_number,
                         seed=series_number)
    if kind == "ct12":
        return ct_series(count, size, size, study=ct_study, series_number=series_number,
                         bits_stored=12, seed=series_number)
    if kind == "sc8":
        return sc8_series(count, size, size, study=ct_study, series_number=series_number,
                          seed=series_number)
    if kind == "mr":
        return mr_series(count, size, size, study=mr_study, series_number=series_number,
                         seed=series_number)
    raise ValueError(kind)


def _run(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()}")


def generate_variants(outdir: Path, count: int = 3, size: int = 64,
                      names: list[str] | None = None) -> list[Variant]:
    """Write every variant into outdir/<name>/NNN.dcm and verify each file's transfer syntax.

    Writes outdir/manifest.json. Returns the variants in VARIANT_SPECS order.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ct_study = Study()
    mr_study = Study(patient=Patient("PHANTOM^BRAIN", "AS-MR-0001", "19700202", "F"),
                     accession="ACC0002", study_id="2")
    variants: list[Variant] = []
    with tempfile.TemporaryDirectory(prefix="dicomgen-") as tmp:
        tmp = Path(tmp)
        for number, (name, kind, tool, ts) in enumerate(VARIANT_SPECS, start=1):
            if names and name not in names:
                continue
            vdir = outdir / name
            if vdir.exists():
                shutil.rmtree(vdir)
            vdir.mkdir()
            datasets = _source(kind, count, size, ct_study, mr_study, series_number=number)
            files = []
            for i, ds in enumerate(datasets):
                dst = vdir / f"{i + 1:03d}.dcm"
                if not tool:
                    write_dataset(ds, dst, ts)
                else:
                    src = write_dataset(ds, tmp / f"{name}-{i}.dcm", ExplicitVRLittleEndian)
                    _run([dcmtk(tool[0]), *tool[1:], str(src), str(dst)])
                files.append(dst)
            # Verify: the transfer syntax we asked for, and the UIDs we assigned survived.
            for ds, f in zip(datasets, files):
                got = pydicom.dcmread(f, stop_before_pixels=True)
                if str(got.file_meta.TransferSyntaxUID) != str(ts):
                    raise RuntimeError(f"{f}: transfer syntax {got.file_meta.TransferSyntaxUID}, "
                                       f"expected {ts} ({ts.name})")
                if got.SOPInstanceUID != ds.SOPInstanceUID:
                    raise RuntimeError(f"{f}: SOP Instance UID changed by {tool[0]}")
            variants.append(Variant(name, str(ts), files, [str(d.SOPInstanceUID) for d in datasets],
                                    str(datasets[0].SeriesInstanceUID),
                                    str(datasets[0].StudyInstanceUID), str(datasets[0].SOPClassUID)))
    all_uids = [u for v in variants for u in v.sop_instance_uids]
    if len(set(all_uids)) != len(all_uids):
        raise RuntimeError("duplicate SOP Instance UIDs across variants")
    (outdir / "manifest.json").write_text(json.dumps([v.to_json() for v in variants], indent=1))
    return variants


def load_variants(outdir: Path) -> list[Variant]:
    return [Variant.from_json(d) for d in json.loads((Path(outdir) / "manifest.json").read_text())]


def write_ct_series(outdir: Path, count: int, size: int, seed: int = 1,
                    transfer_syntax: UID = ExplicitVRLittleEndian) -> list[Path]:
    """A single CT series of `count` slices of size×size into outdir/CT000001.dcm ..."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    study = Study()
    series_uid, frame_uid = new_uid(), new_uid()
    files = []
    # Generate one slice at a time so 1000×512×512 does not sit in memory at once.
    for i in range(count):
        ds = ct_series(1, size, size, study=study, seed=seed * 100003 + i)[0]
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        _geometry(ds, i, size, size, 350.0, 1.0, -500.0)
        f = outdir / f"CT{i + 1:06d}.dcm"
        write_dataset(ds, f, transfer_syntax)
        files.append(f)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("variants", help="every transfer-syntax variant, N instances each")
    v.add_argument("outdir", type=Path)
    v.add_argument("--count", type=int, default=3)
    v.add_argument("--size", type=int, default=64)
    c = sub.add_parser("ct", help="one CT series (benchmark data)")
    c.add_argument("outdir", type=Path)
    c.add_argument("--count", type=int, default=1000)
    c.add_argument("--size", type=int, default=512)
    c.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.cmd == "variants":
        for var in generate_variants(a.outdir, a.count, a.size):
            print(f"{var.name:26s} {var.transfer_syntax:24s} {len(var.files)} files")
    else:
        t0 = _dt.datetime.now()
        files = write_ct_series(a.outdir, a.count, a.size, a.seed)
        dt = (_dt.datetime.now() - t0).total_seconds()
        print(f"wrote {len(files)} CT instances {a.size}x{a.size} to {a.outdir} in {dt:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

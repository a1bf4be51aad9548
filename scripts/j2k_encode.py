#!/usr/bin/env python3
"""Re-encodes a DICOM image with native pixel data as JPEG 2000 or HTJ2K, with real encoders.

Usage: j2k_encode.py SYNTAX IN OUT [--fragments=N] [--no-bot]

SYNTAX is one of
  j2k          1.2.840.10008.1.2.4.90  JPEG 2000 lossless          (opj_compress, Debian libopenjp2-tools)
  j2k-any      1.2.840.10008.1.2.4.91  JPEG 2000, reversible 5/3   (opj_compress)
  j2k-lossy    1.2.840.10008.1.2.4.91  JPEG 2000, irreversible 9/7 at 50 dB PSNR (opj_compress -I -q 50)
  htj2k        1.2.840.10008.1.2.4.201 HTJ2K lossless              (OpenJPH 0.26 in PyPI imagecodecs)
  htj2k-rpcl   1.2.840.10008.1.2.4.202 HTJ2K lossless, RPCL + TLM  (the same; RPCL is OpenJPH's order)
  htj2k-lossy  1.2.840.10008.1.2.4.203 HTJ2K, irreversible 9/7     (the same, OpenJPH's default step)

Each frame is one codestream of BitsStored-bit samples for OpenJPEG (HTJ2K: of the sample
type's width), signed when PixelRepresentation is 1, split into N fragments (--fragments=N)
and encapsulated with pydicom, with a Basic Offset Table unless --no-bot. Everything else
of the dataset is kept (UIDs included).

Debian's openjph-tools 0.9.0 (ojph_compress) is not used: its codestreams of signed samples
decode to saturated values with OpenJPEG 2.5.0 and 2.5.4 alike (unsigned ones are fine),
while OpenJPH 0.26's decode correctly with both.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import UID

SYNTAXES = {
    "j2k": ("1.2.840.10008.1.2.4.90", "opj", []),
    "j2k-any": ("1.2.840.10008.1.2.4.91", "opj", []),
    "j2k-lossy": ("1.2.840.10008.1.2.4.91", "opj", ["-I", "-q", "50"]),
    "htj2k": ("1.2.840.10008.1.2.4.201", "ojph", {"reversible": True}),
    "htj2k-rpcl": ("1.2.840.10008.1.2.4.202", "ojph", {"reversible": True, "tlm": True}),
    "htj2k-lossy": ("1.2.840.10008.1.2.4.203", "ojph", {"reversible": False}),
}
LOSSY = {"j2k-lossy", "htj2k-lossy"}


def stored_frames(ds):
    """The stored values of each frame: BitsStored bits, sign-extended when signed."""
    bits, allocated = int(ds.BitsStored), int(ds.BitsAllocated)
    dtype = {8: "<u1", 16: "<u2", 32: "<u4"}[allocated]
    rows, cols = int(ds.Rows), int(ds.Columns)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    raw = np.frombuffer(ds.PixelData, dtype=dtype)[: rows * cols * frames].astype(np.int64)
    shift = int(ds.HighBit) + 1 - bits
    v = (raw >> shift) & ((1 << bits) - 1)
    if int(ds.PixelRepresentation) == 1:
        v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return v.reshape(frames, rows, cols), bits, int(ds.PixelRepresentation) == 1


def encode_frame(values, bits, signed, syntax, tmp):
    """One codestream of `values` (rows × columns, or components × rows × columns)."""
    comps = values.shape[0] if values.ndim == 3 else 1
    rows, cols = values.shape[-2:]
    sample = "<i2" if bits > 8 and signed else "<u2" if bits > 8 else "i1" if signed else "u1"
    if SYNTAXES[syntax][1] == "ojph":
        import imagecodecs  # PyPI; only the HTJ2K syntaxes need it
        data = np.moveaxis(values, 0, -1) if comps > 1 else values
        return bytes(imagecodecs.htj2k_encode(np.ascontiguousarray(data.astype(sample)), **SYNTAXES[syntax][2]))
    raw = os.path.join(tmp, "frame.rawl")
    values.astype(sample).tofile(raw)
    out = os.path.join(tmp, "frame.j2k")
    # Resolution levels: the coarsest must keep at least one sample (2^(levels-1) <= size).
    levels = max(1, min(6, int(math.log2(min(rows, cols))) + 1))
    cmd = ["/usr/bin/opj_compress", "-i", raw, "-o", out, "-n", str(levels),
           "-F", f"{cols},{rows},{comps},{bits},{'s' if signed else 'u'}"]
    subprocess.run(cmd + SYNTAXES[syntax][2], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(out, "rb") as f:
        return f.read()


def damaged(stream, frame, bits, signed, syntax, tmp, damage):
    """Error injection for the decoder's tests (`damage`): a real codestream made wrong."""
    if damage == "truncate":          # cut in the middle of the tile data
        return stream[: len(stream) // 2]
    if damage == "garbage":           # main header kept, tile data replaced by noise
        rng = np.random.default_rng(7)  # fixed seed: the same file every run
        keep = stream.find(b"\xff\x90")  # first SOT marker
        return stream[: keep + 14] + rng.integers(0, 256, len(stream) - keep - 14, dtype=np.uint8).tobytes()
    if damage == "rows":              # the codestream has one row fewer than the dataset says
        return encode_frame(frame[:-1], bits, signed, syntax, tmp)
    if damage == "components":        # three components where the dataset says one sample
        return encode_frame(np.stack([frame, frame, frame]), bits, signed, syntax, tmp)
    if damage == "not-a-codestream":  # the fragment holds no JPEG 2000 at all
        return bytes(len(stream))
    raise ValueError(f"unknown damage {damage}")


def encode_dataset(ds, syntax, fragments=1, bot=True, damage=None):
    """Replaces the native Pixel Data of `ds` by encapsulated codestreams of `syntax`
    (with `damage`, a broken stream: see `damaged`)."""
    frames, bits, signed = stored_frames(ds)
    with tempfile.TemporaryDirectory() as tmp:
        streams = [encode_frame(f, bits, signed, syntax, tmp) for f in frames]
        if damage:
            streams = [damaged(s, f, bits, signed, syntax, tmp, damage) for s, f in zip(streams, frames)]
    ds.file_meta.TransferSyntaxUID = UID(SYNTAXES[syntax][0])
    ds.PixelData = encapsulate(streams, fragments_per_frame=fragments, has_bot=bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    if syntax in LOSSY:
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionMethod = "ISO_15444_1" if syntax.startswith("j2k") else "ISO_15444_15"
    return ds


def encode_file(src, dst, syntax, fragments=1, bot=True):
    ds = pydicom.dcmread(src)
    encode_dataset(ds, syntax, fragments, bot)
    ds.save_as(dst, enforce_file_format=True)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    fragments = 1
    for a in argv:
        if a.startswith("--fragments="):
            fragments = int(a.split("=", 1)[1])
    if len(args) != 3 or args[0] not in SYNTAXES:
        sys.exit(__doc__)
    encode_file(args[1], args[2], args[0], fragments, "--no-bot" not in argv)


if __name__ == "__main__":
    main(sys.argv[1:])

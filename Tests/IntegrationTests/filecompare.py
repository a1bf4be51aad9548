"""Comparing what a peer sent with what the node stored: Part 10 payloads byte for byte,
datasets element by element, catalog rows and a clean spool."""
from __future__ import annotations

from harness import *  # noqa: F401,F403  (the basics: imports, paths, constants)


# ----------------------------------------------------------------------------- file comparison

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}


def split_part10(data: bytes) -> tuple[bytes, bytes]:
    """(file meta group incl. preamble, dataset bytes) of a DICOM Part 10 file."""
    if len(data) < 132 or data[128:132] != b"DICM":
        raise AssertionError("not a DICOM Part 10 file (no DICM prefix at offset 128)")
    off = 132
    while off + 8 <= len(data):
        group = int.from_bytes(data[off:off + 2], "little")
        if group != 0x0002:
            break
        vr = data[off + 4:off + 6]
        if vr in _LONG_VRS:
            length = int.from_bytes(data[off + 8:off + 12], "little")
            off += 12 + length
        else:
            length = int.from_bytes(data[off + 6:off + 8], "little")
            off += 8 + length
    return data[:off], data[off:]


def dataset_payload(path: Path) -> tuple[str, bytes]:
    """(transfer syntax, dataset bytes after the meta group; inflated if deflated)."""
    data = Path(path).read_bytes()
    _, body = split_part10(data)
    ts = str(pydicom.dcmread(BytesIO(data), stop_before_pixels=True).file_meta.TransferSyntaxUID)
    if ts == DeflatedExplicitVRLittleEndian:
        body = zlib.decompress(body, -zlib.MAX_WBITS)
    return ts, body


def _first_diff(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def assert_raw_dataset_equal(sent: Path, stored: Path) -> None:
    """The stored file carries the same transfer syntax and byte-identical dataset as the
    file storescu sent (deflated datasets are compared after inflating)."""
    ts_sent, body_sent = dataset_payload(sent)
    ts_stored, body_stored = dataset_payload(stored)
    assert ts_stored == ts_sent, (f"{stored}: stored with transfer syntax {ts_stored}, "
                                  f"sent as {ts_sent} ({UID(ts_sent).name})")
    if body_sent != body_stored:
        i = _first_diff(body_sent, body_stored)
        diffs = diff_datasets(pydicom.dcmread(sent), pydicom.dcmread(stored))
        raise AssertionError(
            f"{stored}: dataset bytes differ from {sent} at offset {i} "
            f"(sent {len(body_sent)} bytes, stored {len(body_stored)}); element diffs: "
            f"{diffs[:5] or 'none (encoding-only difference)'}")


UNCOMPRESSED_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                         "1.2.840.10008.1.2.1.99"}


def diff_datasets(a: Dataset, b: Dataset, path: str = "", pixels: str = "raw") -> list[str]:
    """Element-wise differences between two datasets (file meta excluded; group lengths
    ignored), recursing into sequences. PixelData is compared as raw bytes, or with
    pixels="array" as decoded arrays (for the same image in two uncompressed syntaxes of
    different byte order)."""
    out: list[str] = []
    if pixels == "array" and "PixelData" in a and "PixelData" in b:
        import numpy as np
        if not np.array_equal(a.pixel_array, b.pixel_array):
            out.append(f"{path}PixelData: decoded pixel arrays differ")
        a, b = _without_pixels(a), _without_pixels(b)
    tags = sorted(set(a.keys()) | set(b.keys()))
    for tag in tags:
        if tag.element == 0x0000 or tag.group == 0x0002:
            continue
        name = f"{path}{tag}"
        if tag not in a:
            out.append(f"{name} only in stored")
            continue
        if tag not in b:
            out.append(f"{name} missing from stored")
            continue
        ea, eb = a[tag], b[tag]
        if ea.VR == "SQ" or eb.VR == "SQ":
            va, vb = ea.value or [], eb.value or []
            if len(va) != len(vb):
                out.append(f"{name} sequence length {len(va)} != {len(vb)}")
                continue
            for i, (ia, ib) in enumerate(zip(va, vb)):
                out += diff_datasets(ia, ib, f"{name}[{i}].")
            continue
        va, vb = ea.value, eb.value
        if isinstance(va, (bytes, bytearray)) or isinstance(vb, (bytes, bytearray)):
            ba, bb = bytes(va or b""), bytes(vb or b"")
            # one side may hold an odd-length value padded on the wire
            if ba != bb and not (ba.rstrip(b"\0") == bb.rstrip(b"\0") and abs(len(ba) - len(bb)) <= 1):
                out.append(f"{name} bytes differ (len {len(ba)} vs {len(bb)}, first diff at "
                           f"{_first_diff(ba, bb)})")
        elif va != vb:
            out.append(f"{name} {ea.keyword or ''}: sent {va!r} != stored {vb!r}")
    return out


def _without_pixels(ds: Dataset) -> Dataset:
    c = Dataset()
    for elem in ds:
        if elem.tag != 0x7FE00010:
            c.add(elem)
    return c


def assert_dataset_equal(sent: Dataset, stored_path: Path) -> Dataset:
    stored = pydicom.dcmread(stored_path)
    diffs = diff_datasets(sent, stored)
    assert not diffs, f"{stored_path}: dataset differs from what was sent: {diffs[:10]}"
    return stored


def check_catalogued(node: Node, sop_uid: str, study_uid: str, series_uid: str, *,
                     calling_ae: str | None = None, transfer_syntax: str | None = None,
                     row: dict | None = None) -> Path:
    """The instance has exactly one catalog row, status 'stored', the contract's file_path,
    and the file exists with that size. Returns the absolute file path."""
    if row is None:
        rows = node.catalog().instance_rows(sop_uid)
        assert len(rows) == 1, f"instance {sop_uid}: {len(rows)} catalog rows, expected 1"
        row = rows[0]
    expected_rel = f"spool/{study_uid}/{series_uid}/{sop_uid}.dcm"
    assert row["status"] == "stored", f"instance {sop_uid}: status {row['status']!r}"
    assert os.path.normpath(row["file_path"]) == expected_rel, \
        f"instance {sop_uid}: file_path {row['file_path']!r}, expected {expected_rel!r}"
    path = node.data_dir / expected_rel
    assert path.is_file(), f"{path} missing although catalogued"
    if row.get("file_size") is not None:
        assert int(row["file_size"]) == path.stat().st_size, \
            f"{path}: catalog file_size {row['file_size']} != {path.stat().st_size} on disk"
    if calling_ae is not None:
        assert (row["calling_ae"] or "").strip() == calling_ae, \
            f"instance {sop_uid}: calling_ae {row['calling_ae']!r}, expected {calling_ae!r}"
    if transfer_syntax is not None:
        assert row["transfer_syntax_uid"] == transfer_syntax, \
            f"instance {sop_uid}: transfer_syntax_uid {row['transfer_syntax_uid']!r}, " \
            f"expected {transfer_syntax!r}"
    return path


def assert_spool_clean(node: Node, allowed: set[str] | None = None, wait: float = 0.0) -> None:
    """No *.part (or anything) under spool/.incoming, and (if `allowed` is given) no spool
    file other than <sop>.dcm for an allowed SOP Instance UID."""
    if wait:
        wait_until(lambda: not node.part_files(), wait)
    parts = node.part_files()
    assert not parts, f"left in {node.incoming}: {[str(p.relative_to(node.spool)) for p in parts]}"
    if allowed is not None:
        extra = [p for p in node.spool_files()
                 if not (p.suffix == ".dcm" and p.stem in allowed)]
        assert not extra, f"unexpected files in spool: {[str(p.relative_to(node.spool)) for p in extra]}"

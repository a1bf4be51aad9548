#!/usr/bin/env python3
"""Writes the committed seed corpora of bench/fuzz (a few tiny valid and broken inputs each):

  corpus/dataset/  Part 10 files: explicit/implicit LE, explicit BE, deflated, encapsulated,
                   nested and UN sequences, and broken ones (cut Pixel Data, open nesting, a
                   UID with a space, a length past the end)
  corpus/pdu/      what a peer sends: association request + C-ECHO, + C-STORE of a small
                   dataset (also one nested 40 deep), + release; a command set with nested
                   sequences; and a truncated request

Deterministic (fixed UIDs and pixels), so re-running it rewrites the same bytes:
    python3 bench/fuzz/make_corpus.py
"""
from __future__ import annotations

import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Tests" / "IntegrationTests"))

from hostile_data import (SEQ_DELIMITER, ITEM_DELIMITER, element, item, nested_command_elements,  # noqa: E402
                     nested_defined, nested_open, store_command, text)
from rawpdu import a_associate_rq, p_data  # noqa: E402

EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"
DEFLATED, JPEG_LS = "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.80"
CT, VERIFICATION = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.1"
SOP, STUDY, SERIES = "1.2.826.0.1.3680043.8.498.1001", "1.2.826.0.1.3680043.8.498.1002", "1.2.826.0.1.3680043.8.498.1003"


def implicit(group: int, elem: int, value: bytes, length: int | None = None) -> bytes:
    n = len(value) if length is None else length
    return group.to_bytes(2, "little") + elem.to_bytes(2, "little") + n.to_bytes(4, "little") + value


def big(group: int, elem: int, vr: str, value: bytes) -> bytes:
    head = group.to_bytes(2, "big") + elem.to_bytes(2, "big") + vr.encode()
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return head + b"\0\0" + len(value).to_bytes(4, "big") + value
    return head + len(value).to_bytes(2, "big") + value


def identity(enc=element, sop: bytes = text(SOP, b"\0")) -> bytes:
    if enc is implicit:
        return (implicit(8, 0x16, text(CT, b"\0")) + implicit(8, 0x18, sop) + implicit(0x20, 0xD, text(STUDY, b"\0"))
                + implicit(0x20, 0xE, text(SERIES, b"\0")))
    return (enc(8, 0x16, "UI", text(CT, b"\0")) + enc(8, 0x18, "UI", sop) + enc(0x20, 0xD, "UI", text(STUDY, b"\0"))
            + enc(0x20, 0xE, "UI", text(SERIES, b"\0")))


def image(enc=element, rows: int = 8, pixels: bytes | None = None) -> bytes:
    us = (lambda v: v.to_bytes(2, "big")) if enc is big else (lambda v: v.to_bytes(2, "little"))
    pixels = bytes((i * 7) % 256 for i in range(rows * 8 * 2)) if pixels is None else pixels
    if enc is implicit:
        return (implicit(0x28, 2, us(1)) + implicit(0x28, 0x10, us(rows)) + implicit(0x28, 0x11, us(8))
                + implicit(0x28, 0x100, us(16)) + implicit(0x7FE0, 0x10, pixels))
    return (enc(0x28, 2, "US", us(1)) + enc(0x28, 0x10, "US", us(rows)) + enc(0x28, 0x11, "US", us(8))
            + enc(0x28, 0x100, "US", us(16)) + enc(0x7FE0, 0x10, "OW", pixels))


def part10(dataset: bytes, ts: str) -> bytes:
    meta = element(2, 1, "OB", b"\0\1") + element(2, 0x10, "UI", text(ts, b"\0"))
    return b"\0" * 128 + b"DICM" + element(2, 0, "UL", len(meta).to_bytes(4, "little")) + meta + dataset


def datasets() -> dict[str, bytes]:
    ct = identity() + image()
    encapsulated = (identity() + element(0x28, 0x10, "US", (8).to_bytes(2, "little"))
                    + element(0x7FE0, 0x10, "OB", b"", 0xFFFFFFFF) + item(0) + item(4) + b"\xff\xd8\xff\xd9"
                    + SEQ_DELIMITER)
    un = (identity() + element(0x0009, 0x0010, "LO", text("FUZZ")) + element(0x0009, 0x1010, "UN", b"", 0xFFFFFFFF)
          + item() + implicit(0x0009, 0x1011, text("X")) + ITEM_DELIMITER + SEQ_DELIMITER)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    return {
        "explicit-le.dcm": part10(ct, EXPLICIT_LE),
        "implicit-le.dcm": part10(identity(implicit) + image(implicit), IMPLICIT_LE),
        "explicit-be.dcm": part10(identity(big) + image(big), EXPLICIT_BE),
        "deflated.dcm": part10(deflater.compress(ct) + deflater.flush(), DEFLATED),
        "encapsulated.dcm": part10(encapsulated, JPEG_LS),
        "nested-5.dcm": part10(identity() + nested_defined(5), EXPLICIT_LE),
        "un-sequence.dcm": part10(un, EXPLICIT_LE),
        "raw-dataset.dcm": ct,
        "bad-open-nesting.dcm": part10(identity() + nested_open(40), EXPLICIT_LE),
        "bad-cut-pixels.dcm": part10(ct[:-40], EXPLICIT_LE),
        "bad-uid-space.dcm": part10(identity(sop=b"1.2.826.0.1 .3680043.8.498.1001\0") + image(), EXPLICIT_LE),
        "bad-length.dcm": part10(identity() + element(0x0010, 0x0010, "PN", b"AB", 0x7FF0), EXPLICIT_LE),
    }


def pdus() -> dict[str, bytes]:
    echo_command = (implicit(0, 0, (56).to_bytes(4, "little")) + implicit(0, 2, text(VERIFICATION, b"\0"))
                    + implicit(0, 0x100, (0x30).to_bytes(2, "little")) + implicit(0, 0x110, (1).to_bytes(2, "little"))
                    + implicit(0, 0x800, (0x101).to_bytes(2, "little")))
    release = bytes([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])
    rq = a_associate_rq("AUTOSEG", "FUZZSCU", [(1, VERIFICATION, [IMPLICIT_LE]), (3, CT, [EXPLICIT_LE])])
    ct = identity() + image()
    return {
        "echo.pdu": rq + p_data(1, 0x03, echo_command) + release,
        "store.pdu": rq + p_data(3, 0x03, store_command(CT, SOP.encode())) + p_data(3, 0x02, ct) + release,
        "store-nested.pdu": rq + p_data(3, 0x03, store_command(CT, SOP.encode()))
        + p_data(3, 0x02, identity() + nested_open(40)) + release,
        "command-nested.pdu": rq + p_data(3, 0x03, store_command(CT, SOP.encode()) + nested_command_elements(40)),
        "truncated-request.pdu": rq[:40],
    }


def main() -> None:
    for name, files in (("dataset", datasets()), ("pdu", pdus())):
        folder = HERE / "corpus" / name
        folder.mkdir(parents=True, exist_ok=True)
        for f, data in files.items():
            (folder / f).write_bytes(data)
    total = sum(p.stat().st_size for p in (HERE / "corpus").rglob("*") if p.is_file())
    print(f"corpus: {total} bytes")


if __name__ == "__main__":
    main()

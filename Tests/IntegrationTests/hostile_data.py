"""Hostile and broken datasets built byte by byte (explicit VR little endian, PS3.5 7.1), and
a C-STORE sent over a raw socket so that nothing on our side validates or normalises what is
sent (pynetdicom would refuse some of these UIDs before sending them).

Used by test_hostile_data.py and by the regression tests of bench/fuzz findings."""
from __future__ import annotations

import hashlib
import re
import socket

from harness import *  # noqa: F401,F403  (the basics: imports, paths, constants)
from peers import encode_dataset, prepare
from rawpdu import a_associate_rq, accepted_contexts, p_data, pdu_item, recv_pdu

EXPLICIT_LE = "1.2.840.10008.1.2.1"
CT = str(dicomgen.CT_IMAGE_STORAGE)
_LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
UNDEFINED = 0xFFFFFFFF


# ----------------------------------------------------------------------------- elements

def element(group: int, elem: int, vr: str, value: bytes, length: int | None = None) -> bytes:
    """One explicit VR little endian element; `length` overrides the value's (e.g. undefined)."""
    n = len(value) if length is None else length
    head = group.to_bytes(2, "little") + elem.to_bytes(2, "little") + vr.encode()
    if vr in _LONG:
        return head + b"\0\0" + n.to_bytes(4, "little") + value
    return head + n.to_bytes(2, "little") + value


def text(value: str | bytes, pad: bytes = b" ") -> bytes:
    b = value.encode() if isinstance(value, str) else value
    return b + pad if len(b) % 2 else b


def item(length: int = UNDEFINED) -> bytes:
    return b"\xfe\xff\x00\xe0" + length.to_bytes(4, "little")


SEQ_DELIMITER = b"\xfe\xff\xdd\xe0" + b"\0" * 4
ITEM_DELIMITER = b"\xfe\xff\x0d\xe0" + b"\0" * 4


def identity(sop_uid: str, study_uid: str | None = None, series_uid: str | None = None) -> bytes:
    """The top-level elements of a minimal CT instance, in tag order up to group 0020."""
    study_uid = study_uid or str(dicomgen.new_uid())
    series_uid = series_uid or str(dicomgen.new_uid())
    return (element(0x0008, 0x0016, "UI", text(CT, b"\0")) + element(0x0008, 0x0018, "UI", text(sop_uid, b"\0"))
            + element(0x0008, 0x0060, "CS", text("CT")) + element(0x0010, 0x0010, "PN", text("HOSTILE^TEST"))
            + element(0x0010, 0x0020, "LO", text("HOSTILE1")) + element(0x0020, 0x000D, "UI", text(study_uid, b"\0"))
            + element(0x0020, 0x000E, "UI", text(series_uid, b"\0")))


def nested_open(depth: int) -> bytes:
    """`depth` Content Sequences (0040,A730) of undefined length, each in an item of the one
    before, none of them ever closed."""
    return (element(0x0040, 0xA730, "SQ", b"", UNDEFINED) + item()) * depth


def nested_defined(depth: int) -> bytes:
    """`depth` Content Sequences with defined lengths, properly closed."""
    inner = element(0x0008, 0x0100, "SH", text("LEAF"))
    for _ in range(depth):
        body = item(len(inner)) + inner
        inner = element(0x0040, 0xA730, "SQ", body)
    return inner


def with_raw_uid(ds: Dataset, keyword: str, raw: bytes) -> bytes:
    """`ds` encoded (explicit VR LE) with the value of UID `keyword` replaced by `raw`, byte for
    byte (odd lengths padded with NUL): spaces, newlines and NULs reach the node untouched."""
    padded = raw + b"\0" if len(raw) % 2 else raw
    placeholder = "1." + "9" * (len(padded) - 2)
    setattr(ds, keyword, placeholder)
    data = encode_dataset(ds, implicit=False)
    assert data.count(placeholder.encode()) == 1, "placeholder UID is not unique"
    return data.replace(placeholder.encode(), padded)


def with_un_uid(ds: Dataset, keyword: str) -> bytes:
    """`ds` encoded (explicit VR LE) with UID `keyword` encoded as VR UN (4-byte length), as
    some archives send attributes they do not know the VR of."""
    value = str(getattr(ds, keyword)).encode()
    value += b"\0" if len(value) % 2 else b""
    data = encode_dataset(ds, implicit=False)
    tag = {"SOPClassUID": (0x0008, 0x0016), "SOPInstanceUID": (0x0008, 0x0018),
           "StudyInstanceUID": (0x0020, 0x000D), "SeriesInstanceUID": (0x0020, 0x000E)}[keyword]
    old = element(tag[0], tag[1], "UI", value)
    assert data.count(old) == 1, f"{keyword} not found once as UI"
    return data.replace(old, element(tag[0], tag[1], "UN", value))


def uid_identity(raw: bytes) -> str:
    """The identity the node gives a UID as stored (dk_uid_identity): trailing NULs and spaces
    dropped, bytes outside printable ASCII and '%' and '\\' as %XX."""
    raw = raw.rstrip(b"\0 ")
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x25, 0x5C) else f"%{b:02X}" for b in raw)


_VALID_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


def uid_path_component(uid: str) -> str:
    """The folder or file name of a UID in the spool (DESIGN §5, dk_uid_path_component): the UID
    when valid, else "x" + 32 hex digits of the SHA-256 of its text."""
    if len(uid) <= 64 and _VALID_UID.match(uid):
        return uid
    return "x" + hashlib.sha256(uid.encode()).hexdigest()[:32]


def spool_relative(study: str, series: str, sop: str) -> str:
    """`spool/<study>/<series>/<sop>.dcm` for the identities of an instance."""
    return f"spool/{uid_path_component(study)}/{uid_path_component(series)}/{uid_path_component(sop)}.dcm"


def instance_identity_rows(node, sop_uid: str) -> list[dict]:
    """Catalog rows of an instance with the UIDs of its series and study."""
    return node.catalog().query(
        "SELECT i.*, s.series_uid AS series_instance_uid, st.study_uid AS study_instance_uid FROM instances i "
        "JOIN series s ON i.series_ref = s.id JOIN studies st ON s.study_ref = st.id WHERE i.sop_instance_uid = ?",
        (sop_uid,))


def pixel_data_at(data: bytes) -> int:
    """Offset of the top-level Pixel Data element (OW) of an explicit VR LE dataset."""
    at = data.rfind(b"\xe0\x7f\x10\x00OW")
    assert at >= 0, "no Pixel Data (7FE0,0010) OW in the dataset"
    return at


def ct_dataset(size: int = 64, seed: int = 21) -> Dataset:
    return prepare(dicomgen.ct_series(1, size, size, seed=seed)[0])


# ----------------------------------------------------------------------------- raw C-STORE

def _command_element(elem: int, value: bytes, length: int | None = None) -> bytes:
    n = len(value) if length is None else length
    return (0).to_bytes(2, "little") + elem.to_bytes(2, "little") + n.to_bytes(4, "little") + value


def nested_command_elements(depth: int) -> bytes:
    """`depth` undefined-length elements (0000,5000) nested in items, implicit VR, never closed:
    what DCMTK's command parser takes for nested sequences."""
    return (_command_element(0x5000, b"", UNDEFINED) + item()) * depth


def store_command(sop_class: str, sop_instance: bytes, message_id: int = 1) -> bytes:
    """A C-STORE-RQ command set (implicit VR LE) whose Affected SOP Instance UID is `sop_instance`
    byte for byte."""
    body = (_command_element(0x0002, text(sop_class, b"\0")) + _command_element(0x0100, (1).to_bytes(2, "little"))
            + _command_element(0x0110, message_id.to_bytes(2, "little"))
            + _command_element(0x0700, (0).to_bytes(2, "little")) + _command_element(0x0800, (0).to_bytes(2, "little"))
            + _command_element(0x1000, text(sop_instance, b"\0")))
    return _command_element(0x0000, len(body).to_bytes(4, "little")) + body


def _parse_command(data: bytes) -> dict[int, bytes]:
    out, off = {}, 0
    while off + 8 <= len(data):
        elem = int.from_bytes(data[off + 2:off + 4], "little")
        n = int.from_bytes(data[off + 4:off + 8], "little")
        out[elem] = data[off + 8:off + 8 + n]
        off += 8 + n
    return out


def raw_command(port: int, command: bytes, *, calling: str = "RAWSCU", sop_class: str = CT,
                timeout: float = 30) -> int | None:
    """Associates and sends `command` as a command set (fragmented in 16 KB PDVs); returns the
    type of the PDU the node answers with (0x04 P-DATA, 0x07 A-ABORT), None if it just closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(a_associate_rq(DEFAULT_AE, calling, [(1, sop_class, [EXPLICIT_LE])], max_pdu=65536))
        kind, _ = recv_pdu(s)
        assert kind == 0x02, f"expected A-ASSOCIATE-AC (0x02), got PDU type 0x{kind:02x}"
        try:
            for i in range(0, len(command), 16000):
                last = i + 16000 >= len(command)
                s.sendall(p_data(1, 0x03 if last else 0x01, command[i:i + 16000]))
            return recv_pdu(s)[0]
        except (ConnectionError, OSError):
            return None


def raw_store(port: int, dataset: bytes, sop_instance: str | bytes, *, calling: str = "RAWSCU",
              sop_class: str = CT, timeout: float = 60) -> tuple[int, str]:
    """Associates, sends one C-STORE (command and dataset exactly as given) on an explicit VR
    LE context, reads the response and releases. Returns (status, ErrorComment). Raises
    ConnectionError when the node drops the connection (e.g. because it died)."""
    uid = sop_instance.encode() if isinstance(sop_instance, str) else sop_instance
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(a_associate_rq(DEFAULT_AE, calling, [(1, sop_class, [EXPLICIT_LE])], max_pdu=65536))
        kind, body = recv_pdu(s)
        assert kind == 0x02, f"expected A-ASSOCIATE-AC (0x02), got PDU type 0x{kind:02x}"
        assert accepted_contexts(body).get(1) == 0, f"context not accepted: {accepted_contexts(body)}"
        s.sendall(p_data(1, 0x03, store_command(sop_class, uid)))
        step = 16000
        for i in range(0, max(len(dataset), 1), step):
            last = i + step >= len(dataset)
            s.sendall(p_data(1, 0x02 if last else 0x00, dataset[i:i + step]))
        command = b""
        done = False
        while not done:
            kind, body = recv_pdu(s)
            assert kind == 0x04, f"expected P-DATA with the C-STORE response, got PDU type 0x{kind:02x}"
            off = 0
            while off + 6 <= len(body):
                n = int.from_bytes(body[off:off + 4], "big")
                command += body[off + 6:off + 4 + n]
                done = done or bool(body[off + 5] & 0x02)
                off += 4 + n
        s.sendall(bytes([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]))  # A-RELEASE-RQ
        try:
            recv_pdu(s)
        except (ConnectionError, OSError):
            pass
    fields = _parse_command(command)
    status = int.from_bytes(fields.get(0x0900, b"\xff\xff"), "little")
    comment = fields.get(0x0902, b"").decode(errors="replace").strip(" \0")
    return status, comment


__all__ = ["EXPLICIT_LE", "CT", "UNDEFINED", "element", "text", "item", "SEQ_DELIMITER", "ITEM_DELIMITER",
           "identity", "nested_open", "nested_defined", "with_raw_uid", "with_un_uid", "uid_identity",
           "uid_path_component", "spool_relative", "instance_identity_rows", "pixel_data_at", "ct_dataset",
           "store_command", "nested_command_elements", "raw_command", "raw_store", "pdu_item"]

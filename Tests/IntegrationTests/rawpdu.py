"""Raw DICOM upper-layer PDUs for tests that play a broken or hostile peer over a plain TCP
socket (PS3.8 9.3): A-ASSOCIATE-RQ, P-DATA-TF and a C-STORE-RQ command, and reading a PDU."""
from __future__ import annotations


def pdu_item(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 0]) + len(payload).to_bytes(2, "big") + payload


def a_associate_rq(called: str, calling: str, contexts, max_pdu: int = 16384) -> bytes:
    items = pdu_item(0x10, b"1.2.840.10008.3.1.1.1")
    for cid, abstract, syntaxes in contexts:
        sub = pdu_item(0x30, abstract.encode()) + b"".join(pdu_item(0x40, t.encode()) for t in syntaxes)
        items += pdu_item(0x20, bytes([cid, 0, 0, 0]) + sub)
    items += pdu_item(0x50, pdu_item(0x51, max_pdu.to_bytes(4, "big"))
                   + pdu_item(0x52, b"1.2.826.0.1.3680043.8.498.1"))
    body = (1).to_bytes(2, "big") + b"\0\0" + called.ljust(16).encode() + \
        calling.ljust(16).encode() + b"\0" * 32 + items
    return bytes([0x01, 0]) + len(body).to_bytes(4, "big") + body


def recv_pdu(sock) -> tuple[int, bytes]:
    head = b""
    while len(head) < 6:
        chunk = sock.recv(6 - len(head))
        if not chunk:
            raise ConnectionError("peer closed")
        head += chunk
    length = int.from_bytes(head[2:6], "big")
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("peer closed")
        body += chunk
    return head[0], body


def accepted_contexts(ac_body: bytes) -> dict[int, int]:
    out, off = {}, 68
    while off + 4 <= len(ac_body):
        kind, length = ac_body[off], int.from_bytes(ac_body[off + 2:off + 4], "big")
        if kind == 0x21:
            out[ac_body[off + 4]] = ac_body[off + 6]
        off += 4 + length
    return out


def p_data(cid: int, control: int, data: bytes) -> bytes:
    pdv = (len(data) + 2).to_bytes(4, "big") + bytes([cid, control]) + data
    return bytes([0x04, 0]) + len(pdv).to_bytes(4, "big") + pdv


def uid_value(uid: str) -> bytes:
    b = uid.encode()
    return b + b"\0" if len(b) % 2 else b


def c_store_rq_command(sop_class: str, sop_instance: str, message_id: int = 1) -> bytes:
    def el(elem: int, value: bytes) -> bytes:
        return (0).to_bytes(2, "little") + elem.to_bytes(2, "little") + len(value).to_bytes(4, "little") + value
    body = (el(0x0002, uid_value(sop_class)) + el(0x0100, (0x0001).to_bytes(2, "little"))
            + el(0x0110, message_id.to_bytes(2, "little")) + el(0x0700, (0).to_bytes(2, "little"))
            + el(0x0800, (0).to_bytes(2, "little")) + el(0x1000, uid_value(sop_instance)))
    return el(0x0000, len(body).to_bytes(4, "little")) + body

"""Basics of the integration tests, shared by conftest.py and the helper modules: paths,
DCMTK tool paths, the statuses of the contract, free ports, waiting, and TOML rendering.

DCMTK tools are always called by absolute path (/usr/bin/...): PATH may hold Python shims
with the same names.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import dicomgen  # noqa: E402
import dicomvariants  # noqa: E402

import pydicom  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian  # noqa: E402
from pynetdicom import AE, build_context  # noqa: E402
from pynetdicom.sop_class import Verification  # noqa: E402

STORESCU = "/usr/bin/storescu"
ECHOSCU = "/usr/bin/echoscu"
STORESCP = "/usr/bin/storescp"

DEFAULT_AE = "AUTOSEG"
READY_TIMEOUT = 20.0

# Statuses of the contract (DESIGN §6 + brief).
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
DATASET_MISMATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000


# ----------------------------------------------------------------------------- basics

def autoseg_bin_path() -> Path:
    return Path(os.environ.get("AUTOSEG_BIN", str(REPO / ".build" / "debug" / "autoseg")))


def dcmtk_env(**extra: str) -> dict[str, str]:
    """Environment for DCMTK tools: Nagle off (DCMTK leaves it on otherwise, ~40 ms/store)."""
    env = dict(os.environ)
    env["TCP_NODELAY"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port that is free on all addresses right now (DCMTK binds 0.0.0.0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_exit(proc: subprocess.Popen, timeout: float) -> int | None:
    """The exit code of `proc`, or None if it is still running after `timeout` seconds."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the ASCII we use
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def render_toml(config: dict[str, Any]) -> str:
    """Tables for dict values, arrays of tables ([[peers]], [[rules]]) for lists of dicts."""
    lines = []
    for section, values in config.items():
        entries = values if isinstance(values, list) else [values]
        for entry in entries:
            lines.append(f"[[{section}]]" if isinstance(values, list) else f"[{section}]")
            for key, value in entry.items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
    return "\n".join(lines)

"""Reading what a user hands us, and writing what we promise, safely: one place for both.

Every file or stream twofa-sim reads from a user goes through :func:`read_bytes` (or
:func:`read_text`): a regular file, or ``-`` for standard input, read up to a documented cap, so
``/dev/zero``, a FIFO, a directory or a 5 GB file is refused with one located line instead of
exhausting memory. Every file twofa-sim writes goes through :func:`write_atomically`: a
temporary file in the same directory, then a rename, so a reader never sees half a file.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> write_atomically(target, "hello")
>>> read_text(target, limit=1024, where="out.txt")
'hello'
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from twofa_sim.errors import InputError

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_RESULTS_BYTES",
    "MAX_SCENARIO_BYTES",
    "MAX_SECRET_BYTES",
    "MAX_TABLE_BYTES",
    "read_bytes",
    "read_text",
    "write_atomically",
]

MAX_SCENARIO_BYTES = 1 << 20
"""A scenario file: 1 MiB (the bundled library's largest is a few KiB)."""
MAX_RESULTS_BYTES = 256 << 20
"""A run's results.json or results.jsonl: 256 MiB."""
MAX_IMAGE_BYTES = 32 << 20
"""An image to decode (a QR code, a screenshot, a photo): 32 MiB."""
MAX_SECRET_BYTES = 64 << 10
"""A secret or a URI read from standard input or a file: 64 KiB."""
MAX_TABLE_BYTES = 64 << 20
"""A CSV or text table of numbers (a clock-offset population): 64 MiB."""


def _size(limit: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if limit >= 1 << shift and limit % (1 << shift) == 0:
            return f"{limit >> shift} {unit}"
    return f"{limit:,} bytes"


def _read_capped(handle: BinaryIO, limit: int, where: str) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            f"larger than {_size(limit)}", where=where, hint="twofa-sim refuses bigger inputs"
        )
    return data


def read_bytes(path: str | os.PathLike[str], *, limit: int, where: str = "") -> bytes:
    """The bytes of a regular file (or of standard input for ``-``), at most ``limit`` of them.

    Raises :class:`~twofa_sim.errors.InputError` naming ``where`` (default: the path) when the
    path does not exist, is not a regular file (a directory, a device such as ``/dev/zero``, a
    FIFO), cannot be read, or holds more than ``limit`` bytes.
    """
    text = os.fspath(path)
    where = where or text
    if text == "-":
        return _read_capped(sys.stdin.buffer, limit, where)
    try:
        info = os.stat(text)
    except FileNotFoundError:
        raise InputError("no such file", where=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", where=where)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file", where=where)
    if info.st_size > limit:
        raise InputError(
            f"larger than {_size(limit)}", where=where, hint="twofa-sim refuses bigger inputs"
        )
    try:
        with open(text, "rb") as handle:
            return _read_capped(handle, limit, where)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where=where) from None


def read_text(path: str | os.PathLike[str], *, limit: int, where: str = "") -> str:
    """:func:`read_bytes` decoded as UTF-8 (a located error if it is not)."""
    data = read_bytes(path, limit=limit, where=where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", where=where or os.fspath(path)
        ) from None


def write_atomically(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    The directory is created if missing. On any error the temporary file is removed and the
    old file (if any) is left as it was; the error propagates.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""``manifest.json``: the SHA-256 of every file of a run, and checking a directory against it."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from twofa_sim.errors import InputError
from twofa_sim.files import MAX_RESULTS_BYTES, read_text, write_atomically

__all__ = ["MANIFEST", "Tampering", "check_directory", "verify", "write_manifest"]

MANIFEST = "manifest.json"
_OWN = frozenset({MANIFEST, "attestation.dsse.json"})
"""Files the manifest does not list: itself, and the signed attestation written after it (which
covers the manifest; ``report verify --public-key`` checks it)."""


_CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    """The file's SHA-256, read a chunk at a time (a large file never sits in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(directory: Path) -> dict[str, str]:
    found = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative not in _OWN and not path.name.startswith("."):
            found[relative] = _sha256(path)
    return found


def check_directory(directory: Path) -> None:
    """Refuse, with a located error, a ``directory`` that is missing or is not a directory
    (a regular file, or a device such as ``/dev/zero``, a FIFO or a socket)."""
    where = os.fsencode(directory).decode("utf-8", "replace")  # printable, whatever the bytes
    try:
        mode = os.stat(directory).st_mode
    except FileNotFoundError:
        raise InputError("no such directory", where=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where=where) from None
    if stat.S_ISDIR(mode):
        return
    hint = "a run directory, as twofa-sim run writes (reports/latest)"
    if stat.S_ISREG(mode):
        raise InputError("a file, not a run directory", where=where, hint=hint)
    raise InputError("not a regular file nor a directory", where=where, hint=hint)


def write_manifest(directory: Path) -> None:
    """Hash every file of ``directory`` (but the manifest itself) into ``manifest.json``."""
    data = {"algorithm": "sha256", "files": _files(directory)}
    write_atomically(directory / MANIFEST, json.dumps(data, indent=1, sort_keys=True) + "\n")


@dataclass
class Tampering:
    """What differs from the manifest: files changed, missing, or added since it was written."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added)


def verify(directory: Path) -> Tampering:
    """Recompute every hash and compare with ``manifest.json``; bad input (no such directory,
    not a directory, no manifest, a manifest that is not one) raises a located
    :class:`~twofa_sim.errors.InputError`."""
    from twofa_sim.report.schema import parse_json

    check_directory(directory)
    path = directory / MANIFEST
    if not path.exists() and not path.is_symlink():
        raise InputError(
            f"no {MANIFEST}: the run did not finish", where=str(directory), hint="re-run it"
        )
    data = parse_json(read_text(path, limit=MAX_RESULTS_BYTES), where=str(path))
    recorded = data.get("files") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("algorithm") != "sha256"
        or not isinstance(recorded, dict)
        or not all(isinstance(v, str) for v in recorded.values())
    ):
        raise InputError(
            'not a manifest: {"algorithm": "sha256", "files": {name: hash}} expected',
            where=str(path),
        )
    actual = _files(directory)
    return Tampering(
        changed=sorted(n for n in recorded if n in actual and actual[n] != recorded[n]),
        missing=sorted(n for n in recorded if n not in actual),
        added=sorted(n for n in actual if n not in recorded),
    )

"""``manifest.json``: the SHA-256 of every file of a run, and checking a directory against it.

Every entry counts, hidden or not: a dotfile added to a run directory is ``added``; a symbolic
link, a FIFO, a socket or a device (never followed nor opened), a directory standing where a
file was, or an empty directory is ``not_regular``. The manifest is an unkeyed checksum list:
it catches accidental change, truncation and files slipped in, not someone who edits a file
and writes its new hash into the manifest (a signed attestation catches that:
:mod:`twofa_sim.report.attestation`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from twofa_sim.errors import InputError
from twofa_sim.files import MAX_RESULTS_BYTES, read_text, write_atomically

__all__ = [
    "MANIFEST",
    "Entries",
    "Tampering",
    "check_directory",
    "scan",
    "verify",
    "write_manifest",
]

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


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


@dataclass
class Entries:
    """What a run directory holds, links not followed: every regular file with its SHA-256
    (dotfiles included), every other entry with what it is (a symbolic link, a FIFO, a socket,
    a device), and every subdirectory."""

    files: dict[str, str] = field(default_factory=dict)
    odd: dict[str, str] = field(default_factory=dict)
    directories: list[str] = field(default_factory=list)

    def compare(self, recorded: dict[str, str]) -> Tampering:
        """How this directory differs from ``recorded`` (name: SHA-256) files."""
        odd = dict(self.odd)
        for name in self.directories:  # a directory where a file was, or one left empty
            if name in recorded or not any(f.startswith(name + "/") for f in self.files):
                odd[name] = "a directory"
        return Tampering(
            changed=sorted(n for n in recorded if n in self.files and self.files[n] != recorded[n]),
            missing=sorted(n for n in recorded if n not in self.files and n not in odd),
            added=sorted(n for n in self.files if n not in recorded),
            not_regular=sorted(odd),
            kinds=odd,
        )


def scan(directory: Path, *, skip: frozenset[str] = frozenset()) -> Entries:
    """Every entry under ``directory`` (but the top-level names in ``skip``), symbolic links
    not followed, hashed a chunk at a time."""
    found = Entries()
    pending = [("", directory)]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                name = prefix + entry.name
                if not prefix and entry.name in skip:
                    continue
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    found.directories.append(name)
                    pending.append((name + "/", Path(entry.path)))
                elif stat.S_ISREG(mode):
                    found.files[name] = _sha256(Path(entry.path))
                else:
                    found.odd[name] = _kind(mode)
    found.files = dict(sorted(found.files.items()))
    found.odd = dict(sorted(found.odd.items()))
    found.directories.sort()
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
    data = {"algorithm": "sha256", "files": scan(directory, skip=_OWN).files}
    write_atomically(directory / MANIFEST, json.dumps(data, indent=1, sort_keys=True) + "\n")


@dataclass
class Tampering:
    """What differs from the manifest: files changed, missing, or added since it was written."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    not_regular: list[str] = field(default_factory=list)
    """Entries that are not regular files: links, FIFOs, sockets, devices, a directory where
    a file was, an empty directory (:attr:`kinds` says which)."""
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added or self.not_regular)


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
    return scan(directory, skip=_OWN).compare(recorded)

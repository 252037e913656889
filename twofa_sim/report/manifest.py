"""``manifest.json``: the SHA-256 of every file of a run, and checking a directory against it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from twofa_sim.errors import InputError

__all__ = ["MANIFEST", "Tampering", "verify", "write_manifest"]

MANIFEST = "manifest.json"


def _files(directory: Path) -> dict[str, str]:
    found = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative != MANIFEST and not path.name.startswith("."):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def write_manifest(directory: Path) -> None:
    """Hash every file of ``directory`` (but the manifest itself) into ``manifest.json``."""
    from twofa_sim.report.rundir import write_atomically

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
    """Recompute every hash and compare with ``manifest.json``."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        recorded = data["files"]
        if data.get("algorithm") != "sha256" or not isinstance(recorded, dict):
            raise ValueError("unknown manifest shape")
    except FileNotFoundError:
        raise InputError(f"no {MANIFEST} in {directory}", where=str(directory)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{MANIFEST} is unreadable: {exc}", where=str(path)) from None
    actual = _files(directory)
    return Tampering(
        changed=sorted(n for n in recorded if n in actual and actual[n] != recorded[n]),
        missing=sorted(n for n in recorded if n not in actual),
        added=sorted(n for n in actual if n not in recorded),
    )

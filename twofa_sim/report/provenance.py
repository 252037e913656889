"""The reproducibility block every report carries: what ran, where, and how to run it again.

Nothing in it depends on the wall clock, so a run's ``results.json`` stays byte-identical for
the same seed on the same machine and checkout.
"""

from __future__ import annotations

import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["KEY_PACKAGES", "reproducibility"]

KEY_PACKAGES = (
    "twofa-sim",
    "pyotp",
    "segno",
    "pyzbar",
    "zxing-cpp",
    "hypothesis",
    "freezegun",
    "responses",
    "requests",
    "phonenumbers",
    "jsonschema",
    "pyyaml",
    "jinja2",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def git_commit(paths: Sequence[Path]) -> dict[str, Any] | None:
    """The commit the scenario files are at, and whether they differ from it (``dirty``);
    ``None`` outside a git repository (or without git)."""
    if not paths:
        return None
    folder = paths[0] if paths[0].is_dir() else paths[0].parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def reproducibility(
    *,
    seed: int,
    target: str,
    paths: Sequence[Path],
    argv: Sequence[str],
) -> dict[str, Any]:
    """The block: twofa-sim version, the scenario files' git commit, Python and platform, key
    package versions, seed, target, and the command that reproduces the run."""
    command = ["twofa-sim", "run", *argv]
    if "--seed" not in argv:
        command += ["--seed", str(seed)]
    return {
        "twofa_sim": _version("twofa-sim"),
        "git": git_commit(list(paths)),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(terse=True),
        "packages": {name: _version(name) for name in KEY_PACKAGES},
        "seed": seed,
        "target": target,
        "command": shlex.join(command),
    }

"""The reproducibility block every report carries: what ran, where, and how to run it again.

Nothing in it depends on the wall clock, on the working directory or on where the run's files
go (``--report-dir``), so a run's ``results.json`` stays byte-identical for the same seed on the
same checkout. Scenario paths in the recorded command are relative to the *scenario root*
(:func:`scenario_root`): the top of the git checkout holding the scenario files, else the
folder holding them; the command is run from there.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["KEY_PACKAGES", "OUTPUT_OPTIONS", "reproducibility", "scenario_root"]

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

OUTPUT_OPTIONS = ("--report-dir", "--json", "--sign-key")
"""``run`` options that say only where results go, not what runs: left out of the command."""
_VALUED_OPTIONS = frozenset(
    {"--report-dir", "--target", "-k", "--tag", "--seed", "--jobs", "--shard", "--sign-key"}
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(folder: Path, *args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def scenario_root(paths: Sequence[Path]) -> Path | None:
    """The folder scenario paths are recorded relative to: the top of the git checkout holding
    the first of ``paths``, else the deepest folder holding every path (a directory's parent
    folder, so its own name stays in the recorded path); ``None`` without paths.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> scenario_root([folder / "a.scenario.yaml"]) == folder.resolve()
    True
    """
    if not paths:
        return None
    absolute = [Path(os.path.abspath(p)) for p in paths]
    top = _git(_folder(absolute[0]), "rev-parse", "--show-toplevel")
    if top and top.strip():
        return Path(top.strip()).resolve()
    return Path(os.path.commonpath([str(p.parent) for p in absolute])).resolve()


def relative_to_root(path: Path, root: Path | None) -> str:
    """``path`` as recorded: relative to ``root`` (with ``..`` when outside it), ``/`` separated."""
    if root is None:
        return path.as_posix()
    absolute = Path(os.path.abspath(path)).resolve()
    return Path(os.path.relpath(absolute, root)).as_posix()


def run_command(argv: Sequence[str], paths: Sequence[Path], seed: int) -> list[str]:
    """The ``twofa-sim run`` command that reproduces a run from ``argv`` (what followed ``run``):
    scenario paths relative to :func:`scenario_root`, the output options
    (:data:`OUTPUT_OPTIONS`) dropped, and ``--seed`` added when it was not given."""
    root = scenario_root(paths)
    pending = [Path(p) for p in paths]
    command = ["twofa-sim", "run"]
    tokens = iter(argv)
    seen_seed = only_arguments = False
    for token in tokens:
        if only_arguments or token == "--":
            only_arguments = True
            if pending and Path(token) == pending[0]:
                pending.pop(0)
                token = relative_to_root(Path(token), root)
            command.append(token)
            continue
        name = token.split("=", 1)[0] if token.startswith("--") else token
        valued = name in _VALUED_OPTIONS and "=" not in token
        value = next(tokens, None) if valued else None
        seen_seed = seen_seed or name == "--seed"
        if name in OUTPUT_OPTIONS:
            continue
        if not token.startswith("-") and pending and Path(token) == pending[0]:
            pending.pop(0)
            command.append(relative_to_root(Path(token), root))
            continue
        command.append(token)
        if value is not None:
            command.append(value)
    if not seen_seed:
        command += ["--seed", str(seed)]
    return command


def git_commit(paths: Sequence[Path]) -> dict[str, Any] | None:
    """The commit the scenario files are at, and whether they differ from it (``dirty``);
    ``None`` outside a git repository (or without git)."""
    if not paths:
        return None
    folder = _folder(paths[0])
    commit = _git(folder, "rev-parse", "HEAD")
    status = _git(folder, "status", "--porcelain", "--", *(os.path.abspath(p) for p in paths))
    if commit is None or status is None:
        return None
    commit = commit.strip()
    return {"commit": commit, "dirty": bool(status.strip())}


def reproducibility(
    *,
    seed: int,
    target: str,
    paths: Sequence[Path],
    argv: Sequence[str],
    target_versions: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """The block: twofa-sim version, the scenario files' git commit, Python and platform, key
    package versions, seed, target, and the command that reproduces the run (from the scenario
    root: see :func:`run_command`). ``target_versions``: the versions of the packages a target
    that wraps a third-party implementation tests (its ``versions()``), recorded as
    ``target_versions`` so the report names the system under test."""
    command = run_command(argv, paths, seed)
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
    } | ({"target_versions": dict(target_versions)} if target_versions else {})

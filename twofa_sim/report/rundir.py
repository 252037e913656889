"""A run's directory: ``reports/<run-id>/``, streamed while the run goes, finished atomically.

While scenarios run, each result is appended to ``results.jsonl`` as it finishes (one JSON
object per line after a header line), so a run killed half-way leaves every finished scenario on
disk. When the run ends, ``results.json``, ``junit.xml``, ``report.html``, ``report.md`` and last
``manifest.json`` are written, each through a temporary file and a rename; only then does
``reports/latest`` move to the new run. A killed run keeps ``latest`` on the last complete run,
and ``twofa-sim report`` can still render its ``results.jsonl`` (marked incomplete).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from twofa_sim.errors import InputError

__all__ = [
    "JSONL",
    "RunDirectory",
    "load_results",
    "render_all",
    "write_atomically",
]

JSONL = "results.jsonl"
RESULTS = "results.json"
LATEST = "latest"
FORMATS: dict[str, str] = {"junit": "junit.xml", "html": "report.html", "md": "report.md"}


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a file through a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def renderers() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    from twofa_sim.report.html import render_html
    from twofa_sim.report.junit import render_junit
    from twofa_sim.report.markdown import render_markdown

    return {"junit": render_junit, "html": render_html, "md": render_markdown}


def render_all(directory: Path, results: Mapping[str, Any]) -> None:
    """Write results.json and every rendered format, then the manifest (last)."""
    from twofa_sim.report.manifest import write_manifest

    write_atomically(directory / RESULTS, _dumps(results))
    for name, render in renderers().items():
        write_atomically(directory / FORMATS[name], render(results))
    write_manifest(directory)


class RunDirectory:
    """One run's directory under ``root``; use it as a context manager around the run."""

    def __init__(self, root: Path, *, seed: int) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.root = root
        self.id = f"{stamp}-seed{seed}-{secrets.token_hex(2)}"
        self.path = root / self.id
        self._stream: IO[str] | None = None

    def __enter__(self) -> RunDirectory:
        try:
            self.path.mkdir(parents=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the run directory: {exc.strerror}", where=str(self.path)
            ) from None
        self._stream = (self.path / JSONL).open("w", encoding="utf-8")
        return self

    def header(self, data: Mapping[str, Any]) -> None:
        """The first line: what the run is (seed, target, reproducibility)."""
        self._line({"kind": "run", **data})

    def scenario(self, entry: Mapping[str, Any]) -> None:
        """One finished scenario, on disk at once."""
        self._line({"kind": "scenario", **entry})

    def _line(self, data: Mapping[str, Any]) -> None:
        assert self._stream is not None, "use RunDirectory as a context manager"
        self._stream.write(json.dumps(data, ensure_ascii=False) + "\n")
        self._stream.flush()

    def finish(self, results: Mapping[str, Any]) -> None:
        """Write every file, then point ``latest`` here (a complete run only)."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        render_all(self.path, results)
        link = self.root / LATEST
        temporary = self.root / f".{LATEST}.{secrets.token_hex(4)}"
        if link.exists() and not link.is_symlink():
            raise InputError(f"{link} exists and is not a link: move it away", where=str(link))
        os.symlink(self.id, temporary)
        os.replace(temporary, link)

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def load_results(source: Path) -> dict[str, Any]:
    """results.json, or what a run directory holds: its results.json when complete, else its
    results.jsonl assembled and marked incomplete."""
    from twofa_sim.scenario.results import SCHEMA_VERSION, assemble

    path = source
    if path.is_dir():
        path = path / RESULTS if (path / RESULTS).is_file() else path / JSONL
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", where=str(source)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", where=str(source)) from None
    if path.name.endswith(".jsonl"):
        header: dict[str, Any] = {}
        scenarios: list[dict[str, Any]] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                if number == len(text.splitlines()):
                    break  # the line being written when the run was killed
                raise InputError(f"line {number} is not JSON", where=str(path)) from None
            kind = item.pop("kind", None)
            if kind == "run":
                header = item
            elif kind == "scenario":
                scenarios.append(item)
        extra = {k: v for k, v in header.items() if k not in ("seed", "target")}
        extra["run"] = {**extra.get("run", {}), "complete": False}
        return assemble(
            int(header.get("seed", 0)), str(header.get("target", "?")), scenarios, **extra
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", where=str(path)
        ) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            "not a twofa-sim results.json (schema_version 1)",
            where=str(path),
            hint="twofa-sim run writes one",
        )
    return data

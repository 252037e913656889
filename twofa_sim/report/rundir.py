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
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from twofa_sim.errors import InputError
from twofa_sim.files import MAX_RESULTS_BYTES, read_bytes, read_text, write_atomically
from twofa_sim.report.schema import check_line, check_results, parse_json

__all__ = [
    "JSONL",
    "RunDirectory",
    "load_results",
    "render_all",
]

JSONL = "results.jsonl"
RESULTS = "results.json"
LATEST = "latest"
FORMATS: dict[str, str] = {"junit": "junit.xml", "html": "report.html", "md": "report.md"}


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def renderers() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    from twofa_sim.report.html import render_html
    from twofa_sim.report.junit import render_junit
    from twofa_sim.report.markdown import render_markdown

    return {"junit": render_junit, "html": render_html, "md": render_markdown}


def render_all(
    directory: Path,
    results: Mapping[str, Any],
    execution: Mapping[str, Any] | None = None,
    *,
    pdf: bool = False,
) -> None:
    """Write results.json, the execution statement (execution.json, when given), every
    rendered format (showing both; report.pdf too with ``pdf``), then the manifest (last)."""
    from twofa_sim.report.execution import with_execution, write_execution
    from twofa_sim.report.manifest import write_manifest

    write_atomically(directory / RESULTS, _dumps(results))
    if execution is not None:
        execution = write_execution(directory, execution, directory / RESULTS)
    shown = with_execution(results, execution)
    for name, render in renderers().items():
        write_atomically(directory / FORMATS[name], render(shown))
    if pdf:
        from twofa_sim.report.pdf import render_pdf

        write_atomically(directory / "report.pdf", render_pdf(shown))
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

    def finish(
        self,
        results: Mapping[str, Any],
        *,
        sign_key: Path | None = None,
        execution: Mapping[str, Any] | None = None,
        pdf: bool = False,
    ) -> None:
        """Write every file, sign the run with ``sign_key`` when given (``attestation.dsse.json``,
        as ``report sign`` writes it), then point ``latest`` here (a complete run only)."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        render_all(self.path, results, execution, pdf=pdf)
        if sign_key is not None:
            from twofa_sim.report.attestation import sign_run

            sign_run(self.path, sign_key)
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


def _jsonl_results(path: Path, data: bytes) -> dict[str, Any]:
    """A killed run's results.jsonl as results.json, marked incomplete: every line checked
    against the schema (a line cut off by the kill, the last one, is left out, even when the
    cut fell inside a character)."""
    from twofa_sim.core.tally import assemble

    header: dict[str, Any] | None = None
    scenarios: list[dict[str, Any]] = []
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{path}, line {number}"
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text (byte {exc.start})", where=where) from None
            item = parse_json(line, where=where)
        except InputError:
            if number == len(lines):
                break  # the line being written when the run was killed (no newline yet)
            raise
        item = dict(check_line(item, where=where))
        kind = item.pop("kind")
        if kind == "run":
            if header is not None:
                raise InputError("a second run header", where=where, hint="one run per file")
            header = item
        elif header is None:
            raise InputError(
                "a scenario before the run header", where=where, hint="the first line is the run"
            )
        else:
            scenarios.append(item)
    if header is None:
        raise InputError("no run header: the run stopped before it wrote anything", where=str(path))
    # What the header may not set: the blocks assembled here from the scenario lines.
    computed = {"schema_version", "seed", "target", "summary", "scenarios", "requirements", "run"}
    extra = {k: v for k, v in header.items() if k not in computed}
    results = assemble(
        header["seed"], header["target"], scenarios, **extra, run={"complete": False}
    )
    return check_results(results, where=str(path))


def _incomplete(results: dict[str, Any]) -> dict[str, Any]:
    return {**results, "run": {**(results.get("run") or {}), "complete": False}}


def load_results(source: Path) -> dict[str, Any]:
    """The results a report is rendered from, checked against ``results.schema.json``.

    ``source`` is a results.json, a killed run's results.jsonl, or a run directory. A
    directory's results.json is used when there is one, but the run counts as complete only
    when its manifest (written last) is there too: a run killed during its final writes is
    INCOMPLETE from its directory as from its JSON Lines. A results.json without
    ``run.complete`` is incomplete too. Bad input (no such file, not a regular file, over
    :data:`~twofa_sim.files.MAX_RESULTS_BYTES`, not JSON, nested too deep, or not matching the
    schema) raises :class:`~twofa_sim.errors.InputError` naming the file (and line) and the
    JSON pointer of the first bad field.
    """
    from twofa_sim.report.manifest import MANIFEST

    path, finished = source, True
    if source.is_dir():
        path = source / RESULTS
        if not path.exists() and not (source / JSONL).exists():
            raise InputError(
                f"no {RESULTS} or {JSONL}: not a run directory",
                where=str(source),
                hint="twofa-sim run writes one under reports/ (reports/latest is the newest)",
            )
        if not path.is_file() and (source / JSONL).is_file():
            path = source / JSONL
        finished = (source / MANIFEST).is_file()
    # Capped, regular files only: `report /dev/zero` is refused, not read until memory runs out.
    if path.name.endswith(".jsonl"):
        return _jsonl_results(path, read_bytes(path, limit=MAX_RESULTS_BYTES, where=str(path)))
    text = read_text(path, limit=MAX_RESULTS_BYTES, where=str(path))
    data = check_results(parse_json(text, where=str(path)), where=str(path))
    if not finished or (data.get("run") or {}).get("complete") is not True:
        return _incomplete(data)
    return data

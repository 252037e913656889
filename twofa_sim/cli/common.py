"""What every command shares: exit codes, located usage errors, capped reads, atomic writes,
JSON and CSV output, and the options several commands take.

Commands import from here and nowhere else in the CLI; nothing here imports a command, nor
anything heavier than click and the standard library at import time.
"""

from __future__ import annotations

import errno
import json
import math
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from twofa_sim.errors import InputError

__all__ = [
    "ARGV",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "STATUS",
    "algorithm_option",
    "digits_option",
    "display_path",
    "duration",
    "echo_csv",
    "emit_json",
    "fail_usage",
    "given",
    "locate",
    "period_option",
    "plot_target",
    "print_findings",
    "printable",
    "read_arg",
    "resolve_output",
    "steps_back_option",
    "steps_forward_option",
    "warn_findings",
    "will_exit",
    "write_output",
    "write_plot",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
PROG = "twofa-sim"
STATUS = "twofa_sim.exit_status"
"""Where a command records the status it will end with (see :func:`will_exit`)."""
ARGV = "twofa_sim.argv"
"""Where main() keeps the command line, for the command that reproduces a run."""


def will_exit(status: int) -> None:
    """Record the status a command ends with, before it prints: a reader may close stdout early."""
    click.get_current_context().find_root().meta[STATUS] = status


def printable(text: str) -> str:
    """``text`` for a terminal: control characters escaped, so a payload cannot fake output."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def display_path(path: Path | str) -> str:
    """A path as text that can always be printed and put in JSON (undecodable bytes replaced)."""
    return os.fsencode(path).decode("utf-8", "replace")


def locate(exc: InputError, names: dict[str, str]) -> InputError:
    """Name the option or argument for a library parameter (``account`` -> ``--account``)."""
    if exc.where.startswith("-") or exc.where in names.values():
        return exc
    return exc.at(names.get(exc.where, f"--{exc.where}" if exc.where else names.get("", "")))


def given(parameter: str) -> bool:
    """Whether the user gave this option on the command line (not its default)."""
    source = click.get_current_context().get_parameter_source(parameter)
    return source is click.core.ParameterSource.COMMANDLINE


def fail_usage(where: str, what: str, hint: str = "") -> NoReturn:
    """Stop the command: bad input at ``where`` (exit 2, one line)."""
    raise InputError(what, where=where, hint=hint)


def _read_stdin(where: str) -> str:
    from twofa_sim.files import MAX_SECRET_BYTES, read_text

    if hasattr(sys.stdin, "buffer"):
        return read_text("-", limit=MAX_SECRET_BYTES, where=where)
    text = sys.stdin.read(MAX_SECRET_BYTES + 1)  # a text stream (an embedding program's)
    if len(text) > MAX_SECRET_BYTES:
        fail_usage(where, f"more than {MAX_SECRET_BYTES >> 10} KiB on stdin")
    return text


def read_arg(value: str, where: str) -> str:
    """``-`` means: read the value from stdin (keeps secrets out of shell history), at most
    :data:`twofa_sim.files.MAX_SECRET_BYTES`."""
    if value != "-":
        return value
    text = _read_stdin(where).strip()
    if not text:
        fail_usage(where, "nothing was read from stdin")
    return text


def resolve_output(path: Path, where: str) -> Path:
    """Where writing ``path`` lands (a symlink followed), or a located error when it cannot be
    resolved (a symlink loop) or its directory does not exist."""
    loop = f"cannot resolve {display_path(path)!r}: a symlink loop"
    try:
        target = path.resolve()
    except RuntimeError:  # a symlink loop, before Python 3.13
        fail_usage(where, loop)
    except OSError as exc:  # a symlink loop from Python 3.13 (ELOOP), or unreadable
        if exc.errno == errno.ELOOP:
            fail_usage(where, loop)
        fail_usage(where, f"cannot resolve {display_path(path)!r}: {exc.strerror or exc}")
    if target.is_dir():
        fail_usage(where, f"{display_path(path)!r} is a directory")
    if not target.parent.is_dir():
        fail_usage(where, f"directory {display_path(target.parent)!r} does not exist")
    return target


def write_output(path: Path, data: bytes, where: str) -> None:
    """Write ``data`` to ``path`` whole or not at all; ``-`` is stdout.

    A regular file is written with :func:`twofa_sim.files.write_atomically` (a temporary file
    beside it, then a rename). A symlink is followed (its target is written, the link kept); a
    device or FIFO (``/dev/stdout``, a pipe) is written directly, never replaced by a file.
    """
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = resolve_output(path, where)
    if target.exists() and not target.is_file():
        try:
            with target.open("wb") as handle:
                handle.write(data)
        except OSError as exc:
            fail_usage(where, f"cannot write {display_path(path)!r}: {exc.strerror}")
        return
    from twofa_sim.files import write_atomically

    umask = os.umask(0)
    os.umask(umask)
    try:
        write_atomically(target, data, mode=0o666 & ~umask)
    except OSError as exc:
        fail_usage(where, f"cannot write {display_path(path)!r}: {exc.strerror}")


def emit_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def echo_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


def duration(value: str, option: str) -> float:
    """Seconds from ``30s``, ``-2m``, ``1h30m`` or a number, located at ``option``."""
    from twofa_sim.core.clock import parse_duration

    try:
        seconds = parse_duration(value)
    except InputError as exc:
        raise exc.at(option) from None
    if not math.isfinite(seconds):
        raise InputError(f"{value!r} is not a finite duration", where=option)
    return seconds


class _Period(click.ParamType):  # type: ignore[type-arg]
    """A TOTP step: whole seconds, as a number (30) or a duration with units (30s, 1m)."""

    name = "period"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            seconds: float = value
        else:
            from twofa_sim.core.clock import parse_duration

            try:
                seconds = parse_duration(str(value))
            except InputError as exc:
                self.fail(exc.what, param, ctx)
        if not math.isfinite(seconds) or seconds < 1 or not float(seconds).is_integer():
            self.fail(f"{value!r} is not a whole number of seconds >= 1 (30, 30s, 1m)", param, ctx)
        return int(seconds)


algorithm_option = click.option(
    "--algorithm",
    type=click.Choice(["SHA1", "SHA256", "SHA512"], case_sensitive=False),
    default="SHA1",
    show_default=True,
    help="HMAC hash function.",
)
digits_option = click.option(
    "--digits", type=click.IntRange(6, 8), default=6, show_default=True, help="Code length."
)
period_option = click.option(
    "--period",
    type=_Period(),
    default=30,
    show_default=True,
    help="TOTP step: seconds or a duration (30, 30s, 1m).",
)
steps_back_option = click.option(
    "--steps-back",
    type=click.IntRange(0, 1000),
    default=1,
    show_default=True,
    help="Steps the verifier accepts behind its own.",
)
steps_forward_option = click.option(
    "--steps-forward",
    type=click.IntRange(0, 1000),
    default=1,
    show_default=True,
    help="Steps the verifier accepts ahead of its own.",
)


def plot_target(plot: Path | None) -> str | None:
    """The plot's format, checked (with its directory) before any slow work is done."""
    if plot is None:
        return None
    from twofa_sim.labs.skewplot import plot_format

    fmt = plot_format(plot)
    if str(plot) != "-":
        resolve_output(plot, "--plot")
    return fmt


def write_plot(plot: Path, fmt: str, figure: Any) -> None:
    """Render ``figure`` to ``plot`` and say so on stderr."""
    from twofa_sim.labs.skewplot import render

    data = render(figure, "png" if fmt == "png" else "svg")
    write_output(plot, data, "--plot")
    click.echo(f"wrote {display_path(plot)} ({len(data):,} bytes)", err=True)


def warn_findings(text: str) -> None:
    """Tell stderr what the linter thinks of a URI we were asked to make (errors and warnings)."""
    from twofa_sim.core.migration import lint_text

    for finding in lint_text(text):
        if finding.severity != "info":
            click.echo(
                f"{PROG}: lint {finding.severity}: {finding.rule}: {finding.message}", err=True
            )


def print_findings(findings: Iterable[Any]) -> None:
    """Lint findings as an indented list (``findings: none`` when there are none)."""
    found = list(findings)
    if not found:
        click.echo("findings: none")
        return
    click.echo("findings:")
    for f in found:
        click.echo(f"  {f.severity:<7} {f.rule:<24} {printable(f.message)}")

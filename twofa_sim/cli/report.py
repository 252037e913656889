"""``twofa-sim report``: render a run again, verify its manifest, compare two runs.

Reading a results file needs the renderers and nothing of the simulation: no provider, no
HTTP client, no scenario loader is imported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from twofa_sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    display_path,
    emit_json,
    printable,
    will_exit,
    write_output,
)
from twofa_sim.errors import CommandFailed

__all__ = ["report"]


class _RenderByDefault(click.Group):
    """``report PATH ...`` means ``report render PATH ...``; ``verify`` and ``diff`` are
    subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RenderByDefault)
def report() -> None:
    """Render a run's results again, verify a run directory, or compare two runs.

    \b
    twofa-sim report SOURCE --format html|md|junit|json -o FILE
    twofa-sim report verify DIR
    twofa-sim report diff OLD NEW
    """


@report.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "junit", "json"]),
    default="html",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File to write [stdout].")
def render(source: Path, fmt: str, output: Path | None) -> None:
    """Render SOURCE (a results.json, a run directory, or a killed run's results.jsonl)."""
    from twofa_sim.report.rundir import load_results, renderers

    results = load_results(source)
    if fmt == "json":
        text = json.dumps(results, indent=1, ensure_ascii=False) + "\n"
    else:
        text = renderers()[fmt](results)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text.encode("utf-8"), "-o/--output")


@report.command()
@click.argument("directory", type=click.Path(path_type=Path))
def verify(directory: Path) -> None:
    """Recompute the manifest of a run directory: exit 0 when intact, 1 naming each changed,
    missing or added file."""
    from twofa_sim.report.manifest import verify as check

    found = check(directory)  # refuses a missing DIR, a file, /dev/zero: located, exit 2
    if found.intact:
        will_exit(EXIT_OK)
        click.echo(f"intact: every file of {display_path(directory)} matches its manifest")
        return
    will_exit(EXIT_FAILED)
    for word, names in (
        ("changed", found.changed),
        ("missing", found.missing),
        ("added", found.added),
    ):
        for name in names:
            click.echo(f"{word}: {printable(name)}")
    raise CommandFailed("the run directory does not match its manifest")


@report.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(old: Path, new: Path, as_json: bool) -> None:
    """What changed from OLD to NEW (results.json files or run directories): exit 1 when
    something regressed (a new failure, or a requirement no longer covered) or when NEW is a
    run that did not finish."""
    from twofa_sim.report.diff import diff_results
    from twofa_sim.report.rundir import load_results

    found = diff_results(load_results(old), load_results(new))
    will_exit(EXIT_FAILED if found.failed else EXIT_OK)
    if as_json:
        emit_json(found.as_dict())
    else:
        click.echo(found.text())
    if found.failed:
        raise CommandFailed()

"""``twofa-sim report``: render a run again, verify its manifest, compare two runs, merge shards.

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
from twofa_sim.errors import CommandFailed, InputError

__all__ = ["keygen", "report"]


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
    twofa-sim report verify DIR [--public-key PUB]
    twofa-sim report sign DIR --key KEY
    twofa-sim report diff OLD NEW
    twofa-sim report merge SHARD_DIR... -o DIR [--key KEY]
    """


@report.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "junit", "json", "pdf"]),
    default="html",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File to write [stdout].")
@click.option(
    "--scope",
    "scope_file",
    type=click.Path(path_type=Path),
    help="Judge the results against this scope file (in place of the run's own scope).",
)
def render(source: Path, fmt: str, output: Path | None, scope_file: Path | None) -> None:
    """Render SOURCE (a results.json, a run directory, or a killed run's results.jsonl); a
    run directory's execution.json is shown too. --format pdf needs -o FILE and Chromium."""
    from twofa_sim.report.execution import load_execution, with_execution
    from twofa_sim.report.rundir import load_results, renderers

    if fmt == "pdf" and output is None:
        raise InputError("a PDF is written to a file", where="-o/--output", hint="-o report.pdf")
    if scope_file is not None:
        from twofa_sim.report.scope import apply_scope, load_scope

        scope = load_scope(scope_file)  # bad input before the results are read
        results = apply_scope(load_results(source), scope)
    else:
        results = load_results(source)
    if fmt == "pdf":
        from twofa_sim.report.pdf import render_pdf

        assert output is not None
        pdf = render_pdf(with_execution(results, load_execution(source)))
        write_output(output, pdf, "-o/--output")
        return
    if fmt == "json":
        text = json.dumps(results, indent=1, ensure_ascii=False) + "\n"
    else:
        text = renderers()[fmt](with_execution(results, load_execution(source)))
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text.encode("utf-8"), "-o/--output")


@report.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(path_type=Path),
    help="Also check the run's signed attestation with this Ed25519 public key (PEM).",
)
def verify(directory: Path, public_key: Path | None) -> None:
    """Recompute the manifest of a run directory: exit 0 when intact, 1 naming each changed,
    missing or added file (dotfiles too) and each entry that is not a regular file (a link, a
    FIFO, a directory where a file was). With --public-key, check the signature of the run's
    attestation and every file it names (a file edited with its hash rewritten in the manifest
    is caught)."""
    from twofa_sim.report.manifest import verify as check

    if public_key is not None:
        _verify_signed(directory, public_key)
        return
    found = check(directory)  # refuses a missing DIR, a file, /dev/zero: located, exit 2
    if found.intact:
        will_exit(EXIT_OK)
        click.echo(f"intact: every file of {display_path(directory)} matches its manifest")
        from twofa_sim.report.attestation import ATTESTATION

        if (directory / ATTESTATION).is_file():  # the stronger check is there to be made
            click.echo(
                "the run is signed: give --public-key to check its attestation (the manifest "
                "alone does not catch a file edited with its hash rewritten there)"
            )
        return
    will_exit(EXIT_FAILED)
    _differences(found.changed, found.missing, found.added, found.not_regular, found.kinds)
    raise CommandFailed("the run directory does not match its manifest")


def _differences(
    changed: list[str],
    missing: list[str],
    added: list[str],
    not_regular: list[str],
    kinds: dict[str, str],
) -> None:
    """One line per difference: ``changed:``, ``missing:``, ``added:`` (dotfiles too), and
    ``not a regular file:`` with what the entry is."""
    for word, names in (("changed", changed), ("missing", missing), ("added", added)):
        for name in names:
            click.echo(f"{word}: {printable(name)}")
    for name in not_regular:
        click.echo(f"not a regular file: {printable(name)} ({kinds.get(name, 'unknown')})")


def _verify_signed(directory: Path, public_key: Path) -> None:
    from twofa_sim.report.attestation import verify_attestation

    found = verify_attestation(directory, public_key)
    if found.intact:
        will_exit(EXIT_OK)
        click.echo(f"intact: {display_path(directory)} is as signed by key {found.key_id[:16]}...")
        return
    will_exit(EXIT_FAILED)
    if not found.signed:
        click.echo(f"bad signature: the attestation is not signed by {display_path(public_key)}")
    _differences(found.changed, found.missing, found.added, found.not_regular, found.kinds)
    raise CommandFailed("the run directory does not match its signed attestation")


@report.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--key",
    "key",
    required=True,
    type=click.Path(path_type=Path),
    help="The Ed25519 private key (PEM) to sign with (twofa-sim keygen makes one).",
)
def sign(directory: Path, key: Path) -> None:
    """Sign every file of the run in DIRECTORY: an in-toto statement in a DSSE envelope
    (attestation.dsse.json) that `report verify --public-key` checks."""
    from twofa_sim.report.attestation import sign_run

    written = sign_run(directory, key)
    will_exit(EXIT_OK)
    click.echo(f"signed: {display_path(written)}")


@report.command()
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The merged run directory to write (new, or empty).",
)
@click.option(
    "--key",
    "key",
    type=click.Path(path_type=Path),
    help="Sign the merged run with this Ed25519 private key (PEM), as `report sign` does.",
)
@click.option(
    "--public-key",
    type=click.Path(path_type=Path),
    help="First check each shard's signed attestation with this Ed25519 public key (PEM).",
)
def merge(
    directories: tuple[Path, ...], output: Path, key: Path | None, public_key: Path | None
) -> None:
    """Merge the run directories of `twofa-sim run --shard K/N` (every K of one N) into one
    run directory: one results.json (what the run without --shard writes), the reports, one
    manifest and, with --key, one attestation. Exit 0 when every scenario passed, 1 when any
    failed or erred (as `run`: the merged run is written either way). Shards of another seed,
    target, scenario set or version, a shard twice or missing, or a run that did not finish:
    exit 2, naming it."""
    from twofa_sim.report.merge import merge_runs

    merged = merge_runs(list(directories), output, sign_key=key, public_key=public_key)
    summary = merged.results["summary"]
    failed = bool(summary["failed"] or summary["errors"])
    will_exit(EXIT_FAILED if failed else EXIT_OK)
    click.echo(
        f"merged {merged.shards} shards: {summary['scenarios']} scenarios, "
        f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors"
        f"{', signed' if merged.signed else ''}: {display_path(merged.path)}"
    )
    if failed:
        raise CommandFailed()


@click.command()
@click.argument("private_key", type=click.Path(path_type=Path))
@click.argument("public_key", type=click.Path(path_type=Path))
def keygen(private_key: Path, public_key: Path) -> None:
    """Make an Ed25519 key pair for signing runs: PRIVATE_KEY is created owner-only (0600)
    and never overwritten; give PUBLIC_KEY to whoever checks the runs."""
    from twofa_sim.report.attestation import generate_keys

    key_id = generate_keys(private_key, public_key)
    will_exit(EXIT_OK)
    click.echo(
        f"key {key_id[:16]}...: private {display_path(private_key)} (0600), "
        f"public {display_path(public_key)}"
    )


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

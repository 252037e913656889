"""``twofa-sim compare``: the same scenarios against several targets, one conformance matrix."""

from __future__ import annotations

import json
import re
import secrets
import shlex
import time
from pathlib import Path
from typing import Any

import click

from twofa_sim.cli.common import EXIT_OK, display_path, printable, will_exit
from twofa_sim.cli.run import check_sources, library_path, selected, target_versions
from twofa_sim.errors import InputError

__all__ = ["compare"]

PROVIDER = "messages"
"""compare runs every target as ``run`` does by default: Twilio Messages and Authy."""


def _slug(name: str) -> str:
    """A target's name as a folder name (``module:Class`` targets have a colon)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "target"


def _preflight(targets: tuple[str, ...]) -> dict[str, tuple[Any, Any, Any]]:
    """Every target loaded and asked for its policy and versions before anything runs: an
    unknown or repeated target, or a peer whose packages are missing (the error names the
    extra to install), is bad input."""
    from twofa_sim.scenario.target import load_target, target_policy

    loaded: dict[str, tuple[Any, Any, Any]] = {}
    for name in targets:
        if name in loaded:
            raise InputError(
                f"target {name!r} given twice", where="--target", hint="name each target once"
            )
        factory = load_target(name)
        loaded[name] = (factory, target_policy(factory), target_versions(factory))
    return loaded


def _shared_argv(
    paths: tuple[Path, ...], keyword: str | None, tags: tuple[str, ...], seed: int
) -> list[str]:
    argv = ["-k", keyword] if keyword else []
    for tag in tags:
        argv += ["--tag", tag]
    return [*argv, "--seed", str(seed), *(str(p) for p in paths)]


def compare_command(
    targets: tuple[str, ...],
    paths: tuple[Path, ...],
    keyword: str | None,
    tags: tuple[str, ...],
    seed: int,
) -> list[str]:
    """The ``twofa-sim compare`` command that reproduces a matrix (from the scenario root, as
    ``run``'s reproducibility block records it; output options and ``--jobs`` left out)."""
    from twofa_sim.report.provenance import run_command

    command = run_command(_shared_argv(paths, keyword, tags, seed), list(paths), seed)
    chosen = [arg for name in targets for arg in ("--target", name)]
    return ["twofa-sim", "compare", *chosen, *command[2:]]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--target",
    "targets",
    multiple=True,
    required=True,
    help="A target to compare (repeatable, in column order): reference, pyotp-naive, "
    "pyotp-quickstart, django-otp, django-two-factor-auth, http://..., or module:Class.",
)
@click.option("-k", "keyword", help="Only scenarios whose id or title contains this (or: a or b).")
@click.option("--tag", "tags", multiple=True, help="Only scenarios with this tag (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="The seed of every run.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where it goes: DIR/compare-<id>/ (compare.html, compare.md, compare.json, and each "
    "target's own run in a folder of its name).",
)
@click.option("--json", "as_json", is_flag=True, help="Also print the matrix as JSON to stdout.")
@click.option(
    "--findings",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the findings summary (Markdown) into this file: between its "
    "'<!-- BEGIN/END twofa-sim compare findings -->' markers when it has them (the rest is "
    "kept), else as the whole file. The README's 'How common implementations fare' is made so.",
)
def compare(
    paths: tuple[Path, ...],
    targets: tuple[str, ...],
    keyword: str | None,
    tags: tuple[str, ...],
    seed: int,
    jobs: int,
    report_dir: Path,
    as_json: bool,
    findings: Path | None,
) -> None:
    """Run the same scenarios (default: the bundled library) against every --target and write
    one matrix: requirement x target -> verdict (passed, failed, unsupported, not_applicable,
    uncovered), each cell naming the scenarios and steps that decided it, plus a row per
    scenario.

    Exit 0 when it ran (a matrix is a finding, not a failure: the verdicts are in it), 2 for
    bad input (an unknown or repeated target, a peer target whose extra is not installed, a
    bad path or scenario file).
    """
    from twofa_sim.files import read_text, write_atomically
    from twofa_sim.report.matrix import (
        build_matrix,
        embed_findings,
        render_findings,
        render_matrix_html,
        render_matrix_markdown,
    )
    from twofa_sim.report.provenance import reproducibility, scenario_root
    from twofa_sim.report.rundir import render_all
    from twofa_sim.scenario.loader import load_paths
    from twofa_sim.scenario.results import run_all
    from twofa_sim.scenario.runner import provider_skip, with_provider

    loaded = _preflight(targets)
    check_sources(paths)
    sources = list(paths) or [library_path()]
    scenarios = load_paths(sources)
    chosen = [s for s in scenarios if selected(s, keyword, tags)]
    if not chosen:
        raise InputError("no scenario matches", where="-k/--tag", hint=f"{len(scenarios)} loaded")
    chosen = [with_provider(s, PROVIDER) for s in chosen if provider_skip(s, PROVIDER) is None]
    if not chosen:
        raise InputError(f"every scenario chosen is skipped under provider {PROVIDER}")
    if findings is not None:
        if findings.exists():
            where = f"--findings {display_path(findings)}"
            # Its markers are checked before anything runs; it is read again to be written.
            embed_findings(read_text(findings, limit=4 << 20, where=where), "", where=where)
        elif not findings.parent.is_dir():
            raise InputError("no such folder", where=f"--findings {display_path(findings)}")

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = report_dir / f"compare-{stamp}-seed{seed}-{secrets.token_hex(2)}"
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the compare directory: {exc.strerror}", where=display_path(out)
        ) from None
    root = scenario_root(sources)
    shared = _shared_argv(paths, keyword, tags, seed)
    runs: list[tuple[str, dict[str, Any]]] = []
    reports: dict[str, str] = {}
    folders = _folders(targets)
    for name in targets:
        _, policy, versions = loaded[name]
        started = time.monotonic()
        result = run_all(chosen, target=name, seed=seed, jobs=jobs, root=root)
        data = result.as_dict(
            reproducibility=reproducibility(
                seed=seed,
                target=name,
                paths=sources,
                argv=["--target", name, *shared],
                target_versions=versions,
            ),
            policy=policy,
            provider={"name": PROVIDER, "skipped": []},
            run={"complete": True},
        )
        render_all(out / folders[name], data)
        reports[name] = f"{folders[name]}/report.html"
        runs.append((name, data))
        sm = data["summary"]
        click.echo(
            f"{name}: {sm['scenarios']} scenarios, {sm['passed']} passed, {sm['failed']} failed, "
            f"{sm['errors']} errors, {sm['unsupported']} unsupported, "
            f"{sm['not_applicable']} not applicable ({time.monotonic() - started:.1f} s)",
            err=True,
        )
    from twofa_sim.peers.reviewed import REVIEWED

    command = shlex.join(compare_command(targets, paths, keyword, tags, seed))
    matrix = build_matrix(runs, reports=reports, command=command, notes=REVIEWED)
    document = json.dumps(matrix.as_json(), ensure_ascii=False, indent=1) + "\n"
    write_atomically(out / "compare.json", document)
    write_atomically(out / "compare.md", render_matrix_markdown(matrix))
    write_atomically(out / "compare.html", render_matrix_html(matrix))
    if findings is not None:
        regenerate = f"{command} --findings {shlex.quote(display_path(findings))}"
        summary = render_findings(matrix, regenerate=regenerate)
        where = f"--findings {display_path(findings)}"
        # Read again now: FILE (a README) may have been edited while the targets ran.
        current = read_text(findings, limit=4 << 20, where=where) if findings.exists() else ""
        write_atomically(findings, embed_findings(current, summary, where=where))
    will_exit(EXIT_OK)
    lines = [_count_line(matrix, kind) for kind in ("scenarios", "requirements")]
    lines.append(f"matrix: {display_path(out / 'compare.html')}")
    if findings is not None:
        lines.append(f"findings: {display_path(findings)}")
    text = "\n".join(printable(line) for line in lines)
    if as_json:
        click.echo(text, err=True)
        click.echo(document, nl=False)
    else:
        click.echo(text)


def _folders(targets: tuple[str, ...]) -> dict[str, str]:
    """A distinct folder per target (two module:Class names may slug alike)."""
    folders: dict[str, str] = {}
    for name in targets:
        slug = base = _slug(name)
        number = 2
        while slug in folders.values():
            slug, number = f"{base}-{number}", number + 1
        folders[name] = slug
    return folders


def _count_line(matrix: Any, kind: str) -> str:
    attr = "scenario_counts" if kind == "scenarios" else "requirement_counts"
    parts = []
    for column in matrix.columns:
        counts = getattr(column, attr)
        shown = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        parts.append(f"{column.name}: {shown}")
    return f"{kind}: " + "; ".join(parts)

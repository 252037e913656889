"""``twofa-sim run``, ``schema``, ``steps`` and ``requirements``: the scenario commands."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import click

from twofa_sim.cli.common import (
    ARGV,
    EXIT_FAILED,
    EXIT_OK,
    display_path,
    emit_json,
    printable,
    will_exit,
)
from twofa_sim.errors import CommandFailed, InputError, Interrupted

__all__ = [
    "check_sources",
    "library_path",
    "requirements",
    "run",
    "schema",
    "selected",
    "steps",
    "target_versions",
]


def library_path() -> Path:
    """Where the bundled scenario library is: in the installed package, or in the checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_library", package.parent / "scenarios"):
        if candidate.is_dir():
            # relative to the working directory when under it: what reports show
            with contextlib.suppress(ValueError):
                return candidate.relative_to(Path.cwd())
            return candidate
    raise InputError("the bundled scenario library is not installed", where="PATH")


def check_sources(paths: tuple[Path, ...]) -> None:
    """A path that exists must be a directory or a regular file: ``run /dev/zero`` is refused
    as what it is, before anything reads it (a missing path is the loader's to report)."""
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            raise InputError(
                "not a regular file",
                where=display_path(path),
                hint="a *.scenario.yaml file or a directory of them",
            )


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--target",
    default="reference",
    show_default=True,
    help="reference, pyotp-naive, pyotp-quickstart, django-otp, django-two-factor-auth, "
    "http://... (a service's contract URL), or module:Class (see the README's guide).",
)
@click.option("-k", "keyword", help="Only scenarios whose id or title contains this (or: a or b).")
@click.option("--tag", "tags", multiple=True, help="Only scenarios with this tag (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="The run's seed.")
@click.option(
    "--provider",
    type=click.Choice(["messages", "verify"]),
    default="messages",
    show_default=True,
    help="What the reference service uses: Twilio Messages + Authy, or Twilio Verify "
    "(scenarios tagged authy, messages-only or drift are skipped under verify, and listed).",
)
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where runs go: DIR/<run-id>/, and DIR/latest for the newest complete one.",
)
@click.option(
    "--scope",
    "scope_file",
    type=click.Path(path_type=Path),
    help="A scope file (YAML: the system under test, standards and levels, requirements not "
    "applicable, sign-off roles; `twofa-sim schema --scope` prints its schema).",
)
@click.option(
    "--shard",
    help="Run only share K of N of the chosen scenarios (K/N, e.g. 2/3: one per machine; "
    "`twofa-sim report merge` joins the shard runs into one).",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path),
    help="Sign the run with this Ed25519 private key (PEM) when it ends, as `report sign` does.",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also write report.pdf into the run directory (printed by headless Chromium).",
)
@click.option("--json", "as_json", is_flag=True, help="Also print results.json to stdout.")
def run(
    paths: tuple[Path, ...],
    target: str,
    keyword: str | None,
    tags: tuple[str, ...],
    seed: int,
    provider: str,
    jobs: int,
    report_dir: Path,
    scope_file: Path | None,
    shard: str | None,
    sign_key: Path | None,
    pdf: bool,
    as_json: bool,
) -> None:
    """Run scenario files (default: the bundled library) against a target.

    Writes DIR/<run-id>/ (results.json, junit.xml, report.html, report.md, manifest.json; the
    results stream into results.jsonl as scenarios finish) and moves DIR/latest to it. Exit 0
    when every scenario passed, 1 when any failed or erred, 2 for bad input (a broken scenario
    file is reported as FILE:LINE:COLUMN with the line and a hint). SIGINT or SIGTERM stops the
    run (and its worker processes): exit 130 or 143, the finished scenarios in results.jsonl.
    """
    from twofa_sim.report.attestation import check_signing_key
    from twofa_sim.report.provenance import reproducibility, scenario_root
    from twofa_sim.report.rundir import RunDirectory
    from twofa_sim.report.scope import apply_scope, load_scope
    from twofa_sim.scenario.loader import load_paths
    from twofa_sim.scenario.results import run_all
    from twofa_sim.scenario.runner import provider_skip, with_provider
    from twofa_sim.scenario.shard import Shard
    from twofa_sim.scenario.target import load_target, target_policy

    factory = load_target(target)  # a bad --target is bad input, before anything runs
    share = None if shard is None else Shard.parse(shard)
    if sign_key is not None:
        check_signing_key(sign_key)
    if pdf:
        from twofa_sim.report.pdf import require_chromium

        require_chromium()  # before anything runs: a missing browser is bad input
    scope = None if scope_file is None else load_scope(scope_file)
    check_sources(paths)
    sources = list(paths) or [library_path()]
    scenarios = load_paths(sources)
    chosen = [s for s in scenarios if selected(s, keyword, tags)]
    if not chosen:
        raise InputError("no scenario matches", where="-k/--tag", hint=f"{len(scenarios)} loaded")
    skipped = [
        {"id": s.id, "file": s.file, "reason": why}
        for s in chosen
        if (why := provider_skip(s, provider)) is not None
    ]
    chosen = [with_provider(s, provider) for s in chosen if provider_skip(s, provider) is None]
    if skipped:
        click.echo(f"skipped {len(skipped)} scenarios under --provider {provider}:", err=True)
        for entry in skipped:
            click.echo(f"  {entry['id']} ({entry['reason']})", err=True)
    if not chosen:
        raise InputError(f"every scenario chosen is skipped under --provider {provider}")
    everyone, chosen = chosen, chosen if share is None else share.take(chosen)
    if share is not None:
        click.echo(f"shard {share}: {len(chosen)} of {len(everyone)} scenarios", err=True)
    argv = click.get_current_context().find_root().meta.get(ARGV, ["run"])[1:]
    extra = {
        "reproducibility": reproducibility(
            seed=seed,
            target=target,
            paths=sources,
            argv=argv,
            target_versions=target_versions(factory),
        ),
        "policy": target_policy(factory),
        "provider": {"name": provider, "skipped": skipped},
    }
    if share is not None:
        extra["shard"] = share.block(everyone)
    if scope is not None:
        extra["scope"] = scope.block
    from twofa_sim.report.execution import Recorder

    progress = _Progress(len(chosen), enabled=sys.stderr.isatty())
    recorder = Recorder(jobs=jobs)
    with RunDirectory(report_dir, seed=seed) as directory:
        directory.header({"seed": seed, "target": target, **extra})

        def finished(result: Any) -> None:
            recorder.scenario(result.scenario.id)
            directory.scenario(result.as_dict())
            progress.update(result)

        try:
            result = run_all(
                chosen,
                target=target,
                seed=seed,
                jobs=jobs,
                on_result=finished,
                root=scenario_root(sources),
            )
        except Interrupted as stop:
            progress.close()
            partial = display_path(directory.path / "results.jsonl")
            raise Interrupted(
                stop.signum,
                f"stopped after {progress.done} of {len(chosen)} scenarios; the finished ones "
                f"are in {partial} (twofa-sim report renders it, marked incomplete)",
            ) from None
        progress.close()
        data = result.as_dict(**extra, run={"complete": True})
        if scope is not None:
            data = apply_scope(data, scope)
        directory.finish(data, sign_key=sign_key, execution=recorder.statement(), pdf=pdf)
    status = EXIT_OK if result.passed else EXIT_FAILED
    will_exit(status)
    summary = _summary(data, directory.path, {s.id: s.file for s in chosen})
    if as_json:
        click.echo(summary, err=True)
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        click.echo(summary)
    if status != EXIT_OK:
        raise CommandFailed()


def selected(scenario: Any, keyword: str | None, tags: tuple[str, ...]) -> bool:
    if tags and not set(tags) & set(scenario.tags):
        return False
    if not keyword:
        return True
    text = f"{scenario.id} {scenario.title}".lower()
    alternatives = [part.strip().lower() for part in keyword.split(" or ")]
    return any(all(w in text for w in alt.split(" and ")) for alt in alternatives if alt)


class _Progress:
    """A one-line progress bar on a terminal's stderr; silent otherwise."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.done, self.failed, self.enabled = total, 0, 0, enabled

    def update(self, result: Any) -> None:
        self.done += 1
        self.failed += result.verdict in ("failed", "error")
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        note = f", {self.failed} failed" if self.failed else ""
        click.echo(f"\r[{bar}] {self.done}/{self.total}{note}", err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("", err=True)
            self.enabled = False


def target_versions(factory: Any) -> dict[str, str | None] | None:
    """What a target wrapping a third-party implementation tests (its ``versions()``)."""
    versions = getattr(factory, "versions", None)
    if not callable(versions):
        return None
    return {str(k): (None if v is None else str(v)) for k, v in dict(versions()).items()}


_MARKS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR ",
    "unsupported": "UNSUPP",
    "not_applicable": "N/A   ",
}


def _summary(data: dict[str, Any], path: Path, named: dict[str, str]) -> str:
    """The run as the terminal shows it; ``named``: each scenario's file as the user named it
    (results record it relative to the scenario root)."""
    rows = []
    width = max((len(s["id"]) for s in data["scenarios"]), default=10)
    for s in data["scenarios"]:
        mark = _MARKS.get(s["verdict"], s["verdict"].upper())
        line = f"{mark}  {s['id']:<{width}}  {printable(s['title'])}"
        if s["verdict"] != "passed":
            file = named.get(s["id"], s["file"])
            line += f"\n        {file}:{_failing_line(s)}: {printable(s['detail'])}"
        rows.append(line)
    sm = data["summary"]
    rows.append("")
    rows.append(
        f"{sm['scenarios']} scenarios: {sm['passed']} passed, {sm['failed']} failed, "
        f"{sm['errors']} errors"
        + (f", {sm['unsupported']} unsupported" if sm.get("unsupported") else "")
        + (f", {sm['not_applicable']} not applicable" if sm.get("not_applicable") else "")
        + f"; {sm['steps']} steps; requirements covered "
        + (
            f"{sm['requirements_in_scope_covered']} of {sm['requirements_in_scope']} testable "
            f"in scope ({sm['requirements_out_of_scope']} out of scope, "
            f"{sm['requirements_declared_not_applicable']} declared not applicable); "
            if "requirements_in_scope" in sm
            else f"{sm['requirements_covered']} of {sm['requirements_testable']} testable; "
        )
        + f"target {data['target']}, seed {data['seed']}"
    )
    rows.append(f"report: {display_path(path / 'report.html')}")
    return "\n".join(rows)


def _failing_line(scenario: dict[str, Any]) -> int:
    for step in scenario["steps"]:
        if step["verdict"] in ("failed", "error"):
            return int(step["line"])
    return int(scenario["line"])


@click.command()
@click.option("--scope", "of_scope", is_flag=True, help="The schema of scope files instead.")
def schema(of_scope: bool) -> None:
    """Print the JSON Schema of scenario files (for editors: see the README), or with --scope
    of scope files (`twofa-sim run --scope`)."""
    if of_scope:
        from twofa_sim.report.scope import scope_schema

        emit_json(scope_schema())
        return
    from twofa_sim.scenario.loader import document_schema

    emit_json(document_schema())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the library as JSON.")
@click.argument("names", nargs=-1)
def steps(as_json: bool, names: tuple[str, ...]) -> None:
    """List the steps scenarios may use, with their fields and an example."""
    from twofa_sim.scenario.steps import REGISTRY

    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(REGISTRY), n=1)
        raise InputError(
            f"no step {unknown[0]!r}",
            where="NAMES",
            hint=f"did you mean {close[0]!r}?" if close else "twofa-sim steps lists them",
        )
    chosen = [REGISTRY[n] for n in (names or REGISTRY)]
    if as_json:
        emit_json(
            [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "summary": s.summary,
                    "fields": s.schema()["properties"],
                    "required": list(s.required),
                    "example": s.example,
                }
                for s in chosen
            ]
        )
        return
    out = []
    for kind in ("clock", "provider", "user", "service", "expect", "control"):
        for spec in (s for s in chosen if s.kind == kind):
            out.append(f"{spec.name}  ({kind})")
            out.append(f"    {spec.summary}")
            for field, schema_ in spec.schema()["properties"].items():
                need = " (required)" if field in spec.required else ""
                described = _EXPECT_TEXT if field == "expect" else _describe(schema_)
                out.append(f"    {field}: {described}{need}")
            out.extend("    " + line for line in ("example:", *spec.example.splitlines()))
            out.append("")
    click.echo("\n".join(out).rstrip())


_EXPECT_TEXT = "accepted | rejected | a reason | {result, reason, status, retry_after}"


def _describe(schema_: dict[str, Any]) -> str:
    if "enum" in schema_:
        return " | ".join(str(v) for v in schema_["enum"])
    kind = schema_.get("type") or [
        str(option.get("type", "any")) for option in schema_.get("anyOf", [])
    ]
    kind = kind or "any"
    text = " or ".join(kind) if isinstance(kind, list) else str(kind)
    description = schema_.get("description")
    return f"{text}: {description}" if description else text


@click.command()
@click.option("--source", help="Only this source (e.g. ASVS5, NIST, RFC6238).")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def requirements(source: str | None, as_json: bool) -> None:
    """List the requirements catalog scenarios cite in covers:."""
    from twofa_sim.core import requirements as catalog_module

    catalog = catalog_module.load_catalog()
    if as_json:
        emit_json(catalog_module.as_json(catalog))
        return
    click.echo(catalog_module.format_table(catalog, source))

"""A run's scope (run --scope), its execution statement (execution.json), and report.md's gaps.

Rules proved here: issue 15 §1 (the system under test, the standards and levels in scope,
requirements declared not applicable with a reason; an L3 item at L2 is out of scope, not a
gap; the matrix separates passed, failed, not applicable, unsupported, out of scope and
uncovered), §3 first bullet (results.json stays deterministic; the wall-clock start and end,
the durations and the host go in a separate statement every format shows) and §4's report.md
gaps by ID.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from twofa_sim.core.requirements import load_catalog
from twofa_sim.report.html import render_html
from twofa_sim.report.markdown import render_markdown
from twofa_sim.report.model import traceability
from twofa_sim.report.rundir import load_results
from twofa_sim.report.scope import LEVELS, parse_scope, scope_schema

SCENARIO = """id: sms-once
title: An SMS code works once
tags: [sms]
covers: [ASVS5-6.5.1, ASVS5-6.3.5, NIST-63B4-3.1.3.2-ONCE, PCIDSS4-8.5.1-REPLAY, RFC4226-7.1]
given:
  users: [alice]
  phones: [{number: "+12015550110"}]
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
"""
SCOPE = """system:
  name: Acme Login
  version: "2.10"
  environment: staging
  owner: Identity team
standards:
  ASVS5: L2
  NIST-63B4: AAL2
  PCIDSS4: all
not_applicable:
  - id: ASVS5-6.6.3
    reason: Acme Login sends no codes by e-mail <b>at all</b>
sign_off:
  - role: Security lead
  - role: QA lead
    name: R. Roe
"""


def _library(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "sms-once.scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "scope.yaml").write_text(SCOPE, encoding="utf-8")
    return lib


@pytest.fixture
def scoped_run(run: Run, tmp_path: Path) -> Path:
    lib = _library(tmp_path)
    result = run(
        "run",
        str(lib),
        "--scope",
        str(tmp_path / "scope.yaml"),
        "--report-dir",
        str(tmp_path / "o"),
    )
    assert result.code == 0, result.err
    return (tmp_path / "o" / "latest").resolve()


def _row(results: dict[str, object], rid: str) -> dict[str, object]:
    rows = results["requirements"]
    assert isinstance(rows, list)
    return next(r for r in rows if r["id"] == rid)


# --- the scope file -------------------------------------------------------------------------


def test_the_scope_schema_is_shipped_and_printed(run: Run) -> None:
    """`twofa-sim schema --scope` prints the shipped twofa_sim/data/scope.schema.json, built
    from the catalog's sources (one entry per standard, with its levels)."""
    printed = json.loads(run("schema", "--scope").out)
    shipped = Path(__file__).parents[2] / "twofa_sim" / "data" / "scope.schema.json"
    assert printed == json.loads(shipped.read_text(encoding="utf-8")) == scope_schema()
    assert set(printed["properties"]["standards"]["properties"]) == set(load_catalog().sources)
    assert printed["properties"]["standards"]["properties"]["ASVS5"]["enum"] == ["L1", "L2", "L3"]


def test_every_catalog_level_is_one_a_scope_can_name() -> None:
    """A catalog item's level belongs to its standard's levels (ASVS L1-L3, NIST AAL1-AAL3),
    so applicability can compare them; sources without levels carry none."""
    for item in load_catalog():
        if item.level is not None:
            assert item.level in LEVELS[item.source], item.id


def test_levels_are_cumulative_and_declarations_win() -> None:
    """At ASVS L2 an L3 item is out of scope (saying so) and an L1 item is in; at AAL2 an AAL3
    item is out and an item without a level is in; a standard not named is out as a whole; a
    requirement declared not applicable is, with its reason."""
    scope = parse_scope(SCOPE, where="scope.yaml")
    catalog = load_catalog()

    def status(rid: str) -> tuple[str, str]:
        item = catalog.get(rid)
        return scope.applicability(item.source, item.level, item.id)

    assert status("ASVS5-6.6.1-L3") == ("out_of_scope", "a L3 item; the scope is ASVS5 L2")
    assert status("ASVS5-6.5.1")[0] == "in_scope"
    l1 = next(r.id for r in catalog if r.source == "ASVS5" and r.level == "L1")
    assert status(l1)[0] == "in_scope"
    assert status("NIST-63B4-2.3.2")[0] == "out_of_scope"
    assert status("NIST-63B4-3.1.3.2-ONCE")[0] == "in_scope"
    assert status("ASVS4-2.2.6") == ("out_of_scope", "ASVS4 is not in scope")
    assert status("ASVS5-6.6.3") == (
        "not_applicable",
        "Acme Login sends no codes by e-mail <b>at all</b>",
    )
    at_l3 = parse_scope(SCOPE.replace("ASVS5: L2", "ASVS5: L3"), where="scope.yaml")
    assert at_l3.applicability("ASVS5", "L3", "ASVS5-6.6.1-L3")[0] == "in_scope"


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (SCOPE.replace('  version: "2.10"\n', ""), ":2:3:", "missing 'version'"),
        (SCOPE.replace("ASVS5: L2", "ASVS5: L4"), ":7:10:", "not one of L1, L2, L3"),
        (SCOPE.replace("ASVS5: L2", "ASVS: L2"), ":7:3:", "did you mean 'ASVS5'?"),
        (SCOPE.replace("PCIDSS4: all", "PCIDSS4: v4"), ":9:12:", "not one of all"),
        (SCOPE.replace("id: ASVS5-6.6.3", "id: ASVS5-6.6.E"), ":11:9:", "unknown requirement"),
        (SCOPE.replace("  owner: Identity team", "  colour: red"), ":5:3:", "unknown key"),
        (SCOPE.replace("  owner: Identity team", "  name: Again"), ":5:3:", "duplicate key"),
        (SCOPE.replace("  - role: QA lead", "  - role: Security lead"), ":15:11:", "twice"),
        ("system: !!python/object:os.system {}\n", ":1:9:", "not allowed"),
        ("system: [\n", ":2:1:", "not YAML"),
        ("", "scope.yaml:", "empty"),
        ("system: " + "[" * 100_000, "scope.yaml:", "nested too deeply"),
        (
            "a: &a [x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i > 1 else '*a'] * 8)}]\n"
                for i in range(1, 10)
            ),
            "scope.yaml:",
            "too large",
        ),
    ],
)
def test_a_bad_scope_file_is_one_located_line_and_exit_2(
    run: Run, tmp_path: Path, text: str, where: str, words: str
) -> None:
    """A scope file with a problem stops the run before anything runs: one line on stderr
    naming FILE:LINE:COLUMN and what is wrong (with a hint where one helps), exit 2."""
    lib = _library(tmp_path)
    (tmp_path / "scope.yaml").write_text(text, encoding="utf-8")
    result = run(
        "run",
        str(lib),
        "--scope",
        str(tmp_path / "scope.yaml"),
        "--report-dir",
        str(tmp_path / "o"),
    )
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert where in result.err and words in result.err, result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "o").exists()


def test_a_scope_that_is_not_a_regular_file_is_refused(run: Run, tmp_path: Path) -> None:
    """`--scope /dev/zero` is refused as what it is, not read until memory runs out."""
    lib = _library(tmp_path)
    result = run("run", str(lib), "--scope", "/dev/zero", "--report-dir", str(tmp_path / "o"))
    assert result.code == 2
    assert "/dev/zero" in result.err and len(result.err.strip().splitlines()) == 1


# --- the scope in a run ------------------------------------------------------------------------


def test_a_scoped_run_records_the_scope_and_judges_requirements_by_it(scoped_run: Path) -> None:
    """results.json holds the scope (system, standards, declarations, sign-off roles) and each
    requirement's level and applicability: the L3 item a scenario covers is out of scope at L2
    (not a gap, not counted), RFC 4226 is out of scope (not named), the declared one is not
    applicable with its reason; the results still match the shipped schema."""
    results = load_results(scoped_run)  # checked against results.schema.json
    scope = results["scope"]
    assert scope["system"] == {
        "name": "Acme Login",
        "version": "2.10",
        "environment": "staging",
        "owner": "Identity team",
    }
    assert [(s["source"], s["level"]) for s in scope["standards"]] == [
        ("ASVS5", "L2"),
        ("NIST-63B4", "AAL2"),
        ("PCIDSS4", "all"),
    ]
    assert [r["role"] for r in scope["sign_off"]] == ["Security lead", "QA lead"]
    assert _row(results, "ASVS5-6.3.5")["applicability"] == "out_of_scope"
    assert _row(results, "ASVS5-6.3.5")["level"] == "L3"
    assert _row(results, "RFC4226-7.1")["applicability"] == "out_of_scope"
    assert _row(results, "ASVS5-6.5.1")["applicability"] == "in_scope"
    assert _row(results, "ASVS5-6.6.3")["applicability"] == "not_applicable"
    statuses = {row.id: row.status for row in traceability(results)}
    assert statuses["ASVS5-6.5.1"] == "passed"
    assert statuses["ASVS5-6.3.5"] == "out_of_scope"
    assert statuses["ASVS5-6.6.1-L3"] == "out_of_scope"
    assert statuses["ASVS5-6.6.3"] == "not_applicable"
    assert statuses["ASVS5-6.6.1"] == "uncovered"
    summary = results["summary"]
    in_scope = [
        r for r in results["requirements"] if r["applicability"] == "in_scope" and r["testable"]
    ]
    assert summary["requirements_in_scope"] == len(in_scope)
    assert summary["requirements_in_scope_covered"] == 3  # 6.5.1, 63B4 ONCE, PCI REPLAY


def test_every_format_shows_the_scope(scoped_run: Path) -> None:
    """report.html, report.md and junit.xml name the system under test and the standards;
    html and md show the declared reason (escaped); html groups the matrix by status, with an
    out-of-scope group; md's gaps list in-scope IDs only."""
    html = (scoped_run / "report.html").read_text(encoding="utf-8")
    md = (scoped_run / "report.md").read_text(encoding="utf-8")
    junit = (scoped_run / "junit.xml").read_text(encoding="utf-8")
    for text in (html, md):
        assert "Acme Login" in text and "2.10" in text
    assert "Acme Login sends no codes by e-mail &lt;b&gt;at all&lt;/b&gt;" in html
    assert "e-mail \\<b\\>at all\\</b\\>" in md
    assert 'id="status-out_of_scope"' in html and 'id="status-passed"' in html
    assert 'id="status-not_applicable"' in html and 'id="status-uncovered"' in html
    assert "In scope: ASVS5 L2, NIST-63B4 AAL2, PCIDSS4" in md
    gaps = md.split("### Requirement gaps", 1)[1].split("###", 1)[0]
    assert "ASVS5-6.6.1," in gaps or gaps.rstrip().endswith("ASVS5-6.6.1")
    assert "ASVS5-6.6.1-L3" not in gaps and "RFC4226" not in gaps and "ASVS5-6.6.3" not in gaps
    assert '<property name="scope.system.name" value="Acme Login"' in junit
    assert '<property name="scope.standard.ASVS5" value="L2"' in junit
    assert '<property name="scope.not_applicable.ASVS5-6.6.3"' in junit


def test_the_same_seed_and_scope_give_the_same_results(run: Run, tmp_path: Path) -> None:
    """Two runs with one seed and one scope file write byte-identical results.json, though
    they ran at different times (the execution statements differ)."""
    lib = _library(tmp_path)
    scope = str(tmp_path / "scope.yaml")
    for name in ("a", "b"):
        assert (
            run("run", str(lib), "--scope", scope, "--report-dir", str(tmp_path / name)).code == 0
        )
    a, b = tmp_path / "a" / "latest", tmp_path / "b" / "latest"
    assert (a / "results.json").read_bytes() == (b / "results.json").read_bytes()
    assert (a / "execution.json").read_bytes() != (b / "execution.json").read_bytes()
    assert b"started" not in (a / "results.json").read_bytes()


def test_report_scope_judges_old_results_against_a_scope(run: Run, tmp_path: Path) -> None:
    """`twofa-sim report SOURCE --scope FILE` renders a run made without a scope against one."""
    lib = _library(tmp_path)
    assert run("run", str(lib), "--report-dir", str(tmp_path / "o")).code == 0
    result = run(
        "report",
        str(tmp_path / "o" / "latest"),
        "--format",
        "md",
        "--scope",
        str(tmp_path / "scope.yaml"),
    )
    assert result.code == 0, result.err
    assert "System under test: **Acme Login 2.10**" in result.out


# --- the execution statement -----------------------------------------------------------------


def test_the_execution_statement_is_a_file_of_the_run(scoped_run: Path, run: Run) -> None:
    """execution.json holds the wall-clock start and end (ISO-8601 UTC), the duration, the host
    and each scenario's duration, is bound to results.json by its SHA-256 and listed in the
    manifest; results.json holds none of it."""
    import hashlib

    statement = json.loads((scoped_run / "execution.json").read_text(encoding="utf-8"))
    assert statement["started"] <= statement["finished"]
    assert statement["started"].endswith("Z") and statement["started"][10] == "T"
    assert statement["host"]["name"] and statement["host"]["python"]
    assert [s["id"] for s in statement["scenarios"]] == ["sms-once"]
    assert statement["scenarios"][0]["duration_s"] >= 0
    results = (scoped_run / "results.json").read_bytes()
    assert statement["results_sha256"] == hashlib.sha256(results).hexdigest()
    manifest = json.loads((scoped_run / "manifest.json").read_text(encoding="utf-8"))
    assert "execution.json" in manifest["files"]
    assert run("report", "verify", str(scoped_run)).code == 0


def test_every_format_shows_when_and_where_the_run_ran(scoped_run: Path, run: Run) -> None:
    """report.html, report.md and junit.xml show the start, the end and the host; rendering the
    run directory again gives the same bytes as the run wrote."""
    statement = json.loads((scoped_run / "execution.json").read_text(encoding="utf-8"))
    for name, fmt in (("report.html", "html"), ("report.md", "md"), ("junit.xml", "junit")):
        text = (scoped_run / name).read_text(encoding="utf-8")
        assert statement["started"] in text and statement["finished"] in text, name
        assert statement["host"]["name"] in text, name
        again = run("report", str(scoped_run), "--format", fmt)
        assert again.out == text, name


def test_a_statement_for_other_results_says_so(scoped_run: Path) -> None:
    """Edit results.json and the execution statement beside it no longer speaks for it: the
    report says so instead of vouching for the times."""
    from twofa_sim.report.execution import load_execution, with_execution

    path = scoped_run / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["seed"] = 99
    path.write_text(json.dumps(data), encoding="utf-8")
    shown = with_execution(load_results(scoped_run), load_execution(scoped_run))
    assert "for another results.json" in render_markdown(shown)
    assert "does not speak for these results" in render_html(shown)


# --- report.md gaps by ID ------------------------------------------------------------------------


def test_report_md_lists_every_gap_by_id() -> None:
    """Without a scope, report.md names each testable requirement no scenario covers (not only
    how many), and none that is covered or not testable."""
    catalog = load_catalog()
    rows = [
        {
            "id": item.id,
            "title": item.summary,
            "source": item.source,
            "testable": item.testable,
            "scenarios": ["s"] if item.id == "ASVS5-6.5.1" else [],
            "verdict": "passed" if item.id == "ASVS5-6.5.1" else "uncovered",
        }
        for item in catalog
    ]
    results = {
        "schema_version": 2,
        "seed": 0,
        "target": "reference",
        "summary": {},
        "scenarios": [{"id": "s", "verdict": "passed", "covers": ["ASVS5-6.5.1"]}],
        "requirements": rows,
        "run": {"complete": True},
    }
    md = render_markdown(results)
    gaps = [r["id"] for r in rows if r["testable"] and r["verdict"] == "uncovered"]
    section = md.split("### Requirement gaps", 1)[1].split("\n\n", 2)[1]
    assert f"({len(gaps)})" in md
    assert section.split(", ") == gaps
    assert "ASVS5-6.5.1" not in section


def test_the_signed_statement_carries_the_scope_and_the_times(
    scoped_run: Path, run: Run, tmp_path: Path
) -> None:
    """`report sign` puts the scope (results.json) and the execution statement's start, end
    and host (execution.json) in the signed in-toto predicate."""
    import base64

    key, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    assert run("keygen", str(key), str(pub)).code == 0
    assert run("report", "sign", str(scoped_run), "--key", str(key)).code == 0
    envelope = json.loads((scoped_run / "attestation.dsse.json").read_text(encoding="utf-8"))
    predicate = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    statement = json.loads((scoped_run / "execution.json").read_text(encoding="utf-8"))
    assert predicate["scope"]["system"]["name"] == "Acme Login"
    assert predicate["execution"]["started"] == statement["started"]
    assert predicate["execution"]["host"] == statement["host"]
    assert run("report", "verify", str(scoped_run), "--public-key", str(pub)).code == 0


def test_a_killed_scoped_run_is_still_judged_by_its_scope(scoped_run: Path) -> None:
    """A killed run's results.jsonl carries the scope in its header; rendered, its requirements
    follow the scope too (the L3 item out of scope, not a gap; the declared one with its
    reason), though the rows were traced again without it."""
    results = load_results(scoped_run / "results.jsonl")
    assert results["run"]["complete"] is False
    statuses = {row.id: (row.status, row.reason) for row in traceability(results)}
    assert statuses["ASVS5-6.3.5"] == ("out_of_scope", "a L3 item; the scope is ASVS5 L2")
    assert statuses["ASVS5-6.6.3"][0] == "not_applicable"
    md = render_markdown(results)
    gaps = md.split("### Requirement gaps", 1)[1].split("###", 1)[0]
    assert "ASVS5-6.6.1-L3" not in gaps and "ASVS5-6.6.1" in gaps


def test_the_terminal_summary_counts_what_is_in_scope(run: Run, tmp_path: Path) -> None:
    """With a scope, the run's last line counts coverage of the testable requirements in scope
    and says how many are out of scope or declared not applicable."""
    lib = _library(tmp_path)
    scope = str(tmp_path / "scope.yaml")
    result = run("run", str(lib), "--scope", scope, "--report-dir", str(tmp_path / "o"))
    results = load_results(tmp_path / "o" / "latest")
    summary = results["summary"]
    assert (
        f"requirements covered 3 of {summary['requirements_in_scope']} testable in scope "
        f"({summary['requirements_out_of_scope']} out of scope, 1 declared not applicable)"
    ) in result.out

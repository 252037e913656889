"""Results files are untrusted input: `twofa-sim report` and `report diff` check them against
results.schema.json before reading a field, refuse what is not a regular file or is too big or
too deep, and say where the problem is in one line with exit 2 (issue 16, items 4, 5 and 8)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.conftest import Run
from twofa_sim.errors import InputError
from twofa_sim.report import rundir
from twofa_sim.report.rundir import load_results
from twofa_sim.report.schema import MAX_DEPTH, results_schema

LIBRARY = Path(__file__).parents[2] / "scenarios"


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run directory of the phone scenarios (one failing against pyotp-naive)."""
    from twofa_sim.cli import main

    reports = tmp_path_factory.mktemp("reports")
    code = main(["run", str(LIBRARY / "phone"), "--report-dir", str(reports)])
    assert code == 0
    return (reports / "latest").resolve()


def refused(run: Run, *args: str) -> str:
    """Run a command that must refuse its input: exit 2, one line on stderr, nothing on
    stdout, no traceback; the line is returned."""
    result = run(*args)
    assert result.code == 2, (result.code, result.err)
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    return result.err.strip()


def _lines(directory: Path) -> list[dict[str, object]]:
    text = (directory / "results.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _write_lines(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_scenario_line_without_verdict_is_located(run: Run, good: Path, tmp_path: Path) -> None:
    """A JSON Lines scenario without `verdict` names the file, the line and the field (it was
    a KeyError, exit 3, in both render and diff)."""
    lines = _lines(good)
    del lines[2]["verdict"]
    bad = _write_lines(tmp_path / "results.jsonl", lines)
    for args in (("report", str(bad)), ("report", "diff", str(bad), str(good))):
        line = refused(run, *args)
        assert f"{bad}, line 3: at /verdict: missing" in line, line
    line = refused(run, "report", "diff", str(good), str(bad))
    assert f"{bad}, line 3: at /verdict: missing" in line


def test_a_results_json_with_only_its_version_is_refused(run: Run, tmp_path: Path) -> None:
    """`{"schema_version": 1}` alone rendered PASSED; now it is refused at its first missing
    field, through the CLI and through load_results."""
    bad = tmp_path / "results.json"
    bad.write_text('{"schema_version": 1}', encoding="utf-8")
    line = refused(run, "report", str(bad), "--format", "md")
    assert f"{bad}: at /seed: missing" in line
    with pytest.raises(InputError, match="at /seed: missing") as caught:
        load_results(bad)
    assert caught.value.where == str(bad)


Results = dict[str, Any]


def _set(path: str, value: object) -> Callable[[Results], None]:
    """Set (or, for ``...``, delete) the field at a dotted path of keys and indexes."""

    def change(data: Results) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is ...:
            del target[last]
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("scenarios.1.verdict", "banana"), "at /scenarios/1/verdict: should be one of"),
        (_set("scenarios.0.steps.2.action", ...), "at /scenarios/0/steps/2/action: missing"),
        (_set("summary", "all good"), "at /summary: should be object, not a string"),
        (_set("requirements.4.testable", "yes"), "at /requirements/4/testable: should be boolean"),
        (_set("schema_version", 99), "at /schema_version: version 99 is not one this twofa-sim"),
        (
            _set("scenarios.0.steps.0.evidence", [{}]),
            "/scenarios/0/steps/0/evidence/0/kind: missing",
        ),
        (_set("run", {"complete": "yes"}), "at /run/complete: should be boolean, not a string"),
        (_set("reproducibility.packages", {"x\ny": 5}), "/packages/x\\x0ay: should be string"),
    ],
)
def test_each_bad_field_is_named_by_its_json_pointer(
    run: Run, good: Path, tmp_path: Path, change: Callable[[Results], None], message: str
) -> None:
    """The first field that does not match the schema is named by its JSON pointer, in render
    and in diff (either side)."""
    data = json.loads((good / "results.json").read_text(encoding="utf-8"))
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert message in refused(run, "report", str(bad))
    assert message in refused(run, "report", "diff", str(good), str(bad))


@pytest.mark.parametrize("depth", [200_000, MAX_DEPTH + 1])
def test_deep_nesting_is_refused_quickly(run: Run, tmp_path: Path, depth: int) -> None:
    """An array nested 200,000 deep was a RecursionError (exit 3); one just past the limit
    parses but is refused too, with where it is. Both in well under a second."""
    bad = tmp_path / "deep.json"
    inner = "[" * depth + "]" * depth
    bad.write_text(f'{{"schema_version": 1, "policy": {inner}}}', encoding="utf-8")
    started = time.perf_counter()
    line = refused(run, "report", str(bad))
    assert time.perf_counter() - started < 2.0
    assert f"nested deeper than {MAX_DEPTH} levels" in line
    if depth < 1000:
        assert "at /policy/0/0/0/" in line
    deep_line = tmp_path / "results.jsonl"
    deep_line.write_text(f'{{"kind": "run", "seed": 0, "target": "x", "policy": {inner}}}\n')
    assert f"{deep_line}, line 1: " in refused(run, "report", str(deep_line))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2", "not JSON: Expecting ',' delimiter at line 1, column 6"),
        ("1" * 5000, "not JSON: "),
        ("[]", "at /: should be object, not an array"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_what_is_not_a_results_object_is_refused(
    run: Run, tmp_path: Path, text: str, message: str
) -> None:
    """Broken JSON, a number too long to convert, the wrong top-level type, bytes that are not
    UTF-8: each one line, exit 2."""
    bad = tmp_path / "results.json"
    bad.write_bytes(text.encode("latin-1"))
    assert message in refused(run, "report", str(bad))


def test_jsonl_lines_must_start_with_the_run(run: Run, good: Path, tmp_path: Path) -> None:
    """The run header comes first and once; a line of another kind is refused; an empty file
    says the run stopped before it wrote anything; a line cut off by a kill (the last, with no
    newline, even cut inside a character) is left out, but a bad line before it is not."""
    lines = _lines(good)
    cases = {
        "scenario-first.jsonl": (lines[1:], "line 1: a scenario before the run header"),
        "two-headers.jsonl": ([lines[0], *lines], "line 2: a second run header"),
        "odd-kind.jsonl": ([lines[0], {"kind": "note"}], "line 2: at /kind: kind is not run"),
        "empty.jsonl": ([], "no run header: the run stopped before it wrote anything"),
    }
    for name, (content, message) in cases.items():
        bad = _write_lines(tmp_path / name, content)
        assert message in refused(run, "report", str(bad)), name
    odd_header = {**lines[0], "scenarios": 5, "summary": "all passed", "run": "done"}
    shown = run("report", str(_write_lines(tmp_path / "odd.jsonl", [odd_header, *lines[1:]])))
    assert shown.code == 0, "a header cannot set what is assembled from the scenario lines"
    odd_policy = {**lines[0], "policy": ["not", "a", "policy"]}
    bad = _write_lines(tmp_path / "policy.jsonl", [odd_policy, *lines[1:]])
    assert "line 1: at /policy: should be object or null" in refused(run, "report", str(bad))
    whole = (good / "results.jsonl").read_bytes()
    for tail in (whole.splitlines()[1][:40], '{"kind": "scenario", "title": "café'.encode()[:-1]):
        cut = tmp_path / "cut.jsonl"
        cut.write_bytes(whole + tail)
        shown = run("report", str(cut), "--format", "json")
        assert shown.code == 0, (tail, shown.err)
        assert json.loads(shown.out)["summary"]["scenarios"] == len(lines) - 1
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(whole + b"\xff\n" + whole.splitlines()[1] + b"\n")
    assert f"{broken}, line {len(lines) + 1}: not UTF-8" in refused(run, "report", str(broken))


def test_dev_zero_and_fifos_are_not_regular_files(run: Run, good: Path, tmp_path: Path) -> None:
    """`report /dev/zero` and `report diff /dev/zero X` read until memory ran out, and
    `report verify /dev/zero` said "no such file": each now says "not a regular file" at once,
    and a FIFO nobody writes to does not hang the command."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for source in ("/dev/zero", str(fifo)):
        for args in (
            ("report", source),
            ("report", "diff", source, str(good)),
            ("report", "diff", str(good), source),
            ("report", "verify", source),
        ):
            started = time.perf_counter()
            line = refused(run, *args)
            assert time.perf_counter() - started < 2.0
            assert "not a regular file" in line, (args, line)


def test_a_folder_that_is_not_a_run_directory_says_so(run: Run, tmp_path: Path) -> None:
    """`report DIR` on a folder holding no results names what it looked for."""
    line = refused(run, "report", str(tmp_path))
    assert f"{tmp_path}: no results.json or results.jsonl: not a run directory" in line


def test_a_results_file_over_the_cap_is_refused(
    run: Run, good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results are read up to MAX_RESULTS_BYTES (256 MiB; lowered here): a bigger file is
    refused by its size, not read."""
    monkeypatch.setattr(rundir, "MAX_RESULTS_BYTES", 1024)
    line = refused(run, "report", str(good / "results.json"))
    assert "larger than 1 KiB" in line


def test_verify_refuses_what_is_not_a_run_directory(run: Run, good: Path, tmp_path: Path) -> None:
    """`report verify` names a missing directory, a file, a directory without a manifest
    and a manifest that is not one."""
    assert "no such directory" in refused(run, "report", "verify", str(tmp_path / "nothing"))
    assert "a file, not a run directory" in refused(
        run, "report", "verify", str(good / "results.json")
    )
    assert "no manifest.json: the run did not finish" in refused(
        run, "report", "verify", str(tmp_path)
    )
    (tmp_path / "manifest.json").write_text('{"files": [1]}', encoding="utf-8")
    assert "not a manifest" in refused(run, "report", "verify", str(tmp_path))
    (tmp_path / "manifest.json").write_text("[" * 100_000, encoding="utf-8")
    assert "nested deeper than" in refused(run, "report", "verify", str(tmp_path))


# --- every run the suite makes matches the schema ------------------------------------------


@pytest.mark.parametrize("target", ["reference", "pyotp-naive"])
def test_every_run_of_the_library_matches_the_schema(run: Run, tmp_path: Path, target: str) -> None:
    """results.schema.json describes what runs write: the whole bundled library against both
    built-in targets validates, results.json and every line of results.jsonl, checked with
    jsonschema itself (not only through twofa-sim's own reader)."""
    result = run("run", "--target", target, "--jobs", "2", "--report-dir", str(tmp_path))
    assert result.code in (0, 1), result.err
    directory = (tmp_path / "latest").resolve()
    schema = results_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    header, *scenarios = _lines(directory)
    for definition, line in [("jsonl_run", header)] + [("jsonl_scenario", s) for s in scenarios]:
        wrapped = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
        jsonschema.validate(line, wrapped, cls=jsonschema.Draft202012Validator)
    assert load_results(directory) == data

"""twofa-sim run, schema, steps, requirements: exit codes, output, files written."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.cli.conftest import Run
from twofa_sim.scenario.loader import document_schema, load_scenarios
from twofa_sim.scenario.source import load_documents
from twofa_sim.scenario.steps import REGISTRY

PASSING = """id: ok
title: Two-factor by SMS
tags: [sms]
given:
  users: [alice]
  phones: [{number: "+12015550110"}]
steps:
  - submit_phone:
  - advance: 5s
  - enter_code:
"""
FAILING = PASSING.replace("id: ok", "id: bad").replace("tags: [sms]", "tags: [replay]") + (
    "  - enter_code: {expect: accepted}\n"
)


def files(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "ok.scenario.yaml").write_text(PASSING, encoding="utf-8")
    (tmp_path / "lib" / "bad.scenario.yaml").write_text(FAILING, encoding="utf-8")
    return tmp_path / "lib"


def test_run_exits_1_on_a_failure_and_writes_results(run: Run, tmp_path: Path) -> None:
    lib = files(tmp_path)
    result = run("run", str(lib), "--report-dir", str(tmp_path / "out"))
    assert result.code == 1
    assert "PASSED  ok" in result.out and "FAILED  bad" in result.out
    assert f"{lib / 'bad.scenario.yaml'}:11: enter_code: expected accepted" in result.out
    assert "2 scenarios: 1 passed, 1 failed, 0 errors" in result.out
    data = json.loads((tmp_path / "out" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert data["summary"]["failed"] == 1


def test_run_exits_0_when_everything_passes_and_filters_by_tag_and_k(
    run: Run, tmp_path: Path
) -> None:
    lib = files(tmp_path)
    assert run("run", str(lib), "--tag", "sms", "--report-dir", str(tmp_path / "o")).code == 0
    assert run("run", str(lib), "-k", "ok", "--report-dir", str(tmp_path / "o")).code == 0
    nothing = run("run", str(lib), "-k", "nothing-like-this", "--report-dir", str(tmp_path))
    assert nothing.code == 2 and "no scenario matches" in nothing.err


def test_run_json_prints_results_on_stdout_only(run: Run, tmp_path: Path) -> None:
    lib = files(tmp_path)
    result = run("run", str(lib), "--json", "--report-dir", str(tmp_path / "out"))
    data = json.loads(result.out)
    assert data["schema_version"] == 2
    assert [s["verdict"] for s in data["scenarios"]] == ["failed", "passed"]
    assert "2 scenarios" in result.err


def test_jobs_give_the_same_results(run: Run, tmp_path: Path) -> None:
    lib = files(tmp_path)
    one = run("run", str(lib), "--json", "--seed", "4", "--report-dir", str(tmp_path / "a"))
    two = run(
        "run", str(lib), "--json", "--seed", "4", "--jobs", "2", "--report-dir", str(tmp_path / "b")
    )
    first, second = json.loads(one.out), json.loads(two.out)
    # the reproducing command names its own options; everything the run found is the same
    assert first["reproducibility"]["command"] != second["reproducibility"]["command"]
    for data in (first, second):
        del data["reproducibility"]["command"]
    assert first == second


def test_a_bad_target_is_bad_input(run: Run, tmp_path: Path) -> None:
    lib = files(tmp_path)
    for target, words in (("nope", "unknown target"), ("no_such_module:X", "cannot import")):
        result = run("run", str(lib), "--target", target, "--report-dir", str(tmp_path))
        assert result.code == 2 and words in result.err
    assert not (tmp_path / "results.json").exists()


def test_a_target_given_as_module_class_runs(run: Run, tmp_path: Path) -> None:
    lib = files(tmp_path)
    target = "twofa_sim.scenario.targets.naive:NaiveTarget"
    result = run("run", str(lib), "--target", target, "--report-dir", str(tmp_path / "o"))
    assert result.code == 0  # the naive target accepts the replay the bad scenario expects


def test_schema_is_the_shipped_file_and_accepts_every_step_example(run: Run) -> None:
    printed = json.loads(run("schema").out)
    shipped = Path(__file__).parents[2] / "twofa_sim" / "data" / "scenario.schema.json"
    assert printed == json.loads(shipped.read_text(encoding="utf-8")) == document_schema()
    validator = jsonschema.Draft202012Validator(printed)
    for spec in REGISTRY.values():
        steps = load_documents(spec.example, "example")[0].data  # timestamps stay text
        document = {"id": "x", "title": "x", "steps": steps}
        assert list(validator.iter_errors(document)) == [], spec.name


def test_every_step_is_listed_with_an_example_the_loader_accepts(run: Run, tmp_path: Path) -> None:
    listed = run("steps").out
    given = (
        "given:\n  users: [alice, bob]\n  phones:\n"
        "    - {number: '+12015550110', apps: [google-authenticator]}\n"
        "    - {number: '+12015550120'}\n"
    )
    captures = (
        "  - read_code: {user: alice, from: sms, capture: code}\n"
        "  - read_code: {user: alice, from: sms, capture: old}\n"
    )
    for name, spec in REGISTRY.items():
        assert f"\n{name}  (" in "\n" + listed, name
        path = tmp_path / f"{name}.scenario.yaml"
        example = "\n".join("  " + line for line in spec.example.splitlines())
        path.write_text(f"id: x\ntitle: x\n{given}steps:\n{captures}{example}\n", encoding="utf-8")
        assert load_scenarios(path), name
    assert run("steps", "advnce").code == 2


def test_steps_describes_each_field_by_its_own_schema(run: Run) -> None:
    """Rule: a field that takes a number or {policy.NAME} is described as such, not as an
    expectation (repeat's times once read "accepted | rejected | a reason")."""
    listed = run("steps", "repeat").out
    assert "times: integer or string: how many rounds: a number, or {policy.NAME}" in listed
    assert "accepted | rejected" not in listed
    assert "expect: accepted | rejected | a reason" in run("steps", "submit_code").out


def test_requirements_lists_the_catalog(run: Run) -> None:
    out = run("requirements").out
    assert "NIST-63B-5.2.2" in out and "RFC6238-5.2-ONCE" in out
    only = run("requirements", "--source", "RFC6238").out
    assert "RFC6238-5.2" in only and "ASVS5-" not in only
    data = json.loads(run("requirements", "--json").out)
    assert any(r["id"] == "ASVS5-6.6.4" for r in data["requirements"])

"""The reproducibility block (twofa_sim.report.provenance): the same run gives the same bytes
wherever its files go and wherever it was started from, and records no machine path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from twofa_sim.report.provenance import reproducibility, run_command, scenario_root

CHECKOUT = Path(__file__).parents[2]
PHONE = CHECKOUT / "scenarios" / "phone" / "verify-by-sms.scenario.yaml"


def _results(run: Run, reports: Path, *args: str) -> bytes:
    result = run("run", *args, "--report-dir", str(reports))
    assert result.code == 0, result.err
    return (reports / "latest" / "results.json").read_bytes()


def test_the_report_dir_does_not_change_results_json(run: Run, tmp_path: Path) -> None:
    """Issue 16 item 20: the same seed gives a byte-identical results.json whatever
    --report-dir (or --report-dir=) says: where results go is not part of what ran."""
    first = _results(run, tmp_path / "a", str(PHONE), "--seed", "5")
    second = _results(run, tmp_path / "elsewhere" / "b", str(PHONE), "--seed", "5")
    assert first == second
    third = _results(run, tmp_path / "c", str(PHONE), f"--report-dir={tmp_path / 'd'}")
    command = json.loads(third)["reproducibility"]["command"]
    assert "report-dir" not in command and str(tmp_path) not in command


def test_the_command_names_scenarios_from_the_checkout_root(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 item 20: started from another folder with an absolute path, the recorded
    command names the scenario file relative to the top of its git checkout (no machine path),
    the same command as one started in the checkout with a relative path."""
    monkeypatch.chdir(tmp_path)
    outside = json.loads(_results(run, tmp_path / "a", str(PHONE)))["reproducibility"]
    monkeypatch.chdir(CHECKOUT / "scenarios")
    inside = json.loads(_results(run, tmp_path / "b", "phone/verify-by-sms.scenario.yaml"))
    assert outside["command"] == (
        "twofa-sim run scenarios/phone/verify-by-sms.scenario.yaml --seed 0"
    )
    assert inside["reproducibility"] == outside
    assert str(CHECKOUT) not in json.dumps(outside)


def test_outside_git_paths_are_relative_to_the_scenarios_folder(tmp_path: Path) -> None:
    """Scenario files outside any git checkout: the root is the folder holding them, so the
    command names them by the path below it, and the git block is empty."""
    library = tmp_path / "team" / "library"
    (library / "sms").mkdir(parents=True)
    (library / "totp").mkdir()
    paths = [library / "sms", library / "totp"]
    assert scenario_root(paths) == library.resolve()
    block = reproducibility(
        seed=3, target="reference", paths=paths, argv=[*map(str, paths), "--json"]
    )
    assert block["command"] == "twofa-sim run sms totp --seed 3"
    assert block["git"] is None


def test_the_command_keeps_every_option_that_changes_the_run() -> None:
    """Options that choose what runs (target, -k, --tag, --seed, --jobs) stay as typed;
    --report-dir and --json go; --seed is added when the run used the default."""
    argv = ["--target", "pyotp-naive", "-k", "sms or totp", "--tag", "replay", "--json"]
    command = run_command([*argv, "--jobs", "2", "--report-dir", "out"], [], 0)
    assert command == [
        "twofa-sim",
        "run",
        "--target",
        "pyotp-naive",
        "-k",
        "sms or totp",
        "--tag",
        "replay",
        "--jobs",
        "2",
        "--seed",
        "0",
    ]

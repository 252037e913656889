"""The bundled library under both provider set-ups of the reference: Twilio Messages + Authy,
and Twilio Verify (``twofa-sim run --provider verify``, ``pytest --twofa-provider verify``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twofa_sim.cli import main
from twofa_sim.cli.run import library_path
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all
from twofa_sim.scenario.runner import PROVIDER_SKIPS, provider_skip, with_provider


@pytest.mark.parametrize("provider", ["messages", "verify"])
def test_the_library_passes_under_each_provider(provider: str) -> None:
    """Every scenario that is not specific to the other provider passes against the reference
    under this one; under verify only scenarios tagged authy, messages-only or drift are left
    out."""
    scenarios = load_paths([library_path()])
    runnable = [with_provider(s, provider) for s in scenarios if provider_skip(s, provider) is None]
    skipped = {s.id for s in scenarios} - {s.id for s in runnable}
    if provider == "messages":
        assert skipped == set()
    else:
        tagged = {s.id for s in scenarios if set(PROVIDER_SKIPS["verify"]) & set(s.tags)}
        own = {s.id for s in scenarios if "provider" in s.given}
        assert skipped == tagged - own
        assert len(runnable) >= 50  # most of the library runs under Verify too
    result = run_all(runnable, target="reference", seed=0, jobs=1)
    failed = [(r.scenario.id, r.detail) for r in result.results if r.verdict != "passed"]
    assert failed == []


def test_run_with_provider_verify_lists_what_it_skipped_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """twofa-sim run --provider verify: the skipped scenarios are printed with their reason
    and kept in results.json's provider block."""
    out = tmp_path / "out"
    scenario = library_path() / "authy" / "push-verify.scenario.yaml"
    sms = library_path() / "phone" / "verify-by-sms.scenario.yaml"
    code = main(["run", str(scenario), str(sms), "--provider", "verify", "--report-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "skipped 1 scenarios under --provider verify" in err
    assert "authy-push-verify (authy: needs Authy" in err
    data = json.loads((out / "latest" / "results.json").read_text(encoding="utf-8"))
    assert data["provider"]["name"] == "verify"
    assert [s["id"] for s in data["provider"]["skipped"]] == ["authy-push-verify"]
    assert [s["id"] for s in data["scenarios"]] == ["phone-verify-by-sms"]


def test_run_where_everything_is_skipped_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Choosing only scenarios the provider skips runs nothing: exit 2 with a message."""
    scenario = library_path() / "authy" / "push-verify.scenario.yaml"
    code = main(["run", str(scenario), "--provider", "verify", "--report-dir", str(tmp_path / "o")])
    assert code == 2
    assert "every scenario chosen is skipped under --provider verify" in capsys.readouterr().err


def test_a_failure_under_verify_replays_with_provider_verify() -> None:
    """The replay command of a scenario that failed under Verify names --provider verify, so
    pasting it runs the same world."""
    from twofa_sim.pytest_plugin import failure_text
    from twofa_sim.scenario.runner import run_scenario

    (scenario,) = [s for s in load_paths([library_path()]) if s.id == "phone-verify-by-sms"]
    result = run_scenario(with_provider(scenario, "verify"), seed=0)
    text = failure_text(result, 0)
    assert text.rstrip().endswith("--provider verify")

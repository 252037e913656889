"""Comparing two runs (twofa_sim.report.diff): what changed, and what a run that did not
finish can and cannot say (issue 16 item 19)."""

from __future__ import annotations

from typing import Any

from twofa_sim.report.diff import diff_results


def _results(verdicts: dict[str, str], *, complete: bool = True) -> dict[str, Any]:
    """Results whose scenario ``x`` covers requirement ``R-x``."""
    return {
        "run": {"complete": complete},
        "scenarios": [{"id": i, "verdict": v} for i, v in verdicts.items()],
        "requirements": [
            {"id": f"R-{i}", "scenarios": [i], "verdict": v} for i, v in verdicts.items()
        ],
    }


def test_a_complete_comparison_names_every_change() -> None:
    """New failures, fixes, added and removed scenarios, coverage gained and lost."""
    old = _results({"a": "passed", "b": "failed", "c": "passed"})
    new = _results({"a": "failed", "b": "passed", "d": "passed"})
    found = diff_results(old, new)
    assert (found.new_failures, found.fixed, found.added, found.removed) == (
        ["a"],
        ["b"],
        ["d"],
        ["c"],
    )
    assert (found.coverage_gained, found.coverage_lost) == (["R-d"], ["R-c"])
    assert found.regressed and found.failed
    assert found.as_dict()["complete"] == {"old": True, "new": True}
    assert found.text().endswith("REGRESSED")


def test_scenarios_an_incomplete_new_run_never_reached_are_not_run() -> None:
    """NEW stopped after `a`: `b` and `c` are not run (not removed), the requirements only they
    cover are not "coverage lost", nothing regressed, but the comparison fails: an incomplete
    run proves nothing."""
    old = _results({"a": "passed", "b": "passed", "c": "failed"})
    new = _results({"a": "passed"}, complete=False)
    found = diff_results(old, new)
    assert (found.not_run, found.removed, found.coverage_lost) == (["b", "c"], [], [])
    assert not found.regressed and found.failed
    text = found.text()
    assert text.startswith("NEW is INCOMPLETE")
    assert "not run in NEW (2):\n  b\n  c" in text
    assert text.endswith("INCOMPLETE: NEW did not finish; re-run it for a verdict")


def test_an_incomplete_old_run_is_named_but_does_not_fail_the_comparison() -> None:
    """OLD did not finish: the diff says so; NEW is judged on what it shows."""
    old = _results({"a": "passed"}, complete=False)
    new = _results({"a": "passed", "b": "passed"})
    found = diff_results(old, new)
    assert found.added == ["b"] and not found.failed
    assert found.text().startswith("OLD is INCOMPLETE")
    assert found.as_dict()["complete"] == {"old": False, "new": True}


def test_a_shard_is_named_and_its_missing_share_is_not_run() -> None:
    """A shard of a run (run --shard K/N) finished but holds only its share: the diff says so
    first, the other shards' scenarios are not run (not removed, no coverage lost), and a
    shard as NEW fails the comparison until the shards are merged."""
    old = _results({"a": "passed", "b": "passed", "c": "passed"})
    new = {**_results({"b": "passed"}), "shard": {"index": 2, "count": 3, "selection": []}}
    found = diff_results(old, new)
    assert (found.removed, found.not_run, found.coverage_lost) == ([], ["a", "c"], [])
    assert found.failed and not found.regressed
    assert found.as_dict()["shard"] == {"old": None, "new": "2/3"}
    text = found.text()
    assert text.startswith("NEW is INCOMPLETE: shard 2/3 of a run")
    assert "did not finish" not in text and text.endswith("merge the shards for a verdict")
    back = diff_results(new, old)
    assert back.old_shard == "2/3" and not back.failed
    assert back.text().startswith("OLD is INCOMPLETE: shard 2/3")

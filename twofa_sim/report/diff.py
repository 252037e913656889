"""What changed between two runs: new failures, fixes, scenarios added or gone, coverage.

Either side may be a run that did not finish (killed, or stopped during its final writes),
or one shard of a run (``run --shard K/N``, which ran only its share): the diff says so.
Scenarios an incomplete NEW run never reached (or that NEW's shard did not hold) are *not run*,
not removed, and a requirement only they covered is not counted as coverage lost; but an
incomplete NEW run proves nothing about them, so the comparison fails
(:attr:`RunDiff.failed`) until it is re-run (or its shards are merged).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunDiff", "diff_results"]


@dataclass
class RunDiff:
    new_failures: list[str] = field(default_factory=list)
    """Scenarios that passed (or did not exist) before and do not pass now."""
    fixed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    coverage_gained: list[str] = field(default_factory=list)
    coverage_lost: list[str] = field(default_factory=list)
    """Requirements covered before and uncovered now."""
    not_run: list[str] = field(default_factory=list)
    """Scenarios of OLD that an incomplete NEW run did not reach."""
    old_complete: bool = True
    new_complete: bool = True
    old_shard: str | None = None
    """``K/N`` when OLD is one shard of a run (and so not complete)."""
    new_shard: str | None = None

    @property
    def regressed(self) -> bool:
        """A new failure, or a requirement no longer covered."""
        return bool(self.new_failures or self.coverage_lost)

    @property
    def failed(self) -> bool:
        """What a CI gate should fail on: a regression, or a NEW run that did not finish."""
        return self.regressed or not self.new_complete

    def _incomplete_lines(self) -> list[str]:
        lines = []
        for side, shard in (("OLD", self.old_shard), ("NEW", self.new_shard)):
            if shard is not None:
                lines.append(
                    f"{side} is INCOMPLETE: shard {shard} of a run, only its share of the "
                    "scenarios ran (twofa-sim report merge joins the shards)"
                )
        if not self.old_complete and self.old_shard is None:
            lines.append(
                "OLD is INCOMPLETE: that run did not finish, so scenarios it never reached "
                "show as added"
            )
        if not self.new_complete and self.new_shard is None:
            lines.append(
                "NEW is INCOMPLETE: that run did not finish; the scenarios it never reached "
                "are listed as not run"
            )
        return lines

    def text(self) -> str:
        lines = self._incomplete_lines()
        changes = 0
        for title, items in (
            ("new failures", self.new_failures),
            ("fixed", self.fixed),
            ("scenarios added", self.added),
            ("scenarios removed", self.removed),
            ("not run in NEW", self.not_run),
            ("coverage gained", self.coverage_gained),
            ("coverage lost", self.coverage_lost),
        ):
            if items:
                changes += 1
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items)
        if not changes:
            lines.append("no change in verdicts or coverage")
        if self.regressed:
            lines.append("REGRESSED" + ("" if self.new_complete else " (and NEW is incomplete)"))
        elif not self.new_complete:
            lines.append(
                "INCOMPLETE: NEW is one shard; merge the shards for a verdict"
                if self.new_shard
                else "INCOMPLETE: NEW did not finish; re-run it for a verdict"
            )
        else:
            lines.append("no regression")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_failures": self.new_failures,
            "fixed": self.fixed,
            "added": self.added,
            "removed": self.removed,
            "not_run": self.not_run,
            "coverage_gained": self.coverage_gained,
            "coverage_lost": self.coverage_lost,
            "complete": {"old": self.old_complete, "new": self.new_complete},
            "shard": {"old": self.old_shard, "new": self.new_shard},
            "regressed": self.regressed,
        }


_BAD = ("failed", "error")
"""Verdicts that count as failing (unsupported and not applicable are findings, not failures)."""


def _shard(results: Mapping[str, Any]) -> str | None:
    shard = results.get("shard")
    if not isinstance(shard, Mapping):
        return None
    return f"{shard.get('index')}/{shard.get('count')}"


def _complete(results: Mapping[str, Any]) -> bool:
    """Finished, and the whole run (not one shard of it)."""
    run = results.get("run")
    finished = not (isinstance(run, Mapping) and run.get("complete") is False)
    return finished and _shard(results) is None


def diff_results(old: Mapping[str, Any], new: Mapping[str, Any]) -> RunDiff:
    """Compare two results (as :func:`~twofa_sim.report.rundir.load_results` gives them)."""
    before = {s["id"]: s["verdict"] for s in old.get("scenarios", [])}
    after = {s["id"]: s["verdict"] for s in new.get("scenarios", [])}
    new_complete = _complete(new)
    gone = sorted(set(before) - set(after))
    not_run = [] if new_complete else gone
    rows_before = {r["id"]: r for r in old.get("requirements", []) if r.get("scenarios")}
    covered_after = {r["id"] for r in new.get("requirements", []) if r.get("scenarios")}
    lost = [
        rid
        for rid, row in rows_before.items()
        if rid not in covered_after and not set(row["scenarios"]) & set(not_run)
    ]
    return RunDiff(
        new_failures=sorted(
            i for i, v in after.items() if v in _BAD and before.get(i, "passed") not in _BAD
        ),
        fixed=sorted(i for i, v in after.items() if v not in _BAD and before.get(i) in _BAD),
        added=sorted(set(after) - set(before)),
        removed=gone if new_complete else [],
        coverage_gained=sorted(covered_after - set(rows_before)),
        coverage_lost=sorted(lost),
        not_run=not_run,
        old_complete=_complete(old),
        new_complete=new_complete,
        old_shard=_shard(old),
        new_shard=_shard(new),
    )

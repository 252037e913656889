"""What changed between two runs: new failures, fixes, scenarios added or gone, coverage."""

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

    @property
    def regressed(self) -> bool:
        return bool(self.new_failures or self.coverage_lost)

    def text(self) -> str:
        lines = []
        for title, items in (
            ("new failures", self.new_failures),
            ("fixed", self.fixed),
            ("scenarios added", self.added),
            ("scenarios removed", self.removed),
            ("coverage gained", self.coverage_gained),
            ("coverage lost", self.coverage_lost),
        ):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items)
        if not lines:
            lines.append("no change in verdicts or coverage")
        lines.append("REGRESSED" if self.regressed else "no regression")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_failures": self.new_failures,
            "fixed": self.fixed,
            "added": self.added,
            "removed": self.removed,
            "coverage_gained": self.coverage_gained,
            "coverage_lost": self.coverage_lost,
            "regressed": self.regressed,
        }


def diff_results(old: Mapping[str, Any], new: Mapping[str, Any]) -> RunDiff:
    before = {s["id"]: s["verdict"] for s in old.get("scenarios", [])}
    after = {s["id"]: s["verdict"] for s in new.get("scenarios", [])}
    covered_before = {r["id"] for r in old.get("requirements", []) if r.get("scenarios")}
    covered_after = {r["id"] for r in new.get("requirements", []) if r.get("scenarios")}
    return RunDiff(
        new_failures=sorted(
            i for i, v in after.items() if v != "passed" and before.get(i, "passed") == "passed"
        ),
        fixed=sorted(
            i for i, v in after.items() if v == "passed" and before.get(i) not in (None, "passed")
        ),
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        coverage_gained=sorted(covered_after - covered_before),
        coverage_lost=sorted(covered_before - covered_after),
    )

"""Running the mutation review: probes, and the bundled library against one mutant.

``python -m tests.mutation.review`` prints, for every mutant, whether its probe differs from the
reference and which library scenario killed it (the table of /work/notes/mutation-review.md).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.mutation.mutants import CONTROLS, MUTANTS, Mutant
from twofa_sim.scenario.loader import Scenario, load_paths, load_scenarios
from twofa_sim.scenario.runner import ScenarioResult, run_scenario

__all__ = ["LIBRARY", "first_killer", "library", "ordered", "passes_on_reference", "probe_results"]

LIBRARY = Path(__file__).parents[2] / "scenarios"


def library() -> list[Scenario]:
    """The bundled library, cheap scenarios first and properties (under hypothesis) last."""
    scenarios = load_paths([LIBRARY])
    return sorted(scenarios, key=lambda s: bool(s.for_all))


def ordered(scenarios: Sequence[Scenario], mutant: Mutant) -> list[Scenario]:
    """The mutant's likely killers first (in its order), then the rest."""
    rank = {name: i for i, name in enumerate(mutant.killers)}
    first = sorted((s for s in scenarios if s.id in rank), key=lambda s: rank[s.id])
    return first + [s for s in scenarios if s.id not in rank]


_REFERENCE: dict[str, str] = {}
"""Scenario id -> its verdict against the reference (run once per process, when needed)."""


def passes_on_reference(scenario: Scenario) -> bool:
    """Whether the scenario passes against the unmutated reference: only such a scenario's
    failure kills a mutant (a scenario broken for everyone proves nothing)."""
    if scenario.id not in _REFERENCE:
        _REFERENCE[scenario.id] = run_scenario(scenario, target="reference", seed=0).verdict
    return _REFERENCE[scenario.id] == "passed"


def first_killer(scenarios: Sequence[Scenario], mutant: Mutant) -> tuple[str | None, int]:
    """The first scenario that passes against the reference and not against the mutant (None:
    the mutant survived), and how many scenarios ran against the mutant."""
    target = mutant.target()
    ran = 0
    for scenario in ordered(scenarios, mutant):
        ran += 1
        # Only a failed check kills: an error (the mutant could not even run the scenario)
        # says nothing about the rule.
        verdict = run_scenario(scenario, target=target, seed=0).verdict
        if verdict == "failed" and passes_on_reference(scenario):
            return scenario.id, ran
    return None, ran


def probe_results(mutant: Mutant, workdir: Path) -> tuple[ScenarioResult, ScenarioResult]:
    """The probe's result against the reference, then against the mutant."""
    path = workdir / f"{mutant.name}.scenario.yaml"
    path.write_text(mutant.probe, encoding="utf-8")
    (scenario,) = load_scenarios(path)
    reference = run_scenario(scenario, target="reference", seed=0)
    return reference, run_scenario(scenario, target=mutant.target(), seed=0)


def _main(names: Sequence[str]) -> int:
    scenarios = library()
    with tempfile.TemporaryDirectory() as tmp:
        for mutant in [*MUTANTS, *CONTROLS]:
            if names and mutant.name not in names:
                continue
            probe = "-"
            if mutant.probe:
                ref, mut = probe_results(mutant, Path(tmp))
                probe = f"ref={ref.verdict}:{ref.detail[:60]} mutant={mut.verdict}"
            killer, ran = first_killer(scenarios, mutant)
            print(f"{mutant.name:32} {killer or 'SURVIVED':44} ran={ran:3} {probe}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

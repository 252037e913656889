"""The mutation review of the bundled scenario library (issue 11, section 5), kept as a test.

Each mutant is the reference service with one security rule broken the way developers break
it, built only through the documented extension point (:class:`~twofa_sim.reference.ServiceParts`,
public subclasses of public parts, public constructor arguments: see ``tests/mutation/parts.py``).
A mutant counts only if its probe shows it behaves differently from the reference (so a rename
cannot turn one into a silent no-op); the library must then kill it: some bundled scenario that
passes against the reference fails against the mutant. Controls (equivalent by design) must
survive. The list of mutants, what killed each, and why the controls are controls:
``/work/notes/mutation-review.md`` (``python -m tests.mutation.review`` prints the table).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutation.mutants import CONTROLS, MUTANTS, Mutant
from tests.mutation.review import first_killer, library, probe_results
from twofa_sim.reference import RULES
from twofa_sim.scenario.loader import Scenario


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return library()


def _name(mutant: Mutant) -> str:
    return mutant.name


@pytest.mark.parametrize("mutant", MUTANTS, ids=_name)
def test_each_mutant_changes_behaviour(mutant: Mutant, tmp_path: Path) -> None:
    """The mutant's rule (``mutant.rule``) is really broken: its probe passes against the
    reference and not against the mutant, so the mutant is not a no-op and counts."""
    reference, broken = probe_results(mutant, tmp_path)
    assert reference.verdict == "passed", (
        f"the probe of {mutant.name} fails on the reference: {reference.detail}"
    )
    assert broken.verdict != "passed", (
        f"{mutant.name} behaves like the reference on its probe: a no-op mutant"
    )


@pytest.mark.parametrize("mutant", MUTANTS, ids=_name)
def test_the_library_kills_each_mutant(mutant: Mutant, scenarios: list[Scenario]) -> None:
    """Every rule the reference enforces is checked by the library: for each mutant, some
    bundled scenario that passes against the reference fails against it."""
    killer, ran = first_killer(scenarios, mutant)
    assert killer is not None, (
        f"SURVIVED: {mutant.name} (rule {mutant.rule}: {mutant.what}) passed all {ran} "
        "scenarios of the library"
    )


@pytest.mark.parametrize("control", CONTROLS, ids=_name)
def test_controls_survive(control: Mutant, scenarios: list[Scenario]) -> None:
    """A control changes nothing a scenario can observe (its reason says why): the whole
    library passes against it; a control that fails one is no control."""
    killer, _ran = first_killer(scenarios, control)
    assert killer is None, f"control {control.name} was killed by {killer}: {control.control}"


def test_the_review_has_at_least_40_mutants_each_naming_a_rule() -> None:
    """The review's size (issue 11: at least 40 behavioural mutants besides the controls), each
    mutant named once, breaking a rule of RULES, with a probe; each control has a reason."""
    names = [m.name for m in [*MUTANTS, *CONTROLS]]
    assert len(names) == len(set(names))
    assert len(MUTANTS) >= 40
    assert all(m.rule in RULES and m.probe and not m.control for m in MUTANTS)
    assert all(c.control and c.rule in RULES for c in CONTROLS)

"""``expect: {result: accepted, or_refused: [throttled, locked]}``: a target that throttles
(NIST 800-63B 5.2.2 allows it instead of a lockout) may hold a send back without failing a
scenario that counts failures, and nothing else is excused."""

from __future__ import annotations

import pytest

from twofa_sim.errors import StepFailed
from twofa_sim.scenario.context import Result
from twofa_sim.scenario.steps.expect import check_expect

ALLOW = {"result": "accepted", "or_refused": ["throttled", "locked"]}


def test_accepted_passes_and_a_listed_refusal_is_excused() -> None:
    """Rule: the expected result passes; a refusal for a listed reason is excused."""
    assert check_expect(ALLOW, Result(True, "accepted")) == ""
    assert check_expect(ALLOW, Result(False, "throttled")) == ""
    assert check_expect(ALLOW, Result(False, "locked")) == ""


def test_a_refusal_for_another_reason_still_fails() -> None:
    """Rule: only the listed reasons are excused: a send refused as wrong_code (or a provider
    outage) is still a failure of the step."""
    with pytest.raises(StepFailed):
        check_expect(ALLOW, Result(False, "wrong_code"))
    with pytest.raises(StepFailed):
        check_expect(ALLOW, Result(False, "provider_unavailable"))


def test_a_target_without_reasons_is_taken_at_its_refusal_and_the_step_says_so() -> None:
    """Rule: for a target that reports no reasons, a refusal is excused, and the answer notes
    that the reason was not checked (shown in the step's evidence)."""
    note = check_expect(ALLOW, Result(False, "wrong_code"), reasons=False)
    assert note and "not checked" in note

"""``reports_reasons`` as a set: a target that tells some refusals apart (django-otp says
"throttled" and lumps the rest as "invalid token") has those reasons checked, and the others
checked as refusals; a refusal that names one of its reasons for another is a failure."""

from __future__ import annotations

import pytest

from twofa_sim.errors import StepFailed
from twofa_sim.scenario.context import Result
from twofa_sim.scenario.steps.expect import check_expect

SAYS = frozenset({"throttled", "locked"})
"""A target that names throttles and locks, and answers wrong_code for everything else."""


def test_a_reason_the_target_names_is_compared() -> None:
    """Rule: an expected throttle is checked: the catch-all refusal does not pass for it."""
    assert check_expect("throttled", Result(False, "throttled"), reasons=SAYS) == ""
    with pytest.raises(StepFailed, match="expected throttled, got"):
        check_expect("throttled", Result(False, "wrong_code"), reasons=SAYS)
    with pytest.raises(StepFailed, match="expected reason locked or throttled"):
        check_expect({"reason": ["locked", "throttled"]}, Result(False, "wrong_code"), reasons=SAYS)


def test_a_reason_it_cannot_name_is_checked_as_a_refusal_and_says_so() -> None:
    """Rule: an expected replay is any refusal that names none of the target's reasons, and
    the step's evidence says the reason was not checked (naming what the target reports)."""
    note = check_expect("replayed", Result(False, "wrong_code"), reasons=SAYS)
    assert "reason replayed not checked: the target reports only locked, throttled" in note
    with pytest.raises(StepFailed, match="expected rejected, got accepted"):
        check_expect("replayed", Result(True, "accepted"), reasons=SAYS)


def test_naming_one_of_its_reasons_for_another_fails() -> None:
    """Rule: a target that says "throttled" where a replay was expected said why, and it was
    not a replay detected: the step fails (a yes-or-no target would pass it)."""
    with pytest.raises(StepFailed, match="expected replayed, got"):
        check_expect("replayed", Result(False, "throttled"), reasons=SAYS)
    assert check_expect("replayed", Result(False, "throttled"), reasons=False)


def test_or_refused_follows_the_same_rule() -> None:
    """Rule: a refusal is excused when it names a listed reason, or names none the target
    reports while some listed reason is one it cannot name."""
    allow = {"result": "accepted", "or_refused": ["throttled", "cooldown"]}
    assert check_expect(allow, Result(False, "throttled"), reasons=SAYS) == ""
    assert "not checked" in check_expect(allow, Result(False, "wrong_code"), reasons=SAYS)
    with pytest.raises(StepFailed):
        check_expect(allow, Result(False, "locked"), reasons=SAYS)
    strict = {"result": "accepted", "or_refused": ["throttled"]}
    with pytest.raises(StepFailed):
        check_expect(strict, Result(False, "wrong_code"), reasons=SAYS)


def test_every_reason_and_no_reason_keep_their_meaning() -> None:
    """Rule: True compares every reason; False checks every expected reason as a refusal."""
    with pytest.raises(StepFailed):
        check_expect("replayed", Result(False, "wrong_code"), reasons=True)
    assert "not checked" in check_expect("replayed", Result(False, "wrong_code"), reasons=False)

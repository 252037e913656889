"""The rules themselves: every rule of the policy is proved by a test here, and the policy
refuses values the standards forbid."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.reference.harness import policy
from twofa_sim.errors import InputError
from twofa_sim.reference import RULES, SecurityPolicy

HERE = Path(__file__).parent


def _docstrings() -> dict[str, str]:
    """Every test function here and the first line of its docstring."""
    found = {}
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[f"{path.name}::{node.name}"] = ast.get_docstring(node) or ""
    return found


def test_every_rule_is_named_by_a_test() -> None:
    """Every rule id of RULES is named in the docstring of at least one test (its proof)."""
    docs = " ".join(_docstrings().values())
    missing = [rule for rule in RULES if rule not in docs]
    assert missing == []


def test_every_test_says_what_it_proves() -> None:
    """Each test of the reference service has a docstring."""
    assert [name for name, doc in _docstrings().items() if not doc.strip()] == []


def test_every_rule_names_its_requirement() -> None:
    """Each rule says which requirement it serves and what the service does."""
    for rule, (requirement, what) in RULES.items():
        assert requirement and what, rule
        assert any(source in requirement for source in ("RFC", "ASVS", "NIST", "peer")), rule


def test_the_defaults_follow_the_standards() -> None:
    """oob-ttl, oob-entropy, throttle, totp-window, totp-replay: the default policy is within
    the standards (10 min, 6 digits, <= 100 failures, one step each way, replay protection)."""
    default = SecurityPolicy()
    assert default.sms_code_ttl <= 600
    assert default.sms_code_digits >= 6
    assert 1 <= default.max_consecutive_failures <= 100
    assert (default.totp.steps_back, default.totp.steps_forward) == (1, 1)
    assert default.totp.replay_protection
    assert default.confirm_totp and default.number_matching
    assert default.push_limit >= 1 and default.push_window > 0


@pytest.mark.parametrize(
    "changes",
    [
        {"sms_code_digits": 5},
        {"sms_code_digits": 11},
        {"sms_code_ttl": 0},
        {"sms_code_ttl": 600.5},
        {"max_consecutive_failures": 101},
        {"sms_code_attempts": 0},
        {"push_limit": 0},
        {"recovery_codes": 0},
        {"recovery_code_length": 7},
        {"lockout_duration": -1},
    ],
)
def test_the_policy_refuses_what_the_standards_forbid(changes: dict[str, float]) -> None:
    """oob-entropy, oob-ttl, throttle, push-rate-limit, recovery-hashed: out-of-bounds values
    are InputErrors naming the field where they can."""
    with pytest.raises(InputError):
        policy(**changes)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("lockout_duration", float("nan"), "must be finite"),
        ("push_limit", True, "whole number"),
        ("sms_code_digits", 6.5, "whole number"),
        ("code_hash_iterations", 0, "at least 1"),
        ("push_ttl", 0, "more than 0"),
        ("login_ttl", 0.0, "more than 0"),
        ("recovery_code_length", 3, "at least 8"),
        ("confirm_totp", 1, "true or false"),
        ("resend_cooldown", "30s", "number of seconds"),
    ],
)
def test_a_policy_with_a_nonsense_value_is_refused_naming_the_field(
    field: str, value: object, words: str
) -> None:
    """A policy a scenario or a caller sets must hold numbers that mean something: NaN, a
    boolean for a count, zero hash rounds are refused with the field named."""
    with pytest.raises(InputError) as caught:
        SecurityPolicy(**{field: value})  # type: ignore[arg-type]
    assert caught.value.where == field
    assert words in caught.value.what

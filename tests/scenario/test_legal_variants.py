"""The library asked of services that make other legal choices than the reference: each is the
reference with one policy number fixed at another value a standard allows (and no setting for
it), declared as a real service would declare it. A failure here is the harness's doing unless
it is a real divergence; both kinds are pinned below, with the reason, so a new one shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twofa_sim.scenario.declared import POLICY_FIELDS
from twofa_sim.scenario.loader import Scenario, load_paths
from twofa_sim.scenario.runner import run_scenario
from twofa_sim.scenario.targets.reference import ReferenceTarget

LIBRARY = Path(__file__).parents[2] / "scenarios"

VERIFY_PACE = "a Verify scenario paced for the reference's numbers (not yet the target's)"
LOCK_ONLY = (
    "its back-off outgrows the guesses' 5-minute spacing before the limit: never locked, only "
    "throttled (NIST 800-63B 5.2.2 allows it), so the lock's own checks (its notice, two-factor "
    "kept on) do not apply; the scenario cannot yet wait out a back-off"
)

VARIANTS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "sms-ttl-60": (
        {"sms_code_ttl": 60.0},
        {"verify-check-limit": VERIFY_PACE, "verify-send-rate-limit": VERIFY_PACE},
    ),
    "no-resend-cooldown": (
        {"resend_cooldown": 0.0},
        {"phone-sms-pumping-limited": "real: no cooldown and no count, every ask is an SMS"},
    ),
    "failure-limit-100": (
        {"max_consecutive_failures": 100},
        {"lockout-brute-force-totp": LOCK_ONLY, "lockout-refuses-every-factor": LOCK_ONLY},
    ),
    "lock-5-minutes": ({"lockout_duration": 300.0}, {}),
    "login-ttl-5-minutes": ({"login_ttl": 300.0}, {}),
    "sms-8-digits": (
        {"sms_code_digits": 8},
        {"verify-push-challenge-expires": VERIFY_PACE},
    ),
    "push-ttl-60": ({"push_ttl": 60}, {}),
    "push-limit-5-an-hour": ({"push_limit": 5, "push_window": 3600.0}, {}),
    "backoff-factor-2": (
        {"backoff_factor": 2.0},
        {
            "lockout-brute-force-totp": LOCK_ONLY,
            "lockout-refuses-every-factor": LOCK_ONLY,
            "verify-check-limit": VERIFY_PACE,
        },
    ),
    "sms-code-attempts-3": ({"sms_code_attempts": 3}, {"verify-check-limit": VERIFY_PACE}),
    "totp-window-0": ({"totp": {"steps_back": 0, "steps_forward": 0}}, {}),
    "totp-window-2": (
        {"totp": {"steps_back": 2, "steps_forward": 2}},
        {"totp-code-too-late": "real: RFC 6238 5.2 recommends at most one step of delay"},
    ),
}


def fixed(label: str, values: dict[str, Any]) -> type[ReferenceTarget]:
    """The reference with ``values`` fixed: declared in its default policy, no setting for them."""
    varied = set(values)
    honoured = frozenset(
        name for name in POLICY_FIELDS if name not in varied and name.split(".")[0] not in varied
    ) | {"seed_compat"}

    def default_policy(cls: type) -> dict[str, Any]:
        declared = ReferenceTarget.default_policy()
        for key, value in values.items():
            declared[key] = {**declared[key], **value} if isinstance(value, dict) else value
        return declared

    def __init__(self: ReferenceTarget, context: Any) -> None:
        policy = dict(context.policy)
        for key, value in values.items():
            policy[key] = {**policy.get(key, {}), **value} if isinstance(value, dict) else value
        context.policy = policy
        ReferenceTarget.__init__(self, context)

    attrs = {
        "name": label,
        "profiles": frozenset[str](),
        "policy_settings": honoured,
        "default_policy": classmethod(default_policy),
        "__init__": __init__,
    }
    return type(label, (ReferenceTarget,), attrs)


@pytest.fixture(scope="module")
def library() -> list[Scenario]:
    return load_paths([LIBRARY])


@pytest.mark.parametrize("label", list(VARIANTS))
def test_a_service_with_another_legal_number_fails_only_what_it_really_breaks(
    label: str, library: list[Scenario]
) -> None:
    """Rule: a verdict is about the system: a service whose numbers differ from the reference's
    within the standards fails no scenario but the ones pinned here, each with its reason."""
    values, known = VARIANTS[label]
    target = fixed(label, values)
    results = [run_scenario(scenario, target=target) for scenario in library]
    failed = {r.scenario.id: r.detail for r in results if r.verdict in ("failed", "error")}
    assert set(failed) == set(known), failed
    assert sum(r.verdict == "passed" for r in results) >= 90

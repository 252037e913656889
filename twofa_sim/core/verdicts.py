"""What a verdict means, and which checks decide a requirement's.

Scenario and step verdicts:

``passed``          every check held
``failed``          the system answered other than the standard (or the scenario) requires
``error``           the scenario could not run (a harness or adapter problem, never a finding)
``unsupported``     the target lacks a feature a step needs (Authy, an audit log, recovery
                    codes, notifications...): a finding that stays visible, but not a wrong answer
``not_applicable``  a precondition the target cannot honour (a policy setting it has no knob
                    for, an insecure mode it refuses to offer): nothing was asked of it
``skipped``         (steps only) not run, because a step before it stopped the scenario

A requirement's verdict comes from the checks that prove it, not from whole scenarios. Each
step proves a set of the scenario's ``covers``:

* an *observation* step (``expect_audit``, ``expect_notification``, ``expect_stored``) proves
  only the covered requirements about what it observes (the audit log, telling the user, what
  is kept at rest);
* every other step proves the scenario's other covered requirements (the flow itself).

So a system that refuses a replayed code but keeps no audit log passes the replay requirement
and is ``unsupported`` on the logging requirement. Expectation steps are *soft*: a failed one is
recorded and the scenario goes on (its later checks do not depend on it); a failed action stops
the scenario, and the requirements its skipped checks would have proved take the scenario's
verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "FLOW_FEATURES",
    "OBSERVATIONS",
    "REFERENCE_ONLY",
    "REFERENCE_TAG",
    "REQUIREMENT_VERDICTS",
    "SCENARIO_VERDICTS",
    "STEP_VERDICTS",
    "combine",
    "flow_features",
    "proof_sets",
    "requirement_verdict",
]

SCENARIO_VERDICTS = ("passed", "failed", "error", "unsupported", "not_applicable")
STEP_VERDICTS = ("passed", "failed", "error", "unsupported", "skipped")
REQUIREMENT_VERDICTS = ("passed", "failed", "error", "unsupported", "not_applicable", "uncovered")

# The order in which verdicts win when several checks decide one requirement.
_PRECEDENCE = ("failed", "error", "unsupported", "passed", "not_applicable")

_AUDIT = frozenset({"ASVS5-16.3.1", "ASVS5-16.3.3", "ASVS4-2.8.5"})
_NOTIFY = frozenset(
    {
        "ASVS5-6.3.7",
        "ASVS4-2.2.3",
        "ASVS4-2.5.5",
        "ASVS4-2.8.5",
        "NIST-63B-6.1.2.1-NOTIFY",
        "RFC4226-7.2-LOCKOUT",
    }
)
_STORED = frozenset(
    {
        "ASVS5-6.5.2",
        "ASVS4-2.6.2",
        "ASVS4-2.7.5",
        "ASVS4-2.8.2",
        "NIST-63B-5.1.2-HASH",
        "NIST-63B-5.1.3.2-DEVICEKEY",
        "RFC4226-7.5",
        "RFC6238-5.1-STORE",
    }
)

OBSERVATIONS: Mapping[str, tuple[str, frozenset[str]]] = {
    "expect_audit": ("audit", _AUDIT),
    "expect_notification": ("notifications", _NOTIFY),
    "expect_stored": ("storage", _STORED),
}
"""Observation steps: the feature each needs and the requirements it can prove."""

_OBSERVED_ONLY = (_AUDIT | _NOTIFY | _STORED) - {"ASVS4-2.8.5", "RFC4226-7.2-LOCKOUT"}
"""Requirements only an observation can prove (the flow's steps do not prove them); the two
left out ask for the flow *and* its record (a replay rejected and logged, a lock and the user
told)."""

REFERENCE_TAG = "reference"
"""Scenarios with this tag check the reference's own choices (its one-hour lock, its attempts
per code...), not a cited standard: they run only on targets whose ``profiles`` include
``reference`` (``not_applicable`` elsewhere, with :data:`REFERENCE_ONLY`), and they are no
conformance evidence for their ``covers`` on any target."""
REFERENCE_ONLY = "reference-specific behaviour, not a requirement of the cited standard"

FLOW_FEATURES = ("authy", "recovery", "restart")
"""Features without which a scenario's flow cannot run at all (its steps act through them)."""


def _flat(steps: Iterable[Any]) -> Iterator[Any]:
    for step in steps:
        yield step
        yield from _flat(getattr(step, "substeps", ()))


def _step_features(name: str, args: Mapping[str, Any]) -> set[str]:
    needed: set[str] = set()
    if name in ("approve_push", "deny_push", "expect_push"):
        needed.add("authy")
    if args.get("channel") == "authy-push" or args.get("method") == "app":
        needed.add("authy")
    factor = args.get("factor")
    if factor in ("authy-app", "authy-push") or args.get("from") == "authy-app":
        needed.add("authy")
    if factor == "recovery" or name == "regenerate_recovery_codes":
        needed.add("recovery")
    if name == "restart":
        needed.add("restart")
    return needed


def flow_features(given: Mapping[str, Any], steps: Sequence[Any]) -> dict[str, list[int]]:
    """The flow features a scenario needs, each with the lines of the steps that need it
    (an Authy user's phone in ``given`` needs ``authy`` for the whole flow: line 0)."""
    found: dict[str, list[int]] = {}
    for phone in given.get("phones", []) or []:
        if isinstance(phone, Mapping) and phone.get("authy"):
            found.setdefault("authy", []).append(0)
            break
    for step in _flat(steps):
        for feature in sorted(_step_features(step.name, step.args)):
            found.setdefault(feature, []).append(step.line)
    return found


def proof_sets(
    names: Sequence[str],
    covers: Sequence[str],
    explicit: Sequence[Sequence[str] | None] | None = None,
) -> list[frozenset[str]]:
    """For each step (by name, in order), the covered requirements it proves: those its
    ``proves:`` names (``explicit``, one entry per step, None where it names none), else those
    its kind proves."""
    flow = frozenset(covers) - _OBSERVED_ONLY
    sets = []
    for index, name in enumerate(names):
        written = explicit[index] if explicit is not None else None
        if written is not None:
            sets.append(frozenset(covers) & frozenset(written))
            continue
        observed = OBSERVATIONS.get(name.strip())
        sets.append(frozenset(covers) & observed[1] if observed else flow)
    return sets


def combine(verdicts: Iterable[str]) -> str | None:
    """The verdict that wins among several (None for none)."""
    seen = set(verdicts)
    return next((v for v in _PRECEDENCE if v in seen), None)


def requirement_verdict(requirement: str, scenario: Mapping[str, Any]) -> str:
    """What one scenario (as results.json holds it) says of one requirement it covers. A
    scenario tagged ``reference`` says nothing (``not_applicable``): it checks the reference's
    own choices, which are no evidence of conformance."""
    verdict = scenario["verdict"]
    if REFERENCE_TAG in scenario.get("tags", ()):
        return "not_applicable"
    if verdict in ("not_applicable", "error") or not scenario.get("steps"):
        return str(verdict)
    steps = scenario["steps"]
    top = [s for s in steps if not str(s.get("action", "")).startswith("  ")]
    sets = proof_sets(
        [str(s.get("action", "")) for s in top],
        scenario.get("covers", []),
        [s.get("proves") for s in top],
    )
    decided = [
        step["verdict"]
        for step, proves in zip(top, sets, strict=True)
        if requirement in proves and step["verdict"] != "skipped"
    ]
    skipped = any(
        requirement in proves and step["verdict"] == "skipped"
        for step, proves in zip(top, sets, strict=True)
    )
    if skipped and verdict in ("failed", "error"):
        # A check that would have proved it never ran: the scenario's failure decides.
        decided.append(str(verdict))
    return combine(decided) or str(verdict)

"""The numbers a scenario takes from the target under test: its declared policy, within the
bounds the cited standards set.

A conformance scenario asks what the standard requires, not what the reference happens to do:
instead of the reference's numbers (its ten failures, its ten-minute code) it writes
``{policy.NAME}`` wherever it needs a number, and the runner fills in the value for the target
under test. ``NAME`` is a reference policy field (:data:`POLICY_FIELDS`:
``max_consecutive_failures``, ``sms_code_ttl``, ``totp.steps_back``...). Its value is, in this
order:

1. the target's **declared** value: its ``default_policy()`` with the scenario's own
   ``given.policy`` overrides applied (a target declares None for a rule it does not have);
2. for a field the standards bound (:data:`BOUNDS`), that value **capped at the bound**: a target
   that declares a 30-minute SMS code is asked at 10 minutes, where the standard wants the code
   refused, so a declaration cannot make a non-conformant system pass;
3. when the target declares nothing, **the bound itself** (a target without a failure limit is
   asked whether 100 wrong guesses in a row get it in: NIST SP 800-63B 5.2.2's limit);
4. otherwise there is no number to ask with: the scenario is ``not_applicable`` to that target
   (it declares no such rule and no standard fixes one).

Every step that used one records where its number came from (evidence ``policy``). Within a
string the value is written as a plain number (``"{policy.sms_code_ttl}s 1s"`` is the code's
lifetime plus a second); a field that is one placeholder gets the number itself
(``times: "{policy.max_consecutive_failures}"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from twofa_sim.scenario.overrides import PolicyOverrides, flat_policy

__all__ = [
    "BOUNDS",
    "NONE_AT_ZERO",
    "POLICY_FIELDS",
    "PREFIX",
    "Bound",
    "Declared",
    "declared_policy",
    "policy_names",
]

PREFIX = "policy."
"""Placeholders that start with this read the target's policy, not a captured value."""


@dataclass(frozen=True)
class Bound:
    """A standard's limit on a policy number."""

    limit: float
    at_most: bool
    """True: the value may be at most ``limit``; False: at least."""
    source: str
    what: str

    def holds(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit

    def describe(self) -> str:
        word = "at most" if self.at_most else "at least"
        return f"{self.what}: {word} {_plain(self.limit)} ({self.source})"


BOUNDS: Mapping[str, Bound] = {
    "max_consecutive_failures": Bound(
        100, True, "NIST SP 800-63B 5.2.2", "consecutive failed attempts on one account"
    ),
    "sms_code_ttl": Bound(
        600, True, "ASVS 5.0 6.5.5; NIST SP 800-63B 5.1.3.2", "an out-of-band code's lifetime, s"
    ),
    "push_ttl": Bound(
        600, True, "NIST SP 800-63B 5.1.3.2", "an out-of-band (push) request's lifetime, s"
    ),
    "sms_code_digits": Bound(6, False, "ASVS 5.0 6.5.4", "digits of an out-of-band code"),
}
"""The policy numbers a cited standard bounds, and the bound."""

NONE_AT_ZERO = frozenset({"resend_cooldown"})
"""Settings whose 0 means the rule is absent (a cooldown of 0 s is no cooldown): declared as 0,
they are declared as none, and a scenario about the rule is not applicable."""


def _field_names() -> tuple[str, ...]:
    from twofa_sim.core.otp import TotpPolicy
    from twofa_sim.reference.policy import SecurityPolicy

    names: list[str] = []
    for item in fields(SecurityPolicy):
        if item.name == "totp":
            names.extend(f"totp.{inner.name}" for inner in fields(TotpPolicy))
        else:
            names.append(item.name)
    return tuple(names)


POLICY_FIELDS: tuple[str, ...] = _field_names()
"""The names ``{policy.NAME}`` may use: the reference policy's fields (``totp.*`` for the
window's)."""


def policy_names(names: Iterable[str]) -> list[str]:
    """The policy fields among placeholder names (``policy.sms_code_ttl`` -> ``sms_code_ttl``)."""
    return [name[len(PREFIX) :] for name in names if name.startswith(PREFIX)]


def _number(value: Any) -> float | None:
    from twofa_sim.core.clock import parse_duration
    from twofa_sim.errors import InputError

    if value is None or isinstance(value, bool):
        return None
    try:
        number = parse_duration(value) if isinstance(value, str) else float(value)
    except (InputError, TypeError, ValueError):
        return None
    return number if math.isfinite(number) or number == math.inf else None


@dataclass(frozen=True)
class Declared:
    """A target's declared policy (flattened: ``totp.steps_back``), and how each number a
    scenario asks for is found (see the module docstring)."""

    target: str
    values: Mapping[str, Any]

    def value(self, name: str) -> tuple[Any, str] | None:
        """(the number to use, where it came from), or None when there is none."""
        declared = self.values.get(name)
        bound = BOUNDS.get(name)
        if isinstance(declared, bool):
            return declared, f"declared by {self.target}"
        number = _number(declared)
        if number == 0 and name in NONE_AT_ZERO:
            number = None
        if number is None:
            if bound is None:
                return None
            return _plain(bound.limit), (
                f"{self.target} declares none: the standard's bound ({bound.describe()})"
            )
        if bound is not None and not bound.holds(number):
            return _plain(bound.limit), (
                f"{self.target} declares {_plain(number)}, beyond the standard's bound: asked at "
                f"the bound ({bound.describe()})"
            )
        return _plain(number), f"declared by {self.target}"

    def missing(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` with no number for this target."""
        return sorted({name for name in names if self.value(name) is None})


def declared_policy(factory: Any, overrides: PolicyOverrides | None) -> Declared:
    """What ``factory`` (a target class) declares: its ``default_policy()`` (a mapping in the
    reference policy's field names; a target without one declares nothing) with the scenario's
    ``given.policy`` ``overrides`` applied (None: none). ``seed_compat`` is a mode, not a
    number: skipped."""
    from twofa_sim.scenario.target import target_policy

    name = str(getattr(factory, "name", getattr(factory, "__name__", "the target")))
    values = flat_policy(target_policy(factory) or {})
    for key, value in overrides.items if overrides is not None else ():
        if key != "seed_compat":
            values[key] = value
    return Declared(name, values)


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value

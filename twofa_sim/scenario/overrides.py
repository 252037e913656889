"""A scenario's ``given.policy``, read once: the policy overrides it asks of the target.

The loader reads them (every problem located, ``given.policy.totp.steps_bak`` with a hint) and
keeps them typed on the :class:`~twofa_sim.scenario.loader.Scenario`; the runner asks them which
settings a target must honour and hands each target a plain copy. Field names and meanings are
the reference policy's (:data:`twofa_sim.reference.policy.FIELDS`); durations are seconds, so a
target (a Python adapter or a service behind the HTTP contract) never parses ``5m`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twofa_sim.errors import InputError

__all__ = ["PolicyOverrides", "flat_policy", "override_keys"]


@dataclass(frozen=True)
class PolicyOverrides:
    """The overrides as ``(dotted key, value)`` pairs in the order written: ``("totp.steps_back",
    2)``, ``("sms_code_ttl", 300.0)``, ``("seed_compat", True)``."""

    items: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def read(
        cls, raw: Any, where: str = "given.policy"
    ) -> tuple[PolicyOverrides | None, list[InputError]]:
        """(the overrides or None, every problem), from a scenario's ``given.policy``."""
        from twofa_sim.reference.policy import read_overrides

        plain, problems = read_overrides({} if raw is None else raw, where)
        if plain is None:
            return None, problems
        return cls(tuple(flat_policy(plain).items())), []

    @classmethod
    def parse(cls, raw: Any, where: str = "given.policy") -> PolicyOverrides:
        """The overrides; raises the first problem (located) when they are wrong."""
        overrides, problems = cls.read(raw, where)
        if problems:
            raise problems[0]
        assert overrides is not None
        return overrides

    def keys(self) -> tuple[str, ...]:
        """The settings set, dotted (``totp.steps_back``)."""
        return tuple(key for key, _ in self.items)

    def get(self, key: str, default: Any = None) -> Any:
        """The value set for dotted ``key``, else ``default``."""
        return next((value for name, value in self.items if name == key), default)

    def to_dict(self) -> dict[str, Any]:
        """A fresh nested mapping, as a target receives it (``{"totp": {"steps_back": 2}}``)."""
        nested: dict[str, Any] = {}
        for key, value in self.items:
            head, _, rest = key.partition(".")
            if rest:
                nested.setdefault(head, {})[rest] = value
            else:
                nested[head] = value
        return nested

    def __bool__(self) -> bool:
        return bool(self.items)


def override_keys(raw: Any) -> list[str]:
    """The dotted keys of a ``given.policy`` as written, values unread (they may still be
    ``{for_all}`` placeholders): what a target must honour before any value is drawn."""
    return list(flat_policy(raw)) if isinstance(raw, Mapping) else []


def flat_policy(policy: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A policy mapping with dotted keys: ``{"totp": {"steps_back": 2}}`` ->
    ``{"totp.steps_back": 2}``."""
    found: dict[str, Any] = {}
    for key, value in policy.items():
        if isinstance(value, Mapping):
            found.update(flat_policy(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found

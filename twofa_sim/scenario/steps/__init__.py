"""The step library: every step a scenario may write, its fields, an example, and what it does.

A step is a one-key mapping, ``- name: fields`` (``- advance: 30s`` for the steps that take one
value). Actions (``kind`` ``user`` and ``service``) accept ``expect:`` (see
:data:`~twofa_sim.scenario.steps.fields.EXPECT`); without it an action must succeed.
``twofa-sim steps`` prints this library.

The library is these modules, each listing its steps in ``STEPS``; :data:`REGISTRY` is built
from them here, in this order:

* :mod:`~twofa_sim.scenario.steps.clock`: the virtual clock and the phones' clocks;
* :mod:`~twofa_sim.scenario.steps.providers`: provider faults and SMS delivery;
* :mod:`~twofa_sim.scenario.steps.user`: what a user does (and restarting the service);
* :mod:`~twofa_sim.scenario.steps.expect`: expectations;
* :mod:`~twofa_sim.scenario.steps.control`: ``repeat``.

The field schemas they share are in :mod:`~twofa_sim.scenario.steps.fields`; what a step is,
in :mod:`~twofa_sim.scenario.steps.spec`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from twofa_sim.scenario.steps import clock, control, expect, providers, user
from twofa_sim.scenario.steps.expect import check_expect
from twofa_sim.scenario.steps.fields import EXPECT, EXPECT_WORDS
from twofa_sim.scenario.steps.spec import StepSpec

__all__ = ["EXPECT", "EXPECT_WORDS", "MODULES", "REGISTRY", "StepSpec", "check_expect"]

MODULES = (clock, providers, user, expect, control)
"""The modules of the step library, in the order ``twofa-sim steps --json`` lists them."""


def _registry(groups: Iterable[Iterable[StepSpec]]) -> Mapping[str, StepSpec]:
    found: dict[str, StepSpec] = {}
    for group in groups:
        for spec in group:
            if spec.name in found:
                raise ValueError(f"two steps are named {spec.name!r}")
            found[spec.name] = spec
    return MappingProxyType(found)


REGISTRY: Mapping[str, StepSpec] = _registry(module.STEPS for module in MODULES)
"""Every step by name."""

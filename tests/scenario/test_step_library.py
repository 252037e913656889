"""The step library is a package whose registry is built from explicit lists."""

from __future__ import annotations

from twofa_sim.scenario import steps
from twofa_sim.scenario.steps.spec import KINDS, StepSpec


def test_every_step_a_module_defines_is_in_the_library() -> None:
    """A step written in a module but left out of its STEPS list would silently vanish from
    scenario files and from ``twofa-sim steps``: each module lists every step it defines."""
    for module in steps.MODULES:
        defined = {v.name for v in vars(module).values() if isinstance(v, StepSpec)}
        listed = [spec.name for spec in module.STEPS]
        assert sorted(listed) == sorted(defined), module.__name__
        assert set(listed) <= set(steps.REGISTRY), module.__name__


def test_the_library_lists_steps_in_the_order_twofa_sim_steps_prints_them() -> None:
    """``twofa-sim steps --json`` and the text listing agree on the order: clock, provider,
    user and service, expect, control."""
    kinds = [spec.kind for spec in steps.REGISTRY.values()]
    order = [KINDS.index("user" if kind == "service" else kind) for kind in kinds]
    assert order == sorted(order)
    assert len(steps.REGISTRY) == sum(len(module.STEPS) for module in steps.MODULES)

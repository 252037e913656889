"""The Target protocol module and the built-in targets, one module each."""

from __future__ import annotations

import pytest

from twofa_sim.errors import InputError
from twofa_sim.scenario.target import BUILTIN_TARGETS, load_target
from twofa_sim.scenario.targets.naive import NaiveTarget
from twofa_sim.scenario.targets.reference import ReferenceTarget


def test_the_readme_adapter_imports_work() -> None:
    """The README's adapter example imports its types from twofa_sim.scenario.target."""
    from twofa_sim.scenario.target import (  # noqa: F401
        AccountView,
        Challenge,
        Enrollment,
        LoginResult,
        Outcome,
        TargetContext,
    )


def test_builtin_targets_are_found_by_name() -> None:
    """``--target reference`` and ``--target pyotp-naive`` load the modules under targets/."""
    assert {"reference", "pyotp-naive"} <= set(BUILTIN_TARGETS)
    assert load_target("reference") is ReferenceTarget
    assert load_target("pyotp-naive") is NaiveTarget
    assert load_target("twofa_sim.scenario.targets.naive:NaiveTarget") is NaiveTarget
    with pytest.raises(InputError, match="unknown target"):
        load_target("nope")

"""The Target protocol, documented whole (issue 11, §7): every name a scenario may use is in the
``Target`` class's docstring and in the README's guide, exists where the runner looks for it,
and the library's ``given.policy`` keys are the documented ones."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.target import Target
from twofa_sim.scenario.targets.reference import ReferenceTarget

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
SCENARIO_CODE = ROOT / "twofa_sim" / "scenario"

DECLARED = ("policy_settings", "providers", "reports_reasons", "reads_system_time")
"""Class attributes the runner reads before it builds a target."""
OPTIONAL = ("policy", "default_policy", "audit_intact", "close", "stored_bytes")
"""Optional members the runner or a step looks up on a target."""


def _guide() -> str:
    """The README's "Testing your own 2FA system" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### Testing your own 2FA system")
    return text[start : text.index("\n## ", start)]


def _protocol_methods() -> list[str]:
    return [
        name
        for name, member in vars(Target).items()
        if inspect.isfunction(member) and not name.startswith("_")
    ]


def test_every_name_a_scenario_may_use_is_documented_in_both_places() -> None:
    """§7: the Target docstring and the README's guide each name every declaration and every
    optional member, the lifecycle's terms and what ``locked`` means; the README's adapter
    shows every method of the protocol (the class defines each, with its docstring)."""
    doc = Target.__doc__ or ""
    guide = _guide()
    names = ["name", "features", *DECLARED, *OPTIONAL]
    lifecycle = ("workdir", "register()", "close()", "hypothesis example", "freeze_system_time")
    for where, text in (("Target docstring", doc), ("README", guide)):
        missing = [n for n in [*names, *lifecycle, "locked"] if n not in text]
        assert not missing, f"{where} does not mention {missing}"
    missing = [f"def {m}(" for m in _protocol_methods() if f"def {m}(" not in guide]
    assert not missing, f"the README's adapter does not show {missing}"


def test_the_documented_optional_names_are_the_ones_the_runner_reads() -> None:
    """§7: each declaration and optional member is read somewhere in the scenario package by
    that name (a renamed lookup would leave the documentation describing nothing), and the
    reference target provides each optional member."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in SCENARIO_CODE.rglob("*.py"))
    for name in [*DECLARED, *OPTIONAL]:
        assert re.search(rf"""getattr\([^)]*["']{name}["']""", code) or (
            f".{name}(" in code and name != "policy"
        ), f"nothing in twofa_sim/scenario reads {name!r}"
    for name in OPTIONAL:
        assert name in vars(ReferenceTarget) or name in ReferenceTarget.__init__.__code__.co_names


def test_the_policy_keys_the_library_sets_are_the_documented_ones() -> None:
    """§7: every ``given.policy`` key a bundled scenario sets is listed in the Target docstring
    and the README (so a target author knows which settings to honour or decline)."""
    keys: set[str] = set()

    def walk(mapping: dict[str, object], prefix: str = "") -> None:
        for key, value in mapping.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                keys.add(prefix + key)

    for scenario in load_paths([ROOT / "scenarios"]):
        policy = scenario.given.get("policy") or {}
        if isinstance(policy, dict):
            walk(policy)
    doc, guide = Target.__doc__ or "", _guide()
    for where, text in (("Target docstring", doc), ("README", guide)):
        missing = sorted(k for k in keys if f"{k}`" not in text)
        assert not missing, f"{where} does not list the library's policy keys {missing}"

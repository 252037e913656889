"""The report draws the acceptance curve of the policy under test (issue 7 feeds the report)."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from twofa_sim.core.otp import TotpPolicy
from twofa_sim.labs.skew import acceptance
from twofa_sim.reference import SecurityPolicy
from twofa_sim.report.html import render_html
from twofa_sim.scenario.results import assemble


def curve_points(policy: dict[str, object] | None) -> list[tuple[float, float]]:
    html = render_html(assemble(0, "reference", [], run={"complete": True}, policy=policy))
    match = re.search(r'id="acceptance-curve".*?<polyline points="([^"]+)"', html, re.S)
    if match is None:
        return []
    return [tuple(map(float, p.split(","))) for p in match.group(1).split()]  # type: ignore[misc]


def test_the_curve_follows_the_policy_window() -> None:
    """One point per second from -150 s to +150 s; its heights are the exact acceptance."""
    wide = asdict(SecurityPolicy(totp=TotpPolicy(steps_back=2, steps_forward=0)))
    points = curve_points(wide)
    assert len(points) == 301
    top = min(y for _, y in points)
    bottom = max(y for _, y in points)
    for offset in (-75, -45, 0, 10, 29, 45):
        _, y = points[offset + 150]
        drawn = (bottom - y) / (bottom - top)
        assert abs(drawn - acceptance(offset, steps_back=2, steps_forward=0)) < 0.01, offset


def test_no_curve_when_the_policy_is_unknown() -> None:
    """No policy, or a window that is not two whole numbers >= 0 (results are input: a file
    may say anything), draws no curve and is no error."""
    assert curve_points(None) == []
    for back in (-1, True, 1.5, "1"):
        assert curve_points({"totp": {"steps_back": back, "steps_forward": 1}}) == []


def test_a_drifting_phone_gets_its_chart(tmp_path: Path) -> None:
    """A scenario whose phone drifts records the clock error at each TOTP code typed, and the
    report draws it; a scenario without drift has no such chart."""
    from twofa_sim.scenario.loader import load_scenarios
    from twofa_sim.scenario.results import run_all

    library = Path(__file__).parents[2] / "scenarios" / "clock"
    scenarios = load_scenarios(library / "drift-untracked.scenario.yaml") + load_scenarios(
        library / "window-pinned.scenario.yaml"
    )
    data = run_all(scenarios).as_dict(run={"complete": True})
    drifting, steady = data["scenarios"][0], data["scenarios"][1]
    errors = [p["error_s"] for p in drifting["drift"]]
    assert errors == sorted(errors) and errors[-1] > 60  # the phone gains, day after day
    assert drifting["drift"][-1]["accepted"] is False and drifting["drift"][0]["accepted"]
    assert "drift" not in steady
    html = render_html(data)
    assert html.count('class="curve drift"') == 1
    assert html.count("<circle ") == len(errors)

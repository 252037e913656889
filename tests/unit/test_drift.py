"""The drift experiment: a phone whose clock drifts, logging in through the reference service."""

from __future__ import annotations

import math

import pytest

from twofa_sim.errors import InputError
from twofa_sim.labs.drift import DriftMode, run_drift
from twofa_sim.labs.skew import acceptance

PER_DAY_AT_50_PPM = 50e-6 * 86_400  # 4.32 s


def only(result_modes: tuple[DriftMode, ...]) -> DriftMode:
    (mode,) = result_modes
    return mode


def test_without_tracking_logins_fail_once_the_phone_passes_the_window() -> None:
    """At 50 ppm (4.32 s a day) with window 1/1, logins pass for sure while the phone is at most
    30 s ahead (day 6.9), may fail until 60 s (day 13.9), and always fail after: the first
    refusal falls between, and every verdict is one skew.acceptance allows for its error."""
    result = run_drift(ppm=50, days=18, tracking="off")
    mode = only(result.modes)
    assert result.prediction.rate_s_per_day == pytest.approx(PER_DAY_AT_50_PPM)
    edge_day, zero_day = 30 / PER_DAY_AT_50_PPM, 60 / PER_DAY_AT_50_PPM
    assert result.prediction.window_edge_day == pytest.approx(edge_day)
    assert result.prediction.window_zero_day == pytest.approx(zero_day)
    first = mode.first_refused_day
    assert first is not None
    assert math.floor(edge_day) <= first <= math.ceil(zero_day)
    for login in mode.logins:
        assert login.error_s == pytest.approx(50e-6 * login.at_s)
        chance = acceptance(login.error_s, period=30, steps_back=1, steps_forward=1)
        assert login.chance == pytest.approx(chance)
        if login.accepted:
            assert chance > 0, login
        else:
            assert chance < 1, login
            assert login.outcome == "outside_window"
        assert login.drift_steps == 0  # nothing is learnt without tracking
    assert all(day.refused == 2 for day in mode.days if day.error_s >= 60)
    assert mode.contradictions == []


def test_with_tracking_and_no_limit_logins_pass_all_year() -> None:
    """With drift tracking (RFC 6238 section 6) and no drift limit, a 50 ppm phone logs in
    every time for 365 days, the verifier following it to about 1577 s (52-53 steps) ahead."""
    result = run_drift(ppm=50, days=365, tracking="on", max_drift_steps=None)
    mode = only(result.modes)
    assert mode.tracking is True
    assert len(mode.logins) == 730
    assert all(login.accepted for login in mode.logins)
    assert mode.first_refused_day is None
    assert mode.days[-1].drift_steps in (52, 53)
    assert "all 730 logins accepted over 365 days" in mode.sentence


def test_with_tracking_the_drift_limit_ends_it() -> None:
    """With the reference policy's limit of 10 steps, tracking follows the phone only to 300 s
    (day 69.4); from 330 s (day 76.4) every login fails, and the verdicts agree with the closed
    form for the window the verifier used."""
    result = run_drift(ppm=50, days=85, tracking="on", max_drift_steps=10)
    mode = only(result.modes)
    limit_day, zero_day = 300 / PER_DAY_AT_50_PPM, 330 / PER_DAY_AT_50_PPM
    assert result.prediction.limit_edge_day == pytest.approx(limit_day)
    first = mode.first_refused_day
    assert first is not None and math.floor(limit_day) <= first <= math.ceil(zero_day)
    assert mode.last_accepted_day is not None and mode.last_accepted_day <= math.ceil(zero_day)
    assert max(login.drift_steps for login in mode.logins) == 10
    assert mode.contradictions == []
    assert "past the drift limit of 10 steps (300 s)" in mode.sentence


def test_both_runs_share_the_login_moments() -> None:
    """`tracking="both"` runs without, then with tracking, at the same moments (same seed)."""
    result = run_drift(ppm=20, days=5, tracking="both")
    off, on = result.modes
    assert (off.tracking, on.tracking) == (False, True)
    assert [login.at_s for login in off.logins] == [login.at_s for login in on.logins]
    again = run_drift(ppm=20, days=5, tracking="both")
    assert again.as_dict() == result.as_dict()


def test_after_a_long_idle_gap_tracking_never_catches_up() -> None:
    """At 200 ppm (17.28 s a day) a 200-day gap moves the phone about 3456 s (115 steps) past
    the drift the verifier learnt. The first login after it is refused as wrong_code (its step
    is further than the verifier's 10-step diagnosis looks) and so is every later one: the
    window re-centres only on a success."""
    result = run_drift(
        ppm=200, days=215, tracking="on", max_drift_steps=None, idle_gap=200 * 86_400, idle_from=5
    )
    mode = only(result.modes)
    before = [login for login in mode.logins if login.at_s < 5 * 86_400]
    after = [login for login in mode.logins if login.at_s >= 205 * 86_400]
    assert len(before) == 10 and len(after) == 20
    assert all(login.accepted for login in before)
    assert not any(login.accepted for login in after)
    assert {login.outcome for login in after} == {"wrong_code"}
    gap = mode.gap
    assert gap is not None
    assert gap.day == 205 and gap.outcome == "wrong_code" and gap.recovered_day is None
    assert gap.jump_s == pytest.approx(200e-6 * (after[0].at_s - before[-1].at_s))
    assert 110 < gap.jump_s / 30 < 120
    assert all(day.idle and not day.logins for day in mode.days[5:205])
    assert "so was every later one" in mode.sentence


def test_a_gap_within_the_window_is_harmless() -> None:
    """A two-day gap at 20 ppm moves the phone a few seconds: well within the window's one
    step forward of the learnt drift, so the next login passes and tracking follows."""
    result = run_drift(
        ppm=20, days=8, tracking="on", max_drift_steps=None, idle_gap=2 * 86_400, idle_from=3
    )
    mode = only(result.modes)
    gap = mode.gap
    assert gap is not None and gap.day == 5
    assert gap.outcome == "accepted" and gap.recovered_day == 5
    assert 0 < gap.jump_s < 30 / 4
    assert all(login.accepted for login in mode.logins)


def test_a_slow_phone_fails_on_the_back_edge() -> None:
    """A phone losing time (-50 ppm) is refused once it is more than the window's one step
    behind; the prediction uses the back edge."""
    result = run_drift(ppm=-50, days=16, tracking="off", steps_back=1, steps_forward=3)
    mode = only(result.modes)
    assert result.prediction.window_edge_s == 30.0
    first = mode.first_refused_day
    assert first is not None and 6 <= first <= 14
    assert all(login.error_s < 0 for login in mode.logins[1:])
    assert mode.contradictions == []


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"ppm": math.nan}, "ppm"),
        ({"ppm": 50, "days": 0}, "days"),
        ({"ppm": 50, "logins_per_day": 0}, "logins_per_day"),
        ({"ppm": 50, "days": 10, "idle_gap": 20 * 86_400.0}, "idle_gap"),
        ({"ppm": 50, "days": 10, "idle_gap": 86_400.0, "idle_from": 10}, "idle_from"),
        ({"ppm": 50, "idle_gap": -1.0}, "idle_gap"),
    ],
)
def test_bad_settings_are_input_errors(kwargs: dict[str, float], where: str) -> None:
    """Impossible settings raise InputError naming the parameter, before anything runs."""
    with pytest.raises(InputError) as caught:
        run_drift(**kwargs)  # type: ignore[arg-type]
    assert caught.value.where == where

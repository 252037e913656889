"""Properties of the exact clock-skew curve (issue 7, section 5), and of the simulation with real
codes that checks it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofa_sim.labs import skew

periods = st.sampled_from([1, 7, 15, 30, 60, 90])
sides = st.integers(0, 5)
delays = st.floats(0, 120, allow_nan=False, allow_infinity=False)
offsets = st.floats(-1000, 1000, allow_nan=False, allow_infinity=False)
fractions = st.floats(0, 1, allow_nan=False)


def curve(offset: float, period: float, back: int, forward: int, delay: float = 0.0) -> float:
    return skew.acceptance(
        offset, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )


@given(periods, sides, sides, delays, offsets)
def test_values_are_probabilities(
    period: int, back: int, forward: int, delay: float, offset: float
) -> None:
    assert 0.0 <= curve(offset, period, back, forward, delay) <= 1.0


@given(
    periods, sides, sides, delays, st.integers(-12, 12), st.lists(fractions, min_size=3, max_size=3)
)
def test_affine_between_consecutive_breakpoints(
    period: int, back: int, forward: int, delay: float, k: int, where: list[float]
) -> None:
    """Between ``delay + k * period`` and ``delay + (k + 1) * period`` the curve is a straight
    line: any three points on it are collinear (the middle one is interpolated from the others),
    and at the breakpoints themselves it takes its extreme values 0 or 1."""
    a, b, c = sorted(where)
    start = delay + k * period
    x = [start + u * period for u in (a, b, c)]
    y = [curve(v, period, back, forward, delay) for v in x]
    if x[2] - x[0] > 1e-6 * period:
        interpolated = y[0] + (y[2] - y[0]) * (x[1] - x[0]) / (x[2] - x[0])
        assert y[1] == pytest.approx(interpolated, abs=1e-9)
    at_start = curve(start, period, back, forward, delay)
    at_end = curve(start + period, period, back, forward, delay)
    assert min(abs(at_start), abs(at_start - 1)) <= 1e-9
    assert min(abs(at_end), abs(at_end - 1)) <= 1e-9


@given(periods, sides, offsets)
def test_symmetric_when_the_window_is(period: int, side: int, offset: float) -> None:
    """Without entry delay, a window as wide back as forward treats a device ``d`` seconds fast
    like one ``d`` seconds slow."""
    assert curve(offset, period, side, side) == pytest.approx(
        curve(-offset, period, side, side), abs=1e-12
    )


@given(periods, sides, sides, delays, offsets)
def test_widening_the_window_never_lowers_it(
    period: int, back: int, forward: int, delay: float, offset: float
) -> None:
    here = curve(offset, period, back, forward, delay)
    assert curve(offset, period, back + 1, forward, delay) >= here
    assert curve(offset, period, back, forward + 1, delay) >= here


@given(periods, sides, sides, delays, offsets)
def test_entry_delay_shifts_it(
    period: int, back: int, forward: int, delay: float, offset: float
) -> None:
    """Typing ``e`` seconds after reading is the same as a device ``e`` seconds slower."""
    assert curve(offset, period, back, forward, delay) == curve(
        offset - delay, period, back, forward
    )


@settings(max_examples=25)
@given(periods, sides, sides, delays, st.floats(0, 1, allow_nan=False))
def test_total_area_is_the_window_times_the_period(
    period: int, back: int, forward: int, delay: float, phase: float
) -> None:
    """The integral of the acceptance over all offsets is ``(back + forward + 1) * period``: each
    accepted step difference contributes a triangle of base ``2 * period`` and height 1. Outside
    ``[delay - (back + 1) * period, delay + (forward + 1) * period]`` the curve is 0, so a fine
    trapezoid sum over a grid not aligned with the breakpoints (its start shifted by ``phase``)
    gives it to within rounding."""
    low = delay - (back + 2 + phase) * period
    high = delay + (forward + 2) * period
    grid = np.linspace(low, high, 40_001)
    values = skew.acceptance_array(
        grid, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    assert values[0] == values[-1] == 0.0
    area = float(np.trapezoid(values, grid))
    assert area == pytest.approx((back + forward + 1) * period, rel=1e-6)


@given(
    st.lists(st.floats(-300, 300, allow_nan=False), min_size=1, max_size=50),
    st.sampled_from([15, 30, 60]),
    st.floats(0, 60, allow_nan=False),
    st.floats(0, 0.5, allow_nan=False),
)
def test_population_answers_agree(
    population: list[float], period: int, delay: float, target: float
) -> None:
    """The one-pass failure table equals the failure rate window by window; the smallest window
    meets the target and no window with fewer steps in all does."""
    windows = [(b, f) for b in range(4) for f in range(4)]
    table = skew.failure_rates(population, windows, period=period, entry_delay=delay)
    for (back, forward), rate in zip(windows, table, strict=True):
        direct = skew.failure_rate(
            population, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
        )
        assert rate == pytest.approx(direct, abs=1e-9)
    found = skew.smallest_window(population, target, period=period, entry_delay=delay, limit=3)
    if found is None:
        assert min(table) > target
        return
    back, forward, rate = found
    assert rate <= target
    assert all(r > target for w, r in zip(windows, table, strict=True) if sum(w) < back + forward)


@settings(max_examples=6, derandomize=True)
@given(
    st.sampled_from([15, 30, 60]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.floats(0, 40, allow_nan=False),
    st.floats(-150, 150, allow_nan=False),
)
def test_simulation_converges_to_the_curve(
    period: int, back: int, forward: int, delay: float, offset: float
) -> None:
    """600 real codes through the reference verifier: the exact value lies within the 99.9 %
    Wilson interval of the simulated share. Derandomized in every profile (a 99.9 % interval
    misses one time in a thousand; the simulation is seeded by its arguments, so fixed examples
    make the test's verdict reproducible)."""
    samples = 600
    simulated = skew.simulate(
        offset,
        samples,
        period=period,
        steps_back=back,
        steps_forward=forward,
        entry_delay=delay,
        seed=11,
    )
    exact = curve(offset, period, back, forward, delay)
    low, high = skew.wilson_interval(simulated * samples, samples, z=3.29)
    assert low <= exact <= high


sigmas = st.floats(0.01, 500, allow_nan=False, allow_infinity=False)
means = st.floats(-300, 300, allow_nan=False, allow_infinity=False)


def normal_rate(
    sigma: float, mean: float, period: int, back: int, forward: int, delay: float
) -> float:
    return skew.normal_failure_rate(
        sigma, mean=mean, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )


@given(sigmas, means, periods, sides, sides, delays)
def test_a_normal_populations_rate_is_a_probability_that_a_wider_window_never_raises(
    sigma: float, mean: float, period: int, back: int, forward: int, delay: float
) -> None:
    """The exact rate of a normal population lies in [0, 1], and a step more on either side
    never refuses more logins (issue 16, item 17)."""
    rate = normal_rate(sigma, mean, period, back, forward, delay)
    assert 0.0 <= rate <= 1.0
    assert normal_rate(sigma, mean, period, back + 1, forward, delay) <= rate + 1e-12
    assert normal_rate(sigma, mean, period, back, forward + 1, delay) <= rate + 1e-12


@given(sigmas, means, periods, sides, sides)
def test_a_normal_populations_rate_is_mirror_symmetric(
    sigma: float, mean: float, period: int, back: int, forward: int
) -> None:
    """A population ``mean`` ahead against window back/forward fails as often as one ``mean``
    behind against forward/back (no entry delay): the closed form has no favoured side."""
    ahead = normal_rate(sigma, mean, period, back, forward, 0.0)
    behind = normal_rate(sigma, -mean, period, forward, back, 0.0)
    assert ahead == pytest.approx(behind, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(1, 100), st.floats(-60, 60), periods, sides, sides, delays)
def test_a_normal_populations_rate_is_the_mean_over_many_users(
    sigma: float, mean: float, period: int, back: int, forward: int, delay: float
) -> None:
    """The exact rate agrees with the mean refusal over 200,000 drawn users within 6 standard
    errors: the closed form is the limit the sampling approached."""
    users = skew.normal_population(sigma, 200_000, mean=mean, seed=17)
    drawn = skew.failure_rate(
        users, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    exact = normal_rate(sigma, mean, period, back, forward, delay)
    spread = float(
        np.std(
            1.0
            - skew.acceptance_array(
                users, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
            )
        )
    )
    assert abs(drawn - exact) <= 6 * spread / np.sqrt(users.size) + 1e-12

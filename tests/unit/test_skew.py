"""The clock-skew lab's exact curve against closed forms written here, and the simulation with real
codes against its confidence interval.

Two independent ways of computing the acceptance probability, neither using the module's
``n, phi`` formula:

* :func:`by_segments`: the reading moment ``t`` only matters within one period (shifting ``t`` by a
  period shifts both steps by one). Inside ``[0, period)`` the step difference
  ``floor((t + offset) / P) - floor((t + delay) / P)`` changes only where ``t + offset`` or
  ``t + delay`` crosses a multiple of the period, so cutting the period there leaves pieces on which
  it is constant: the accepted share is the total length of the pieces whose difference lies in
  ``[-back, forward]``, divided by the period. Exact.
* :func:`by_sweep`: brute force, the same difference at 20,000 evenly spaced reading moments,
  counted. The difference jumps at most twice per period, so the count is off by at most two
  cells: a tolerance of ``2 / 20,000``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from twofa_sim.errors import InputError
from twofa_sim.labs import skew

PERIODS = (30, 60, 15, 7)
WINDOWS = ((0, 1), (2, 0), (1, 3), (1, 1))
OFFSETS = (37.3, -61.7, 0.001, 89.999, 0.0, -0.001, 123.456, -200.5, 7.77, -14.2)
DELAYS = (0.0, 12.5, 31.0)
SWEEP = 20_000


def accepted(difference: int, back: int, forward: int) -> bool:
    return -back <= difference <= forward


def by_segments(offset: float, period: float, back: int, forward: int, delay: float) -> float:
    cuts = sorted({0.0, period, (-offset) % period, (-delay) % period})
    inside = 0.0
    for start, end in itertools.pairwise(cuts):
        if end <= start:
            continue
        t = (start + end) / 2
        difference = math.floor((t + offset) / period) - math.floor((t + delay) / period)
        if accepted(difference, back, forward):
            inside += end - start
    return inside / period


def by_sweep(offset: float, period: float, back: int, forward: int, delay: float) -> float:
    t = (np.arange(SWEEP) + 0.5) * (period / SWEEP)
    difference = np.floor((t + offset) / period) - np.floor((t + delay) / period)
    return float(((difference >= -back) & (difference <= forward)).mean())


CASES = list(itertools.product(PERIODS, WINDOWS, OFFSETS, DELAYS))


@pytest.mark.parametrize(("period", "window"), list(itertools.product(PERIODS, WINDOWS)))
def test_acceptance_matches_both_closed_forms(period: int, window: tuple[int, int]) -> None:
    """For every offset and entry delay: the exact curve equals the piece-by-piece integral over
    the reading moment, and the brute-force count within its two-cell tolerance."""
    back, forward = window
    for offset, delay in itertools.product(OFFSETS, DELAYS):
        got = skew.acceptance(
            offset, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
        )
        where = f"offset {offset}, delay {delay}"
        assert got == pytest.approx(by_segments(offset, period, back, forward, delay), abs=1e-9), (
            where
        )
        assert abs(got - by_sweep(offset, period, back, forward, delay)) <= 2 / SWEEP, where


def test_the_closed_forms_are_not_trivially_one_or_zero() -> None:
    """The cases above exercise the sloped parts of the curve, not only its flat tops and zeros."""
    values = [by_segments(o, p, b, f, d) for p, (b, f), o, d in CASES]
    sloped = [v for v in values if 0.01 < v < 0.99]
    assert len(sloped) > len(values) // 8
    assert 0.0 in values and 1.0 in values


@pytest.mark.parametrize(("period", "window", "delay"), [(30, (1, 1), 0.0), (7, (1, 3), 12.5)])
def test_array_and_scalar_agree(period: int, window: tuple[int, int], delay: float) -> None:
    back, forward = window
    offsets = np.linspace(-400, 400, 1601)
    many = skew.acceptance_array(
        offsets, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    one = [
        skew.acceptance(
            float(o), period=period, steps_back=back, steps_forward=forward, entry_delay=delay
        )
        for o in offsets
    ]
    assert many.tolist() == one


def test_a_float_period_is_allowed_in_the_exact_curve() -> None:
    assert skew.acceptance(37.3, period=7.5, steps_back=0, steps_forward=1) == pytest.approx(
        by_segments(37.3, 7.5, 0, 1, 0.0), abs=1e-9
    )


@pytest.mark.parametrize(
    ("offset", "window", "delay", "expected"),
    [
        (0.0, (1, 1), 0.0, 1.0),
        (30.0, (1, 1), 0.0, 1.0),
        (-30.0, (1, 1), 0.0, 1.0),
        (60.0, (1, 1), 0.0, 0.0),
        (-60.0, (1, 1), 0.0, 0.0),
        (42.5, (1, 1), 12.5, 1.0),
        (72.5, (1, 1), 12.5, 0.0),
        (-17.5, (1, 1), 12.5, 1.0),
        (-47.5, (1, 1), 12.5, 0.0),
        (-60.0, (2, 0), 0.0, 1.0),
        (-90.0, (2, 0), 0.0, 0.0),
        (30.0, (2, 0), 0.0, 0.0),
        (0.0, (0, 0), 0.0, 1.0),
        (30.0, (0, 0), 0.0, 0.0),
    ],
)
def test_offset_exactly_on_a_breakpoint(
    offset: float, window: tuple[int, int], delay: float, expected: float
) -> None:
    """On a breakpoint (entry delay plus a multiple of the period) every reading gives the same
    step difference: accepted always or never."""
    back, forward = window
    got = skew.acceptance(
        offset, period=30, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    assert got == expected
    assert by_segments(offset, 30, back, forward, delay) == expected


@pytest.mark.parametrize("offset", [1e6, -1e6, 1e6 + 0.5, -987654.321])
@pytest.mark.parametrize("window", [(1, 1), (10, 10), (0, 0)])
def test_huge_offsets_are_never_accepted(offset: float, window: tuple[int, int]) -> None:
    assert skew.acceptance(offset, steps_back=window[0], steps_forward=window[1]) == 0.0


@pytest.mark.parametrize("period", [0, -30, math.nan, math.inf, -math.inf, True, "30"])
def test_a_bad_period_is_refused(period: object) -> None:
    with pytest.raises(InputError, match="period"):
        skew.acceptance(10, period=period)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="period"):
        skew.acceptance_array([10], period=period)  # type: ignore[arg-type]


@pytest.mark.parametrize(("back", "forward"), [(-1, 1), (1, -1), (1.5, 1), (1, True), (-3, -3)])
def test_a_bad_window_is_refused(back: object, forward: object) -> None:
    with pytest.raises(InputError, match="window"):
        skew.acceptance(10, steps_back=back, steps_forward=forward)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="window"):
        skew.simulate(10, 10, steps_back=back, steps_forward=forward)  # type: ignore[arg-type]


@pytest.mark.parametrize("delay", [-1.0, math.nan, math.inf])
def test_a_bad_entry_delay_is_refused(delay: float) -> None:
    with pytest.raises(InputError, match="entry delay"):
        skew.acceptance(10, entry_delay=delay)


@pytest.mark.parametrize("offset", [math.nan, math.inf, -math.inf])
def test_an_offset_that_is_not_finite_is_refused(offset: float) -> None:
    with pytest.raises(InputError, match="finite"):
        skew.acceptance(offset)
    with pytest.raises(InputError, match="finite"):
        skew.simulate(offset, 10)
    with pytest.raises(InputError, match="finite"):
        skew.failure_rate([0.0, offset])


def test_bad_simulation_arguments_are_refused() -> None:
    with pytest.raises(InputError, match="period"):
        skew.simulate(0.0, 10, period=7.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="samples"):
        skew.simulate(0.0, -1)
    with pytest.raises(InputError, match="too far"):
        skew.simulate(2e9, 10)
    assert math.isnan(skew.simulate(0.0, 0))
    assert skew.simulate(0.0, 5, period=30.0) == 1.0  # type: ignore[arg-type]


def test_an_empty_population_is_refused() -> None:
    with pytest.raises(InputError, match="no offsets"):
        skew.failure_rate([])
    with pytest.raises(InputError, match="no offsets"):
        skew.failure_rates([], [(1, 1)])
    with pytest.raises(InputError, match="no offsets"):
        skew.smallest_window([], 0.01)


SIMULATED = [
    # period, back, forward, delay, offset
    (30, 1, 1, 0.0, 0.0),
    (30, 1, 1, 0.0, 37.3),
    (30, 1, 1, 0.0, -61.7),
    (30, 1, 1, 0.0, 44.9),
    (30, 1, 1, 0.0, 75.0),
    (60, 2, 0, 12.5, -89.999),
    (60, 2, 0, 12.5, 37.3),
    (15, 1, 3, 31.0, 0.001),
    (15, 1, 3, 31.0, 89.999),
    (7, 0, 1, 0.0, 10.2),
    (30, 12, 1, 0.0, -345.0),  # wider than TotpPolicy's default drift limit of 10 steps
]


@pytest.mark.parametrize(("period", "back", "forward", "delay", "offset"), SIMULATED)
def test_simulation_with_real_codes_lies_in_its_confidence_interval(
    period: int, back: int, forward: int, delay: float, offset: float
) -> None:
    """2,000 real codes through the reference verifier (fixed seed): the exact value lies within
    the 99.9 % Wilson interval of the simulated share; certain outcomes are simulated exactly."""
    samples = 2000
    simulated = skew.simulate(
        offset,
        samples,
        period=period,
        steps_back=back,
        steps_forward=forward,
        entry_delay=delay,
        seed=7,
    )
    exact = skew.acceptance(
        offset, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    low, high = skew.wilson_interval(simulated * samples, samples)
    assert low <= exact <= high, (simulated, exact)
    if exact in (0.0, 1.0):
        assert simulated == exact


def test_simulation_is_reproducible_and_depends_on_the_seed() -> None:
    assert skew.simulate(45.0, 500, seed=1) == skew.simulate(45.0, 500, seed=1)
    assert skew.simulate(45.0, 500, seed=1) != skew.simulate(45.0, 500, seed=2)


def test_simulation_in_several_chunks() -> None:
    """More samples than one chunk: the chunks add up."""
    samples = skew._CHUNK + 3001
    simulated = skew.simulate(50.0, samples, seed=3)
    low, high = skew.wilson_interval(simulated * samples, samples)
    exact = skew.acceptance(50.0)
    assert exact == pytest.approx(1 / 3)
    assert low <= exact <= high


def test_wilson_interval_known_values() -> None:
    """Wilson (1927) score interval, checked against values computed by hand."""
    low, high = skew.wilson_interval(50, 100, z=1.96)
    assert low == pytest.approx(0.40383, abs=1e-5)
    assert high == pytest.approx(0.59617, abs=1e-5)
    low, high = skew.wilson_interval(0, 2000)
    assert low == 0.0
    assert high == pytest.approx(3.29**2 / (2000 + 3.29**2), rel=1e-9)
    assert skew.wilson_interval(2000, 2000)[1] == 1.0
    assert skew.wilson_interval(0, 0) == (0.0, 1.0)


def test_curve_points_pair_exact_and_simulated() -> None:
    offsets = skew.offsets_between(-60, 60, 30)
    assert offsets == [-60.0, -30.0, 0.0, 30.0, 60.0]
    points = skew.acceptance_curve(offsets, samples=200)
    assert [p.exact for p in points] == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert [p.simulated for p in points] == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert points[0].as_dict() == {
        "offset_s": -60.0,
        "exact": 0.0,
        "simulated": 0.0,
        "samples": 200,
    }
    assert skew.acceptance_curve([45.0])[0].simulated is None


def test_population_failure_rates() -> None:
    """The population's failure rate is the mean of each user's refusal probability; the
    one-pass table agrees with it; the smallest window meets the target and no smaller one
    does."""
    population = skew.normal_population(20.0, 50_000, seed=4)
    windows = [(b, f) for b in range(4) for f in range(4)]
    table = skew.failure_rates(population, windows)
    for (back, forward), rate in zip(windows, table, strict=True):
        direct = skew.failure_rate(population, steps_back=back, steps_forward=forward)
        mean = 1 - np.mean([by_segments(o, 30, back, forward, 0.0) for o in population[:200]])
        assert rate == pytest.approx(direct, abs=1e-12)
        assert 0.0 <= rate <= 1.0
        assert skew.failure_rate(
            population[:200], steps_back=back, steps_forward=forward
        ) == pytest.approx(mean, abs=1e-9)
    found = skew.smallest_window(population, 0.001)
    assert found is not None
    back, forward, rate = found
    assert rate <= 0.001
    assert rate == pytest.approx(
        skew.failure_rate(population, steps_back=back, steps_forward=forward)
    )
    smaller = [w for w in windows if sum(w) < back + forward]
    assert all(table[windows.index(w)] > 0.001 for w in smaller)
    assert skew.smallest_window(population, 0.0, limit=1) is None


def test_a_first_row_written_as_a_duration_is_an_offset_not_a_header() -> None:
    """A population file whose first line is ``-40s`` keeps it as a user's offset."""
    from twofa_sim.labs.skew import read_population

    assert list(read_population(["-40s\n", "12\n", "5\n"], "pop.csv")) == [-40.0, 12.0, 5.0]
    assert list(read_population(["offset_s\n", "3\n"], "pop.csv")) == [3.0]

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
from pathlib import Path

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


# --- the verdicts the command prints, for library callers ---------------------------------------


def test_family_z_widens_each_interval_with_the_number_of_points() -> None:
    """Bonferroni: one point at 99.9 % two-sided is z = 3.29; nine points share the 0.1 %, so
    each is at 99.9889 % (z = 3.86); the quantile never shrinks as points are added."""
    assert skew.family_z(1) == pytest.approx(3.2905, abs=1e-4)
    assert skew.family_z(9) == pytest.approx(3.8649, abs=1e-4)
    values = [skew.family_z(n) for n in (1, 2, 10, 100, 1000)]
    assert values == sorted(values)


def test_check_curve_flags_a_simulated_value_outside_its_interval() -> None:
    """check_curve says inside for a simulated share equal to the exact value, outside for one
    far off, and None for a point not simulated; its intervals are the family's."""
    points = [
        skew.CurvePoint(45.0, 0.5, 0.5, 2000),
        skew.CurvePoint(45.0, 0.5, 0.40, 2000),
        skew.CurvePoint(0.0, 1.0, None, 0),
    ]
    checks = skew.check_curve(points)
    assert [c.inside for c in checks] == [True, False, None]
    low, high = skew.wilson_interval(1000, 2000, skew.family_z(3))
    assert (checks[0].low, checks[0].high) == (low, high)
    assert math.isnan(checks[2].low)


def test_parse_share_reads_percent_and_fractions() -> None:
    """`0.1%` and `0.001` are the same share; outside 0..100 % or not a number is refused."""
    assert skew.parse_share("0.1%") == pytest.approx(0.001)
    assert skew.parse_share(" 0.001 ") == pytest.approx(0.001)
    for bad in ("150%", "lots", "-1", "nan"):
        with pytest.raises(InputError, match="--target-failure"):
            skew.parse_share(bad)


def test_parse_population_reads_a_normal_spec_and_a_file(tmp_path: Path) -> None:
    """`normal:sigma=20s,mean=5s` is an exact population; a CSV path is measured offsets; a
    device such as /dev/zero is refused as not a regular file, a missing path as no such file."""
    normal = skew.parse_population("normal:sigma=20s,mean=5s")
    assert normal.exact and (normal.sigma, normal.mean) == (20.0, 5.0)
    assert normal.interval(0.01) is None
    path = tmp_path / "offsets.csv"
    path.write_text("\ufeffoffset_s\n1\n-2s\n", encoding="utf-8")
    measured = skew.parse_population(str(path))
    assert not measured.exact and measured.offsets is not None
    assert measured.offsets.tolist() == [1.0, -2.0]
    with pytest.raises(InputError, match="not a regular file"):
        skew.parse_population("/dev/zero")
    with pytest.raises(InputError, match="no such file"):
        skew.parse_population(str(tmp_path / "missing.csv"))


def _integrated(
    sigma: float, mean: float, period: float, back: int, forward: int, delay: float
) -> float:
    """1 - E[acceptance(X)], X normal, by composite Simpson's rule on each straight piece of the
    curve (breakpoints included), out to 14 sigma: a numerical integration of the closed form."""
    low, high = mean - 14 * sigma, mean + 14 * sigma
    breaks = [delay + k * period for k in range(-back - 1, forward + 2)]
    edges = sorted({low, high, *(b for b in breaks if low < b < high)})
    total = 0.0
    for a, b in itertools.pairwise(edges):
        xs = np.linspace(a, b, 2001)
        density = np.exp(-0.5 * ((xs - mean) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        ys = density * skew.acceptance_array(
            xs, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
        )
        h = (b - a) / 2000
        total += h / 3 * (ys[0] + ys[-1] + 4 * ys[1:-1:2].sum() + 2 * ys[2:-1:2].sum())
    return 1.0 - total


@pytest.mark.parametrize(
    ("sigma", "mean", "period", "window", "delay"),
    [
        (20.0, 0.0, 30, (2, 2), 0.0),
        (20.0, 0.0, 30, (1, 1), 0.0),
        (25.0, 5.0, 20, (1, 3), 4.0),
        (3.0, -40.0, 30, (0, 0), 2.0),
        (90.0, 10.0, 30, (3, 1), 0.0),
    ],
)
def test_normal_failure_rate_is_the_integral_of_the_curve(
    sigma: float, mean: float, period: int, window: tuple[int, int], delay: float
) -> None:
    """The exact rate of a normal population agrees with numerical integration of the
    acceptance curve against the normal density (issue 16, item 17: no random sample)."""
    back, forward = window
    exact = skew.normal_failure_rate(
        sigma, mean=mean, period=period, steps_back=back, steps_forward=forward, entry_delay=delay
    )
    assert exact == pytest.approx(_integrated(sigma, mean, period, back, forward, delay), abs=1e-9)


def test_normal_failure_rate_known_value_and_edges() -> None:
    """Sigma 20 s, window 2/2: 0.0509 % (the issue's figure); sigma 0 is the curve at the mean;
    a bad sigma is refused."""
    assert skew.normal_failure_rate(20, steps_back=2, steps_forward=2) == pytest.approx(
        0.000508613, rel=1e-5
    )
    assert skew.normal_failure_rate(0, mean=45) == 0.5
    assert skew.normal_failure_rate(0.5, mean=0, steps_back=3, steps_forward=3) == 0.0
    with pytest.raises(InputError, match="sigma"):
        skew.normal_failure_rate(-1)
    with pytest.raises(InputError, match="sigma"):
        skew.normal_failure_rate(math.nan)


def test_answer_target_for_a_normal_population_is_exact() -> None:
    """answer_target over a normal population picks the smallest window by exact rates: 2/2
    meets 0.051 % (0.0509 %), 2/1 does not (1.95 %); no interval, so no doubt."""
    found = skew.answer_target(skew.parse_population("normal:sigma=20s"), 0.00051)
    assert found is not None
    assert (found.steps_back, found.steps_forward) == (2, 2)
    assert found.interval is None and found.certain
    assert skew.answer_target(skew.parse_population("normal:sigma=20s"), 0.0, limit=2) is None

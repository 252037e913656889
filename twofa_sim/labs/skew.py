"""Clock skew, exactly: the probability that a TOTP code from a skewed device is accepted.

The model. A device whose clock is ``offset`` seconds ahead of the server (negative: behind)
shows the code of step ``floor((t + offset - t0) / period)`` at server time ``t``. The user reads
it at a moment uniformly distributed in time and types it ``entry_delay`` seconds later; the
server, at ``t + entry_delay``, accepts steps from ``steps_back`` before to ``steps_forward``
after its own (the :class:`~twofa_sim.core.otp.TotpPolicy` fields of those names, a fresh
verifier: no drift learnt yet).

With ``delta = (offset - entry_delay) / period``, ``n = floor(delta)`` and ``phi = delta - n``,
the device's step minus the server's is ``n`` with probability ``1 - phi`` and ``n + 1`` with
probability ``phi``; so

    P(accept) = (1 - phi) * [-back <= n <= forward] + phi * [-back <= n + 1 <= forward]

a continuous, piecewise-linear function of the offset with its breakpoints at ``entry_delay``
plus multiples of the period: a sum of ``back + forward + 1`` triangles, one per accepted step
difference ``k``, each ``2 * period`` wide at the base and peaking at 1 where
``offset = entry_delay + k * period``. Its area over all offsets is therefore
``(back + forward + 1) * period`` seconds.

What the model leaves out: a code from a step outside the window that happens to equal the code
of a step inside it (probability about ``(back + forward + 1) / 10**digits`` per attempt) is
accepted by a real verifier. :func:`simulate` checks the model with real codes through the
reference verifier, so it includes that effect; at 6 digits it is far below what a binomial
confidence interval can see.

>>> acceptance(0, period=30)
1.0
>>> acceptance(45, period=30)
0.5
>>> acceptance(-75, period=30, steps_back=1, steps_forward=1)
0.0
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from twofa_sim.errors import InputError

if TYPE_CHECKING:  # NumPy loads when an array is made: the scalar curve (reports) needs none
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DEFAULT_USERS",
    "FAMILY_CONFIDENCE",
    "POPULATION_CONFIDENCE",
    "CurvePoint",
    "PointCheck",
    "Population",
    "WindowAnswer",
    "acceptance",
    "acceptance_array",
    "acceptance_curve",
    "answer_target",
    "breakpoints",
    "check_curve",
    "check_point",
    "failure_rate",
    "failure_rates",
    "family_z",
    "normal_failure_rate",
    "normal_population",
    "offsets_between",
    "parse_population",
    "parse_share",
    "read_population",
    "simulate",
    "smallest_window",
    "wilson_interval",
]


def _check(period: float, steps_back: int, steps_forward: int, entry_delay: float = 0.0) -> None:
    if (
        isinstance(period, bool)
        or not isinstance(period, int | float)
        or not math.isfinite(period)
        or period <= 0
    ):
        raise InputError(
            f"the period must be a positive number of seconds, not {period!r}", where="period"
        )
    for name, value in (("steps_back", steps_back), ("steps_forward", steps_forward)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"the window's {name} must be a whole number >= 0", where=name)
    if (
        isinstance(entry_delay, bool)
        or not isinstance(entry_delay, int | float)
        or not math.isfinite(entry_delay)
        or entry_delay < 0
    ):
        raise InputError(
            f"the entry delay must be a finite number of seconds >= 0, not {entry_delay!r}",
            where="entry_delay",
        )


def _offsets(offsets: npt.ArrayLike, where: str) -> npt.NDArray[np.float64]:
    import numpy as np

    try:
        values = np.asarray(offsets, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the offsets must be numbers of seconds", where=where) from None
    if not np.isfinite(values).all():
        raise InputError("an offset is not a finite number of seconds", where=where)
    return values


def acceptance_array(
    offsets: npt.ArrayLike,
    *,
    period: float = 30.0,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
) -> npt.NDArray[np.float64]:
    """:func:`acceptance` for many offsets at once (a NumPy array of probabilities)."""
    import numpy as np

    _check(period, steps_back, steps_forward, entry_delay)
    delta = (_offsets(offsets, "offset") - float(entry_delay)) / float(period)
    n = np.floor(delta)
    phi = delta - n
    inside = ((n >= -steps_back) & (n <= steps_forward)).astype(np.float64)
    inside_next = ((n + 1 >= -steps_back) & (n + 1 <= steps_forward)).astype(np.float64)
    result: npt.NDArray[np.float64] = (1.0 - phi) * inside + phi * inside_next
    return result


def acceptance(
    offset: float,
    *,
    period: float = 30.0,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
) -> float:
    """The exact probability that a code from a device ``offset`` seconds ahead is accepted
    (the same arithmetic as :func:`acceptance_array`, in plain floats: no NumPy needed)."""
    _check(period, steps_back, steps_forward, entry_delay)
    if isinstance(offset, bool):
        raise InputError("the offsets must be numbers of seconds", where="offset")
    try:
        value = float(offset)
    except (TypeError, ValueError):
        raise InputError("the offsets must be numbers of seconds", where="offset") from None
    if not math.isfinite(value):
        raise InputError("an offset is not a finite number of seconds", where="offset")
    delta = (value - float(entry_delay)) / float(period)
    n = float(math.floor(delta))
    phi = delta - n
    inside = float(-steps_back <= n <= steps_forward)
    inside_next = float(-steps_back <= n + 1 <= steps_forward)
    return (1.0 - phi) * inside + phi * inside_next


def breakpoints(
    low: float, high: float, *, period: float = 30.0, entry_delay: float = 0.0
) -> list[float]:
    """``low``, ``high`` and every offset between them where the curve bends (the entry delay
    plus a multiple of the period), sorted: the curve is straight between neighbours, so these
    offsets and their :func:`acceptance` draw or tabulate it exactly.

    >>> breakpoints(-50, 50, period=30, entry_delay=5)
    [-50, -25, 5, 35, 50]
    """
    _check(period, 0, 0, entry_delay)
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise InputError(f"no range from {low!r} to {high!r}", where="--from/--to")
    first = math.ceil((low - entry_delay) / period)
    last = math.floor((high - entry_delay) / period)
    if last - first > 1_000_000:
        raise InputError("the range holds too many steps to list", where="--from/--to")
    inner = (entry_delay + k * period for k in range(first, last + 1))
    return sorted({low, high, *(x for x in inner if low < x < high)})


@dataclass(frozen=True)
class CurvePoint:
    offset_s: float
    exact: float
    simulated: float | None
    samples: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "offset_s": self.offset_s,
            "exact": self.exact,
            "simulated": self.simulated,
            "samples": self.samples,
        }


def offsets_between(start: float, stop: float, step: float) -> list[float]:
    """``start``, ``start + step``, ... up to ``stop`` inclusive (without float creep)."""
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise InputError("--from and --to must be finite durations", where="--from/--to")
    if step <= 0 or not math.isfinite(step):
        raise InputError("the step must be a positive duration", where="--step")
    if stop < start:
        raise InputError(f"--from ({start:g} s) is after --to ({stop:g} s)", where="--from/--to")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > 1_000_000:
        raise InputError(f"{count} offsets is too many (at most 1,000,000)", where="--step")
    return [round(start + i * step, 9) for i in range(count)]


_BASE = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the simulated moments start here, far from any edge of the epoch."""
_SPAN_STEPS = 4096
"""The moments are spread over this many time steps: the phase inside a step is what matters,
and many steps mean many different codes."""
_CHUNK = 65_536
"""Samples drawn at a time (bounds the memory of a large simulation)."""
_MAX_OFFSET = 1e9
"""Farther than this (31 years) the device's clock would be before the epoch."""
_reason_of = operator.attrgetter("reason")


def _whole_period(period: float) -> int:
    if isinstance(period, float) and period.is_integer():
        period = int(period)
    if not isinstance(period, int) or period < 1:
        raise InputError(
            f"the simulation needs a whole number of seconds for the period, not {period!r}",
            where="period",
        )
    return period


def simulate(
    offset: float,
    samples: int,
    *,
    period: int = 30,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
    seed: int | str = 0,
) -> float:
    """The share of ``samples`` real codes accepted: each read at a uniformly random moment
    from a device ``offset`` ahead, typed ``entry_delay`` later, checked by the reference
    :meth:`TotpVerifier.verify <twofa_sim.core.otp.TotpVerifier.verify>` (a fresh state each time).

    One verification per sample, always: only the drawing of the moments and the device's codes
    (RFC 4226 :func:`~twofa_sim.core.otp.hotp` of the device's step, computed once per step) are
    done
    in bulk. The verifier's policy is the window asked for and nothing else: no diagnosis beyond
    it, and no drift limit (``max_drift_steps=None``; a :class:`~twofa_sim.core.otp.TotpPolicy`'s
    default limit of 10 steps would clip a wider window). ``samples == 0`` gives NaN.
    """
    import numpy as np

    from twofa_sim.core.otp import OtpParams, Reason, TotpPolicy, TotpState, TotpVerifier, hotp
    from twofa_sim.core.seeding import stream

    _check(period, steps_back, steps_forward, entry_delay)
    whole = _whole_period(period)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise InputError(f"samples must be a whole number >= 0, not {samples!r}", where="samples")
    if not (isinstance(offset, int | float) and math.isfinite(offset)):
        raise InputError(f"the offset must be a finite number, not {offset!r}", where="offset")
    if abs(offset) > _MAX_OFFSET:
        raise InputError(f"an offset of {offset:g} s is too far to simulate", where="offset")
    if samples == 0:
        return float("nan")
    rng = stream(seed, "skew", offset, period, steps_back, steps_forward, entry_delay)
    key = rng.randbytes(20)  # 160 bits (RFC 4226 section 4, R6)
    moments = np.random.default_rng(rng.getrandbits(128))
    verify = TotpVerifier(
        key,
        OtpParams(period=whole),
        policy=TotpPolicy(
            steps_back=steps_back,
            steps_forward=steps_forward,
            max_drift_steps=None,
            diagnose_steps=0,
        ),
    ).verify
    fresh, accepted_reason = TotpState(), Reason.ACCEPTED
    shown: dict[int, str] = {}  # what the device shows at each of its steps
    accepted = 0
    for done in range(0, samples, _CHUNK):
        count = min(_CHUNK, samples - done)
        read_at = _BASE + moments.random(count) * float(whole * _SPAN_STEPS)
        # The device's step, as RFC 6238 computes it from the device's clock (float floor
        # division, as :func:`~twofa_sim.core.otp.time_step` does).
        steps, which = np.unique(np.floor_divide(read_at + offset, whole), return_inverse=True)
        codes_of_steps = []
        for step in map(int, steps.tolist()):
            code = shown.get(step)
            if code is None:
                code = shown[step] = hotp(key, step)
            codes_of_steps.append(code)
        codes: list[str] = np.asarray(codes_of_steps, dtype=object)[which].tolist()
        typed_at: list[float] = (read_at + float(entry_delay)).tolist()
        verdicts = map(verify, codes, typed_at, repeat(fresh, count))
        accepted += list(map(_reason_of, verdicts)).count(accepted_reason)
    return accepted / samples


def wilson_interval(successes: float, samples: int, z: float = 3.29) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (z = 3.29: 99.9 %)."""
    if samples <= 0:
        return (0.0, 1.0)
    p = successes / samples
    denominator = 1 + z * z / samples
    centre = (p + z * z / (2 * samples)) / denominator
    half = z * math.sqrt(p * (1 - p) / samples + z * z / (4 * samples * samples)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def acceptance_curve(
    offsets: Sequence[float],
    *,
    period: int = 30,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
    samples: int = 0,
    seed: int | str = 0,
) -> list[CurvePoint]:
    """The exact curve at each offset, with the simulated share beside it if ``samples``."""
    exact = acceptance_array(
        offsets,
        period=period,
        steps_back=steps_back,
        steps_forward=steps_forward,
        entry_delay=entry_delay,
    ).tolist()
    return [
        CurvePoint(
            float(offset),
            value,
            simulate(
                offset,
                samples,
                period=period,
                steps_back=steps_back,
                steps_forward=steps_forward,
                entry_delay=entry_delay,
                seed=seed,
            )
            if samples
            else None,
            samples,
        )
        for offset, value in zip(offsets, exact, strict=True)
    ]


def failure_rate(
    offsets: npt.ArrayLike,
    *,
    period: float = 30.0,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
) -> float:
    """The expected share of logins refused over a population of device offsets (exact per
    user, averaged over the users)."""
    population = _population(offsets)
    values = acceptance_array(
        population,
        period=period,
        steps_back=steps_back,
        steps_forward=steps_forward,
        entry_delay=entry_delay,
    )
    return float(1.0 - values.mean())


def _population(offsets: npt.ArrayLike) -> npt.NDArray[np.float64]:
    population = _offsets(offsets, "--population")
    if population.size == 0:
        raise InputError("the population holds no offsets", where="--population")
    return population


def _step_shares(
    population: npt.NDArray[np.float64], period: float, entry_delay: float, reach: int
) -> npt.NDArray[np.float64]:
    """The share of the population's attempts whose device step minus the server's is ``k``,
    for ``k`` from ``-reach`` to ``reach`` (index ``k + reach``); farther differences, which no
    window up to ``reach`` accepts, are left out."""
    import numpy as np

    delta = (population - float(entry_delay)) / float(period)
    n = np.floor(delta)
    phi = delta - n
    size = 2 * reach + 3  # -reach-1 .. reach+1: the two outer bins gather everything beyond
    low = np.clip(n, -reach - 1, reach + 1).astype(np.intp) + reach + 1
    high = np.clip(n + 1, -reach - 1, reach + 1).astype(np.intp) + reach + 1
    mass = np.bincount(low, weights=1.0 - phi, minlength=size)
    mass += np.bincount(high, weights=phi, minlength=size)
    shares: npt.NDArray[np.float64] = mass[1:-1] / population.size
    return shares


def failure_rates(
    offsets: npt.ArrayLike,
    windows: Iterable[tuple[int, int]],
    *,
    period: float = 30.0,
    entry_delay: float = 0.0,
) -> list[float]:
    """:func:`failure_rate` for each window ``(back, forward)``, from one pass over the
    population (what a table of window settings needs)."""
    wanted = list(windows)
    for back, forward in wanted:
        _check(period, back, forward, entry_delay)
    population = _population(offsets)
    reach = max((max(back, forward) for back, forward in wanted), default=0)
    shares = _step_shares(population, period, entry_delay, reach)
    return [
        max(0.0, 1.0 - float(shares[reach - back : reach + forward + 1].sum()))
        for back, forward in wanted
    ]


def smallest_window(
    offsets: npt.ArrayLike,
    target: float,
    *,
    period: float = 30.0,
    entry_delay: float = 0.0,
    limit: int = 10,
) -> tuple[int, int, float] | None:
    """The window (back, forward) with the fewest steps in all whose failure rate is at most
    ``target`` (ties: the more balanced one, then the lower rate), with its rate; ``None``
    within ``limit`` steps each way."""
    _check(period, limit, limit, entry_delay)
    shares = _step_shares(_population(offsets), period, entry_delay, limit)
    for total in range(2 * limit + 1):
        candidates = []
        for back in range(max(0, total - limit), min(total, limit) + 1):
            forward = total - back
            rate = max(0.0, 1.0 - float(shares[limit - back : limit + forward + 1].sum()))
            if rate <= target:
                candidates.append((abs(back - forward), rate, back, forward))
        if candidates:
            _, rate, back, forward = min(candidates)
            return (back, forward, rate)
    return None


def normal_population(
    sigma: float, count: int, *, mean: float = 0.0, seed: int = 0
) -> npt.NDArray[np.float64]:
    """``count`` device offsets drawn from a normal distribution (seeded)."""
    import numpy as np

    generator = np.random.default_rng(seed)
    values: npt.NDArray[np.float64] = generator.normal(mean, sigma, count)
    return values


def read_population(lines: Iterable[str], where: str) -> npt.NDArray[np.float64]:
    """Offsets in seconds from a CSV (one column, or a column named ``offset_s``/``offset``)."""
    import csv

    import numpy as np

    from twofa_sim.core.clock import parse_duration

    rows = list(csv.reader(lines))
    if not rows:
        raise InputError("the population file is empty", where=where)
    column = 0
    start = 0
    header = [cell.strip().lower() for cell in rows[0]]
    if any(not _is_number(cell) for cell in rows[0]):
        for name in ("offset_s", "offset", "offset_seconds"):
            if name in header:
                column = header.index(name)
                break
        else:
            if len(header) != 1:
                raise InputError(
                    "which column holds the offsets? name it offset_s", where=f"{where}:1"
                )
        start = 1
    values = []
    for number, row in enumerate(rows[start:], start + 1):
        if not row or not "".join(row).strip():
            continue
        try:
            values.append(parse_duration(row[column].strip()))
        except (InputError, IndexError):
            raise InputError(
                f"line {number}: {row!r} holds no offset in column {column + 1}",
                where=f"{where}:{number}",
                hint="seconds (12.5) or a duration (-40s)",
            ) from None
    if not values:
        raise InputError("the population file holds no offsets", where=where)
    return np.asarray(values, dtype=np.float64)


def _is_number(text: str) -> bool:
    """A cell that holds an offset (``12.5``, ``-40s``), not a column name."""
    from twofa_sim.core.clock import parse_duration

    try:
        parse_duration(text.strip())
    except InputError:
        return False
    return True


# --- checking a simulation against the closed form ---------------------------------------------

FAMILY_CONFIDENCE = 0.999
"""The chance that a correct model passes a whole curve's check (:func:`check_curve`)."""


def family_z(points: int, confidence: float = FAMILY_CONFIDENCE) -> float:
    """The normal quantile for each of ``points`` intervals so that all of them hold together
    with ``confidence`` (Bonferroni). One interval at 99.9 % per point would raise false alarms
    on a long curve: 58 points strictly between 0 and 1 (the default range) fail one run in
    eighteen.

    >>> round(family_z(1), 2), round(family_z(9), 2)
    (3.29, 3.86)
    """
    from statistics import NormalDist

    alpha = (1 - confidence) / max(points, 1)
    return NormalDist().inv_cdf(1 - alpha / 2)


@dataclass(frozen=True)
class PointCheck:
    """The Wilson interval of a point's exact value for its sample count, and whether the
    simulated value lies in it (``None``: not simulated; the bounds are then NaN)."""

    low: float
    high: float
    inside: bool | None


def check_point(point: CurvePoint, z: float) -> PointCheck:
    """Whether ``point``'s simulated share lies in the Wilson interval (at quantile ``z``) of its
    exact value."""
    if point.simulated is None or not point.samples:
        return PointCheck(math.nan, math.nan, None)
    low, high = wilson_interval(point.exact * point.samples, point.samples, z)
    # The bounds at a share of exactly 0 or 1 come out a rounding error inside it for some z.
    slack = 1e-9
    return PointCheck(low, high, low - slack <= point.simulated <= high + slack)


def check_curve(
    points: Sequence[CurvePoint], confidence: float = FAMILY_CONFIDENCE
) -> list[PointCheck]:
    """:func:`check_point` for every point, each interval widened so that the whole curve
    passes with ``confidence`` when the model is right (:func:`family_z`): the verdict
    ``twofa-sim skew --samples`` prints and exits by (exit 1 if any ``inside`` is False)."""
    z = family_z(len(points), confidence)
    return [check_point(point, z) for point in points]


# --- populations -------------------------------------------------------------------------------

DEFAULT_USERS = 1_000_000
"""How many offsets a normal population's plot draws unless told (its rates are exact)."""
POPULATION_CONFIDENCE = 0.999
"""The level of a measured population's intervals (:meth:`Population.intervals`)."""


def _excess(s: float) -> float:
    """``E[(Z - s)+]`` for a standard normal ``Z``: ``phi(s) - s * Q(s)``, with ``Q`` the upper
    tail (``erfc``, so that far tails keep their relative precision)."""
    density = math.exp(-0.5 * s * s) / math.sqrt(2 * math.pi)
    return max(0.0, density - s * 0.5 * math.erfc(s / math.sqrt(2)))


def normal_failure_rate(
    sigma: float,
    *,
    mean: float = 0.0,
    period: float = 30.0,
    steps_back: int = 1,
    steps_forward: int = 1,
    entry_delay: float = 0.0,
) -> float:
    """The exact share of logins refused when device offsets are normal (``mean``, ``sigma``):
    ``1 - E[acceptance(X)]``, in closed form, with no sampling.

    The window's curve is a trapezoid (see the module's docstring): 1 between ``lo = entry_delay
    - steps_back * period`` and ``hi = entry_delay + steps_forward * period``, falling linearly to
    0 one period further out on each side. So a login fails with probability ``((lo - x)+ - (lo -
    period - x)+) / period`` below the window and ``((x - hi)+ - (x - hi - period)+) / period``
    above it, and for normal ``X`` each ``E[(X - a)+]`` is ``sigma * E[(Z - t)+]`` with ``t = (a -
    mean) / sigma``: the normal distribution's partial expectation.

    >>> round(normal_failure_rate(20, steps_back=2, steps_forward=2) * 100, 4)  # percent
    0.0509
    """
    _check(period, steps_back, steps_forward, entry_delay)
    for name, value in (("sigma", sigma), ("mean", mean)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{name} must be a number of seconds", where=name)
        if not math.isfinite(value):
            raise InputError(f"{name} must be finite", where=name)
    if sigma < 0:
        raise InputError(f"sigma must be >= 0 s, not {sigma:g} s", where="sigma")
    if sigma == 0:
        refused = 1.0 - acceptance(
            mean,
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=entry_delay,
        )
        return max(0.0, refused)
    lo = entry_delay - steps_back * period
    hi = entry_delay + steps_forward * period

    def above(a: float) -> float:  # E[(X - a)+]
        return sigma * _excess((a - mean) / sigma)

    def below(a: float) -> float:  # E[(a - X)+]
        return sigma * _excess((mean - a) / sigma)

    refused = (below(lo) - below(lo - period) + above(hi) - above(hi + period)) / period
    return min(1.0, max(0.0, refused))


@dataclass(frozen=True)
class Population:
    """Device offsets to judge windows over: a normal distribution (``sigma``, ``mean``), whose
    rates are exact (:func:`normal_failure_rate`), or measured offsets (``offsets``), whose
    rates are exact for those users and come with a confidence interval for the population they
    were drawn from. ``label`` is for people, ``description`` for JSON."""

    label: str
    description: dict[str, Any]
    offsets: npt.NDArray[np.float64] | None = None
    sigma: float | None = None
    mean: float = 0.0

    @property
    def exact(self) -> bool:
        """The rates are the distribution's own (no sample, so no interval)."""
        return self.sigma is not None

    def failure_rates(
        self, windows: Iterable[tuple[int, int]], *, period: float = 30.0, entry_delay: float = 0.0
    ) -> list[float]:
        """The share of logins refused for each window ``(steps_back, steps_forward)``."""
        wanted = list(windows)
        if self.sigma is not None:
            return [
                normal_failure_rate(
                    self.sigma,
                    mean=self.mean,
                    period=period,
                    steps_back=back,
                    steps_forward=forward,
                    entry_delay=entry_delay,
                )
                for back, forward in wanted
            ]
        assert self.offsets is not None
        return failure_rates(self.offsets, wanted, period=period, entry_delay=entry_delay)

    def interval(
        self, rate: float, confidence: float = POPULATION_CONFIDENCE
    ) -> tuple[float, float] | None:
        """Where the population's rate lies, at ``confidence``, given the rate over the measured
        users (``None`` for a distribution: its rate is exact).

        A Wilson score interval over the users, each contributing their own chance of being
        refused (a number from 0 to 1, not a yes or no): such a mean varies less than a
        proportion with the same mean, so the interval is conservative."""
        if self.offsets is None:
            return None
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
        return wilson_interval(rate * self.offsets.size, int(self.offsets.size), z)

    def sample(self, count: int, seed: int = 0) -> npt.NDArray[np.float64]:
        """Offsets to draw a histogram of: the measured ones, or ``count`` drawn (seeded)."""
        if self.offsets is not None:
            return self.offsets
        assert self.sigma is not None
        return normal_population(self.sigma, count, mean=self.mean, seed=seed)


@dataclass(frozen=True)
class WindowAnswer:
    """The smallest window whose failure rate meets a target, and how sure that is.

    For measured offsets, ``interval`` is where the population's rate for this window lies
    (:meth:`Population.interval`); ``target_within`` says the target lies inside it (the users
    measured cannot tell whether this window meets the target); ``smaller`` is a window with
    fewer steps whose interval reaches down to the target (it might meet it too), if any.
    """

    steps_back: int
    steps_forward: int
    failure_rate: float
    target: float
    interval: tuple[float, float] | None = None
    smaller: tuple[int, int, float, tuple[float, float]] | None = None

    @property
    def target_within(self) -> bool:
        return self.interval is not None and self.interval[0] <= self.target < self.interval[1]

    @property
    def certain(self) -> bool:
        """Exact, or the interval clear of the target and no smaller window in doubt."""
        return not self.target_within and self.smaller is None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "steps_back": self.steps_back,
            "steps_forward": self.steps_forward,
            "failure_rate": self.failure_rate,
        }
        if self.interval is not None:
            data["interval"] = list(self.interval)
            data["target_within_interval"] = self.target_within
            data["smaller_window_possible"] = (
                None
                if self.smaller is None
                else {
                    "steps_back": self.smaller[0],
                    "steps_forward": self.smaller[1],
                    "failure_rate": self.smaller[2],
                    "interval": list(self.smaller[3]),
                }
            )
        return data


def _by_size(limit: int) -> list[list[tuple[int, int]]]:
    """Every window up to ``limit`` steps each way, grouped by their total number of steps."""
    return [
        [(back, total - back) for back in range(max(0, total - limit), min(total, limit) + 1)]
        for total in range(2 * limit + 1)
    ]


def answer_target(
    population: Population,
    target: float,
    *,
    period: float = 30.0,
    entry_delay: float = 0.0,
    limit: int = 10,
) -> WindowAnswer | None:
    """The window with the fewest steps in all whose failure rate over ``population`` is at
    most ``target`` (ties: the more balanced one, then the lower rate), with how sure that is
    (:class:`WindowAnswer`); ``None`` when no window up to ``limit`` steps each way meets it.
    The verdict ``twofa-sim skew --population ... --target-failure`` prints."""
    _check(period, limit, limit, entry_delay)
    groups = _by_size(limit)
    every = [window for group in groups for window in group]
    rates = dict(
        zip(
            every,
            population.failure_rates(every, period=period, entry_delay=entry_delay),
            strict=True,
        )
    )
    for index, group in enumerate(groups):
        meeting = [(abs(b - f), rates[b, f], b, f) for b, f in group if rates[b, f] <= target]
        if not meeting:
            continue
        _, rate, back, forward = min(meeting)
        interval = population.interval(rate)
        smaller = None
        if interval is not None:
            doubtful = []
            for b, f in (window for earlier in groups[:index] for window in earlier):
                low_high = population.interval(rates[b, f])
                if low_high is not None and low_high[0] <= target:
                    doubtful.append((b + f, rates[b, f], b, f, low_high))
            if doubtful:
                _, r, b, f, low_high = min(doubtful, key=lambda d: (-d[0], d[1]))
                smaller = (b, f, r, low_high)
        return WindowAnswer(back, forward, rate, target, interval, smaller)
    return None


def _duration_in(text: str, where: str) -> float:
    from twofa_sim.core.clock import parse_duration

    try:
        seconds = parse_duration(text)
    except InputError as exc:
        raise exc.at(where) from None
    if not math.isfinite(seconds):
        raise InputError(f"{text!r} is not a finite duration", where=where)
    return seconds


def parse_population(spec: str, *, where: str = "--population") -> Population:
    """A population from ``normal:sigma=20s[,mean=5s]`` (exact rates) or the path of a CSV file
    of measured offsets (:func:`read_population`; read with the cap of
    :data:`twofa_sim.files.MAX_TABLE_BYTES`)."""
    if spec.lower().startswith("normal:"):
        values: dict[str, float] = {}
        for part in spec[len("normal:") :].split(","):
            name, equals, text = part.partition("=")
            name = name.strip().lower()
            if not equals or name not in ("sigma", "mean"):
                raise InputError(
                    f"cannot read {part.strip()!r} in {spec!r}",
                    where=where,
                    hint="normal:sigma=20s or normal:sigma=20s,mean=5s",
                )
            if name in values:
                raise InputError(f"{name} is given twice in {spec!r}", where=where)
            values[name] = _duration_in(text, f"{where} {name}")
        if "sigma" not in values:
            raise InputError(
                f"{spec!r} gives no sigma", where=where, hint="normal:sigma=20s,mean=5s"
            )
        sigma, mean = values["sigma"], values.get("mean", 0.0)
        if sigma < 0:
            raise InputError(f"sigma must be >= 0 s, not {sigma:g} s", where=where)
        label = f"normal, sigma {sigma:g} s, mean {mean:g} s (exact rates)"
        description = {"kind": "normal", "sigma_s": sigma, "mean_s": mean, "method": "exact"}
        return Population(label, description, sigma=sigma, mean=mean)
    from twofa_sim.files import MAX_TABLE_BYTES, read_text

    name = os.fsencode(spec).decode("utf-8", "replace")
    try:
        text = read_text(spec, limit=MAX_TABLE_BYTES, where=where)
    except InputError as exc:
        raise InputError(
            f"{exc.what}: {name!r}",
            where=where,
            hint=exc.hint or "normal:sigma=20s[,mean=5s] or a CSV file of offsets in seconds",
        ) from None
    offsets = read_population(text.removeprefix("\ufeff").splitlines(), name)
    description = {
        "kind": "file",
        "path": name,
        "users": int(offsets.size),
        "method": "measured",
        "confidence": POPULATION_CONFIDENCE,
    }
    return Population(f"{name}, {offsets.size:,} measured offsets", description, offsets=offsets)


def parse_share(text: str, where: str = "--target-failure") -> float:
    """A share from ``0.1%`` or ``0.001``; 0 to 100 %."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a share", where=where, hint="write 0.1% or 0.001"
        ) from None
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise InputError(f"{text!r} is not between 0 % and 100 %", where=where, hint="e.g. 0.1%")
    return value

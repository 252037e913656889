"""``twofa-sim skew`` and ``twofa-sim drift``: clock skew as tables, JSON, CSV and plots.

The numbers come from :mod:`twofa_sim.labs.skew` (the closed form, the simulation with real codes,
populations) and :mod:`twofa_sim.labs.drift` (a drifting phone logging in for months); the pictures
from :mod:`twofa_sim.labs.skewplot`. This module parses options and prints.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from twofa_sim import cli as _cli
from twofa_sim.errors import CommandFailed, InputError

if TYPE_CHECKING:
    import numpy.typing as npt

    from twofa_sim.labs.drift import DriftResult
    from twofa_sim.labs.skew import CurvePoint

__all__: list[str] = []

TABLE_STEPS = 3
"""The population table shows every window from 0/0 to this many steps back and forward."""
SEARCH_STEPS = 10
"""How far :func:`twofa_sim.labs.skew.smallest_window` looks for a window meeting the target."""
_CURVE_ONLY = {"start": "--from", "stop": "--to", "step": "--step", "samples": "--samples"}


def _duration(value: str, option: str) -> float:
    from twofa_sim.core.clock import parse_duration

    try:
        seconds = parse_duration(value)
    except InputError as exc:
        raise exc.at(option) from None
    if not math.isfinite(seconds):
        raise InputError(f"{value!r} is not a finite duration", where=option)
    return seconds


def _plot_target(plot: Path | None) -> str | None:
    """The plot's format, checked (with its directory) before any slow work is done."""
    if plot is None:
        return None
    from twofa_sim.labs.skewplot import plot_format

    fmt = plot_format(plot)
    directory = plot.resolve().parent
    if str(plot) != "-" and not directory.is_dir():
        raise InputError(
            f"directory {_cli._display_path(directory)!r} does not exist", where="--plot"
        )
    return fmt


def _write_plot(plot: Path, fmt: str, figure: Any) -> None:
    from twofa_sim.labs.skewplot import render

    data = render(figure, "png" if fmt == "png" else "svg")
    _cli._write_output(plot, data, "--plot")
    click.echo(f"wrote {_cli._display_path(plot)} ({len(data):,} bytes)", err=True)


def _percent(value: float) -> str:
    """A share as a percentage with three significant digits, never in e-notation."""
    percent = value * 100
    if percent == 0 or percent >= 1:
        return f"{percent:.3g} %"
    decimals = 2 - math.floor(math.log10(percent))
    return f"{percent:.{decimals}f}".rstrip("0").rstrip(".") + " %"


# --- twofa-sim skew ----------------------------------------------------------------------------


_steps_back_option = click.option(
    "--steps-back",
    type=click.IntRange(0, 1000),
    default=1,
    show_default=True,
    help="Steps the verifier accepts behind its own.",
)
_steps_forward_option = click.option(
    "--steps-forward",
    type=click.IntRange(0, 1000),
    default=1,
    show_default=True,
    help="Steps the verifier accepts ahead of its own.",
)


@_cli.cli.command()
@_cli._period_option
@_steps_back_option
@_steps_forward_option
@click.option(
    "--from",
    "start",
    default="-150s",
    show_default=True,
    metavar="DURATION",
    help="First device offset (positive: the device is ahead of the server).",
)
@click.option("--to", "stop", default="150s", show_default=True, metavar="DURATION")
@click.option("--step", default="1s", show_default=True, metavar="DURATION")
@click.option(
    "--entry-delay",
    default="0s",
    show_default=True,
    metavar="DURATION",
    help="Time from reading the code to the server checking it.",
)
@click.option(
    "--samples",
    type=click.IntRange(0, 10_000_000),
    default=0,
    show_default=True,
    help="Real codes simulated per offset, checked against the exact value (0: exact only; "
    "301 offsets x 2000 samples take 10-15 s).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The simulation's seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also draw the curve (or the population) to FILE.png or FILE.svg.",
)
@click.option(
    "--population",
    metavar="SPEC",
    help="Instead of the curve, the failure rate of each window over a population of device "
    "offsets: normal:sigma=20s[,mean=5s] (drawn) or a CSV file of measured offsets.",
)
@click.option(
    "--target-failure",
    metavar="PERCENT",
    help="With --population: the smallest window whose failure rate is at most this (0.1%).",
)
@click.option(
    "--users",
    type=click.IntRange(1, 10_000_000),
    default=1_000_000,
    show_default=True,
    help="How many offsets a normal population draws.",
)
def skew(
    period: int,
    steps_back: int,
    steps_forward: int,
    start: str,
    stop: str,
    step: str,
    entry_delay: str,
    samples: int,
    seed: int,
    as_json: bool,
    as_csv: bool,
    plot: Path | None,
    population: str | None,
    target_failure: str | None,
    users: int,
) -> None:
    """How likely a code from a device whose clock is off is accepted.

    For each device clock offset: the probability that a code read at a random moment and
    typed after the entry delay is accepted, exactly (closed form) and, with --samples, by
    simulation with real codes through the reference verifier. Exit 1 when a simulated value
    lies outside the Wilson interval of the exact one, at 99.9 % for the whole curve (each
    point's level raised for the number of points, Bonferroni: one chance in a thousand of a
    false alarm per run, however many offsets).

    With --population: the expected share of failed logins for each window from 0/0 to 3/3
    over that population, and with --target-failure the smallest window that meets it.
    """
    if as_json and as_csv:
        _cli._fail_usage("--json/--csv", "choose one of --json and --csv")
    delay = _duration(entry_delay, "--entry-delay")
    if delay < 0:
        raise InputError("the entry delay cannot be negative", where="--entry-delay")
    fmt = _plot_target(plot)
    if population is not None:
        for name, option in _CURVE_ONLY.items():
            if _cli._given(name):
                _cli._fail_usage(
                    option, f"{option} draws the curve; it makes no sense with --population"
                )
        _population(
            population,
            target_failure,
            users,
            period=period,
            back=steps_back,
            forward=steps_forward,
            entry_delay=delay,
            seed=seed,
            as_json=as_json,
            as_csv=as_csv,
            plot=(plot, fmt) if plot is not None and fmt is not None else None,
        )
        return
    for name, option in (("target_failure", "--target-failure"), ("users", "--users")):
        if _cli._given(name):
            _cli._fail_usage(option, f"{option} needs --population")
    from twofa_sim.labs.skew import acceptance_curve, offsets_between

    try:
        offsets = offsets_between(
            _duration(start, "--from"), _duration(stop, "--to"), _duration(step, "--step")
        )
    except InputError as exc:
        raise _cli._option(exc, {}) from None
    try:
        points = acceptance_curve(
            offsets,
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=delay,
            samples=samples,
            seed=seed,
        )
    except InputError as exc:
        raise _cli._option(exc, {"offset": "--from/--to", "entry_delay": "--entry-delay"}) from None
    z = _family_z(len(points))
    checks = [_check(point, z) for point in points]
    outside = [p for p, (_, _, inside) in zip(points, checks, strict=True) if inside is False]
    if plot is not None and fmt is not None:
        from twofa_sim.labs.skewplot import curve_figure

        figure = curve_figure(
            points,
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=delay,
        )
        _write_plot(plot, fmt, figure)
    _cli._will_exit(_cli.EXIT_FAILED if outside else _cli.EXIT_OK)
    if as_json:
        _cli._emit_json(
            {
                "period": period,
                "window": {"steps_back": steps_back, "steps_forward": steps_forward},
                "entry_delay_s": delay,
                "points": [p.as_dict() for p in points],
            }
        )
    elif as_csv:
        _echo_csv(
            ["offset_s", "exact", "simulated", "samples"],
            (
                [p.offset_s, p.exact, "" if p.simulated is None else p.simulated, p.samples]
                for p in points
            ),
        )
    else:
        _print_curve(points, checks, period, steps_back, steps_forward, delay, samples, seed)
    if outside:
        where = ", ".join(f"{p.offset_s:g} s" for p in outside[:10])
        more = "" if len(outside) <= 10 else f" and {len(outside) - 10} more"
        raise CommandFailed(
            f"{len(outside)} of {len(points)} simulated values lie outside the Wilson "
            f"interval of the exact value, 99.9 % for the whole curve (at {where}{more})"
        )


FAMILY_CONFIDENCE = 0.999
"""The chance that a correct model passes the whole curve's check."""


def _family_z(points: int) -> float:
    """The normal quantile for each of ``points`` intervals so that all of them hold together
    with :data:`FAMILY_CONFIDENCE` (Bonferroni). One interval at 99.9 % per point would raise
    false alarms on a long curve: 58 points strictly between 0 and 1 (the default range) fail
    one run in eighteen."""
    from statistics import NormalDist

    alpha = (1 - FAMILY_CONFIDENCE) / max(points, 1)
    return NormalDist().inv_cdf(1 - alpha / 2)


def _check(point: CurvePoint, z: float) -> tuple[float, float, bool | None]:
    """The Wilson interval (at quantile ``z``) of the exact value for the point's sample count,
    and whether the simulated value lies in it (``None``: not simulated)."""
    from twofa_sim.labs.skew import wilson_interval

    if point.simulated is None or not point.samples:
        return (math.nan, math.nan, None)
    low, high = wilson_interval(point.exact * point.samples, point.samples, z)
    # The bounds at a share of exactly 0 or 1 come out a rounding error inside it for some z.
    slack = 1e-9
    return (low, high, low - slack <= point.simulated <= high + slack)


def _echo_csv(header: list[str], rows: Any) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


def _edges_text(period: int, back: int, forward: int, delay: float) -> str:
    full = (delay - back * period, delay + forward * period)
    zero = (delay - (back + 1) * period, delay + (forward + 1) * period)
    return (
        f"always accepted from {full[0]:+g} s to {full[1]:+g} s; "
        f"never below {zero[0]:+g} s or above {zero[1]:+g} s"
    )


def _print_curve(
    points: list[CurvePoint],
    checks: list[tuple[float, float, bool | None]],
    period: int,
    back: int,
    forward: int,
    delay: float,
    samples: int,
    seed: int,
) -> None:
    click.echo(
        f"period {period} s, window {back} back / {forward} forward, entry delay {delay:g} s "
        "(offset: how far the device is ahead of the server)"
    )
    click.echo(_edges_text(period, back, forward, delay))
    if samples:
        each = 100 * (1 - (1 - FAMILY_CONFIDENCE) / len(points))
        click.echo(
            f"simulated: {samples:,} real codes per offset through the reference verifier "
            f"(seed {seed}); interval: the exact value's Wilson interval, "
            f"{FAMILY_CONFIDENCE * 100:g} % for the whole curve ({each:.6g} % per offset)"
        )
    header = f"{'offset_s':>9}  {'exact':>7}  {'simulated':>9}  {'interval':>16}  inside"
    click.echo(header)
    click.echo("-" * len(header))
    for point, (low, high, inside) in zip(points, checks, strict=True):
        if inside is None:
            simulated, interval, verdict = "-", "-", "-"
        else:
            simulated = f"{point.simulated:.4f}"
            interval = f"[{low:.4f}, {high:.4f}]"
            verdict = "yes" if inside else "NO"
        click.echo(
            f"{point.offset_s:>9g}  {point.exact:>7.4f}  {simulated:>9}  {interval:>16}  {verdict}"
        )
    if samples:
        bad = sum(inside is False for _, _, inside in checks)
        if not bad:
            click.echo(
                f"all {len(points)} simulated values lie inside their intervals: the "
                "simulation with real codes agrees with the closed form"
            )


# --- populations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Population:
    offsets: npt.NDArray[Any]
    label: str
    description: dict[str, Any]


def _read_population_spec(spec: str, users: int, seed: int) -> _Population:
    from twofa_sim.labs.skew import normal_population, read_population

    where = "--population"
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
            values[name] = _duration(text, f"{where} {name}")
        if "sigma" not in values:
            raise InputError(
                f"{spec!r} gives no sigma", where=where, hint="normal:sigma=20s,mean=5s"
            )
        sigma, mean = values["sigma"], values.get("mean", 0.0)
        if sigma < 0:
            raise InputError(f"sigma must be >= 0 s, not {sigma:g} s", where=where)
        label = f"normal, sigma {sigma:g} s, mean {mean:g} s, {users:,} users drawn (seed {seed})"
        description = {
            "kind": "normal",
            "sigma_s": sigma,
            "mean_s": mean,
            "users": users,
            "seed": seed,
        }
        return _Population(
            normal_population(sigma, users, mean=mean, seed=seed), label, description
        )
    if _cli._given("users"):
        _cli._fail_usage("--users", "--users sizes a drawn population; not a file of offsets")
    path = Path(spec)
    name = _cli._display_path(path)
    if not path.is_file():
        raise InputError(
            f"no such file: {name!r}",
            where=where,
            hint="normal:sigma=20s[,mean=5s] or a CSV file of offsets in seconds",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {name!r}: {exc}", where=where) from None
    offsets = read_population(text.splitlines(), name)
    description = {"kind": "file", "path": name, "users": int(offsets.size)}
    return _Population(offsets, f"{name}, {offsets.size:,} measured offsets", description)


def _fraction(text: str) -> float:
    """A share from ``0.1%`` or ``0.001``; 0 to 100 %."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a share", where="--target-failure", hint="write 0.1% or 0.001"
        ) from None
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise InputError(
            f"{text!r} is not between 0 % and 100 %", where="--target-failure", hint="e.g. 0.1%"
        )
    return value


def _population(
    spec: str,
    target_text: str | None,
    users: int,
    *,
    period: int,
    back: int,
    forward: int,
    entry_delay: float,
    seed: int,
    as_json: bool,
    as_csv: bool,
    plot: tuple[Path, str] | None,
) -> None:
    from twofa_sim.labs.skew import failure_rates, smallest_window

    target = None if target_text is None else _fraction(target_text)
    population = _read_population_spec(spec, users, seed)
    grid = [(b, f) for b in range(TABLE_STEPS + 1) for f in range(TABLE_STEPS + 1)]
    rates = failure_rates(
        population.offsets, [*grid, (back, forward)], period=period, entry_delay=entry_delay
    )
    table = dict(zip([*grid, (back, forward)], rates, strict=True))
    best = (
        None
        if target is None
        else smallest_window(
            population.offsets, target, period=period, entry_delay=entry_delay, limit=SEARCH_STEPS
        )
    )
    if plot is not None:
        from twofa_sim.labs.skewplot import population_figure

        # The answer's window when there is one, else the window asked for.
        shown = (back, forward, table[back, forward]) if best is None else best
        figure = population_figure(
            population.offsets,
            period=period,
            steps_back=shown[0],
            steps_forward=shown[1],
            entry_delay=entry_delay,
            failure=shown[2],
            label=population.label,
        )
        _write_plot(plot[0], plot[1], figure)
    missed = target is not None and best is None
    _cli._will_exit(_cli.EXIT_FAILED if missed else _cli.EXIT_OK)
    windows = [{"steps_back": b, "steps_forward": f, "failure_rate": table[b, f]} for b, f in grid]
    if as_json:
        _cli._emit_json(
            {
                "period": period,
                "entry_delay_s": entry_delay,
                "population": population.description,
                "window": {
                    "steps_back": back,
                    "steps_forward": forward,
                    "failure_rate": table[back, forward],
                },
                "windows": windows,
                "target_failure": target,
                "smallest_window": None
                if best is None
                else {"steps_back": best[0], "steps_forward": best[1], "failure_rate": best[2]},
            }
        )
    elif as_csv:
        _echo_csv(
            ["steps_back", "steps_forward", "failure_rate"],
            ([w["steps_back"], w["steps_forward"], w["failure_rate"]] for w in windows),
        )
    else:
        _print_population(population, table, period, back, forward, entry_delay, target, best)
    if missed:
        raise CommandFailed(
            f"no window up to {SEARCH_STEPS} steps each way keeps failures at or under "
            f"{_percent(target or 0.0)}"
        )


def _print_population(
    population: _Population,
    table: dict[tuple[int, int], float],
    period: int,
    back: int,
    forward: int,
    delay: float,
    target: float | None,
    best: tuple[int, int, float] | None,
) -> None:
    click.echo(f"population: {population.label}")
    click.echo(f"period {period} s, entry delay {delay:g} s")
    click.echo("expected share of logins refused, by window (rows: steps back, columns: forward)")
    header = f"{'back':>6}" + "".join(f"{f'fwd {f}':>12}" for f in range(TABLE_STEPS + 1))
    click.echo(header)
    click.echo("-" * len(header))
    for b in range(TABLE_STEPS + 1):
        cells = "".join(f"{_percent(table[b, f]):>12}" for f in range(TABLE_STEPS + 1))
        click.echo(f"{b:>6}{cells}")
    click.echo(
        f"the window asked for, {back} back / {forward} forward: "
        f"{_percent(table[back, forward])} of logins refused"
    )
    if target is None:
        return
    if best is None:
        click.echo(
            f"no window up to {SEARCH_STEPS} steps each way refuses at most {_percent(target)}"
        )
        return
    b, f, rate = best
    click.echo(
        f"answer: allow {b} step{'s' if b != 1 else ''} back and {f} forward ({period} s steps): "
        f"the smallest window that refuses at most {_percent(target)} of these logins "
        f"(it refuses {_percent(rate)})"
    )


# --- twofa-sim drift ---------------------------------------------------------------------------


@_cli.cli.command()
@click.option(
    "--ppm",
    type=float,
    required=True,
    help="How fast the phone's clock gains (negative: loses), in parts per million.",
)
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True)
@click.option("--logins-per-day", type=click.IntRange(1, 96), default=2, show_default=True)
@_steps_back_option
@_steps_forward_option
@click.option(
    "--tracking",
    type=click.Choice(["on", "off", "both"]),
    default="both",
    show_default=True,
    help="Drift tracking (RFC 6238 section 6) in the verifier.",
)
@click.option(
    "--max-drift-steps",
    default="10",
    show_default=True,
    metavar="N|none",
    help="How far tracking may move the window from the server's step (the reference policy's "
    "limit); none: no limit.",
)
@click.option(
    "--idle-gap",
    default="0d",
    show_default=True,
    metavar="DURATION",
    help="A stretch with no logins (200d), to see whether the verifier catches up after it.",
)
@click.option(
    "--idle-from",
    type=click.IntRange(min=1),
    metavar="DAY",
    help="The day the idle gap starts [default: the middle of the run].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The world's seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also draw the run to FILE.png or FILE.svg.",
)
def drift(
    ppm: float,
    days: int,
    logins_per_day: int,
    steps_back: int,
    steps_forward: int,
    tracking: str,
    max_drift_steps: str,
    idle_gap: str,
    idle_from: int | None,
    seed: int,
    as_json: bool,
    plot: Path | None,
) -> None:
    """A phone whose clock drifts, logging in day after day through the reference service.

    Enrolled on day 0 with the clock right, the phone gains PPM parts per million (50 ppm:
    4.32 s a day); the user logs in with the authenticator app's code at seeded random moments.
    Prints each day's clock error and verdicts, the day logins start failing without drift
    tracking, whether tracking keeps them passing, and what an idle gap does. Exit 1 when a
    verdict contradicts the closed form (twofa_sim.labs.skew) for the window the verifier used.
    """
    from twofa_sim.labs.drift import run_drift

    limit_text = max_drift_steps.strip().lower()
    if limit_text == "none":
        limit: int | None = None
    elif limit_text.isdigit():
        limit = int(limit_text)
    else:
        _cli._fail_usage("--max-drift-steps", f"{max_drift_steps!r} is not a whole number or none")
    gap = _duration(idle_gap, "--idle-gap")
    if idle_from is not None and gap <= 0:
        _cli._fail_usage("--idle-from", "--idle-from places the idle gap; give --idle-gap too")
    fmt = _plot_target(plot)
    try:
        result = run_drift(
            ppm=ppm,
            days=days,
            logins_per_day=logins_per_day,
            steps_back=steps_back,
            steps_forward=steps_forward,
            tracking=tracking,  # type: ignore[arg-type]
            max_drift_steps=limit,
            idle_gap=gap,
            idle_from=idle_from,
            seed=seed,
        )
    except InputError as exc:
        raise _cli._option(
            exc, {"idle_gap": "--idle-gap", "idle_from": "--idle-from", "ppm": "--ppm"}
        ) from None
    if plot is not None and fmt is not None:
        from twofa_sim.labs.skewplot import drift_figure

        _write_plot(plot, fmt, drift_figure(result))
    wrong = sum(len(mode.contradictions) for mode in result.modes)
    _cli._will_exit(_cli.EXIT_FAILED if wrong else _cli.EXIT_OK)
    if as_json:
        _cli._emit_json(result.as_dict())
    else:
        _print_drift(result)
    if wrong:
        raise CommandFailed(
            f"{wrong} verdict(s) contradict the closed form for the window the verifier used"
        )


def _print_drift(result: DriftResult) -> None:
    window = f"window {result.steps_back} back / {result.steps_forward} forward"
    limit = "no limit" if result.max_drift_steps is None else f"{result.max_drift_steps} steps"
    click.echo(
        f"phone drifting {result.ppm:+g} ppm ({result.prediction.rate_s_per_day:+.2f} s a day), "
        f"{result.logins_per_day} login(s) a day for {result.days} days; period {result.period} s, "
        f"{window}, drift limit {limit}, seed {result.seed}"
    )
    modes = {mode.tracking: mode for mode in result.modes}
    header = f"{'day':>5}  {'error_s':>9}"
    if False in modes:
        header += f"  {'no tracking':>11}"
    if True in modes:
        header += f"  {'tracking':>11}  {'learnt drift':>12}"
    click.echo(header)
    click.echo("-" * len(header))
    first = result.modes[0].days
    index = 0
    while index < len(first):
        day = first[index]
        if day.idle:
            end = index
            while end + 1 < len(first) and first[end + 1].idle:
                end += 1
            click.echo(f"{'':>5}  {'':>9}  days {day.day}-{first[end].day}: idle gap, no logins")
            index = end + 1
            continue
        line = f"{day.day:>5}  {day.error_s:>+9.1f}"
        for tracking in (False, True):
            mode = modes.get(tracking)
            if mode is None:
                continue
            record = mode.days[index]
            cell = _verdicts(record.accepted, len(record.logins))
            line += f"  {cell:>11}"
            if tracking:
                line += f"  {f'{record.drift_steps:+d} steps':>12}"
        click.echo(line)
        index += 1
    prediction = result.prediction
    if prediction.window_edge_day is not None and prediction.window_zero_day is not None:
        text = (
            f"closed form: the phone passes the window's edge ({prediction.window_edge_s:g} s) on "
            f"day {prediction.window_edge_day:.1f}, after which logins may fail, and its reach "
            f"({prediction.window_zero_s:g} s) on day {prediction.window_zero_day:.1f}, after "
            "which all fail without tracking"
        )
        if True in modes and prediction.limit_edge_day is not None:
            text += (
                f"; tracking stops at the drift limit ({prediction.limit_edge_s:g} s) from day "
                f"{prediction.limit_edge_day:.1f}, all refused from day "
                f"{prediction.limit_zero_day:.1f}"
            )
        click.echo(text)
    for mode in result.modes:
        click.echo(mode.sentence)


def _verdicts(accepted: int, logins: int) -> str:
    if not logins:
        return "-"
    if accepted == logins:
        return "ok"
    return "REFUSED" if not accepted else f"{accepted} of {logins} ok"

"""``twofa-sim skew``: clock skew against a TOTP window, as a table, JSON, CSV or a plot.

The numbers and the verdicts come from :mod:`twofa_sim.labs.skew` (the closed form, the
simulation with real codes and its check, populations), the pictures from
:mod:`twofa_sim.labs.skewplot`. This module parses options and prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twofa_sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    duration,
    echo_csv,
    emit_json,
    fail_usage,
    given,
    locate,
    period_option,
    plot_target,
    steps_back_option,
    steps_forward_option,
    will_exit,
    write_plot,
)
from twofa_sim.errors import CommandFailed, InputError

if TYPE_CHECKING:
    from twofa_sim.labs.skew import CurvePoint, PointCheck, Population, WindowAnswer

__all__ = ["percent", "skew"]

TABLE_STEPS = 3
"""The population table shows every window from 0/0 to this many steps back and forward."""
SEARCH_STEPS = 10
"""How far :func:`twofa_sim.labs.skew.smallest_window` looks for a window meeting the target."""
_CURVE_ONLY = {
    "start": "--from",
    "stop": "--to",
    "step": "--step",
    "samples": "--samples",
    "full": "--full",
}


def percent(value: float) -> str:
    """A share as a percentage with three significant digits, never in e-notation."""
    share = value * 100
    if share == 0 or share >= 1:
        return f"{share:.3g} %"
    decimals = 2 - math.floor(math.log10(share))
    return f"{share:.{decimals}f}".rstrip("0").rstrip(".") + " %"


@click.command()
@period_option
@steps_back_option
@steps_forward_option
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
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="The seed of the simulation (and of a normal population's plotted sample).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option(
    "--full",
    is_flag=True,
    help="The table lists every offset of the --step grid [default: only the offsets where the "
    "curve bends, unless --samples or --step is given]; JSON and CSV always list them all.",
)
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
    "offsets: normal:sigma=20s[,mean=5s] (exact) or a CSV file of measured offsets (with a "
    "99.9 % interval for the population they come from).",
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
    help="How many offsets the plot of a normal population draws (its rates are exact).",
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
    full: bool,
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
    over that population, and with --target-failure the smallest window that meets it. A
    normal population's rates are exact (no sample); measured offsets give each rate with a
    99.9 % interval, and the answer says when the target lies within it.
    """
    if as_json and as_csv:
        fail_usage("--json/--csv", "choose one of --json and --csv")
    delay = duration(entry_delay, "--entry-delay")
    if delay < 0:
        raise InputError("the entry delay cannot be negative", where="--entry-delay")
    fmt = plot_target(plot)
    if population is not None:
        for name, option in _CURVE_ONLY.items():
            if given(name):
                fail_usage(option, f"{option} draws the curve; it makes no sense with --population")
        _population(
            population,
            target_failure,
            users if given("users") else None,
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
        if given(name):
            fail_usage(option, f"{option} needs --population")
    from twofa_sim.labs.skew import acceptance_curve, check_curve, offsets_between

    try:
        offsets = offsets_between(
            duration(start, "--from"), duration(stop, "--to"), duration(step, "--step")
        )
    except InputError as exc:
        raise locate(exc, {}) from None
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
        raise locate(exc, {"offset": "--from/--to", "entry_delay": "--entry-delay"}) from None
    checks = check_curve(points)
    outside = [p for p, check in zip(points, checks, strict=True) if check.inside is False]
    if plot is not None and fmt is not None:
        from twofa_sim.labs.skewplot import curve_figure

        figure = curve_figure(
            points,
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=delay,
        )
        write_plot(plot, fmt, figure)
    will_exit(EXIT_FAILED if outside else EXIT_OK)
    if as_json:
        emit_json(
            {
                "period": period,
                "window": {"steps_back": steps_back, "steps_forward": steps_forward},
                "entry_delay_s": delay,
                "points": [p.as_dict() for p in points],
            }
        )
    elif as_csv:
        echo_csv(
            ["offset_s", "exact", "simulated", "samples"],
            (
                [p.offset_s, p.exact, "" if p.simulated is None else p.simulated, p.samples]
                for p in points
            ),
        )
    elif samples or full or given("step"):
        _print_curve(points, checks, period, steps_back, steps_forward, delay, samples, seed)
    else:
        from twofa_sim.labs.skew import breakpoints

        # The curve is straight between its bends: those rows say all of it.
        bends = acceptance_curve(
            breakpoints(offsets[0], offsets[-1], period=period, entry_delay=delay),
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=delay,
        )
        _print_curve(bends, check_curve(bends), period, steps_back, steps_forward, delay, 0, seed)
        click.echo(
            f"(the curve is straight between these offsets, where it bends; --full lists all "
            f"{len(points)} offsets of the --step grid)"
        )
    if outside:
        where = ", ".join(f"{p.offset_s:g} s" for p in outside[:10])
        more = "" if len(outside) <= 10 else f" and {len(outside) - 10} more"
        raise CommandFailed(
            f"{len(outside)} of {len(points)} simulated values lie outside the Wilson "
            f"interval of the exact value, 99.9 % for the whole curve (at {where}{more})"
        )


def _edges_text(period: int, back: int, forward: int, delay: float) -> str:
    full = (delay - back * period, delay + forward * period)
    zero = (delay - (back + 1) * period, delay + (forward + 1) * period)
    return (
        f"always accepted from {full[0]:+g} s to {full[1]:+g} s; "
        f"never below {zero[0]:+g} s or above {zero[1]:+g} s"
    )


def _print_curve(
    points: list[CurvePoint],
    checks: list[PointCheck],
    period: int,
    back: int,
    forward: int,
    delay: float,
    samples: int,
    seed: int,
) -> None:
    from twofa_sim.labs.skew import FAMILY_CONFIDENCE

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
    header = f"{'offset_s':>9}  {'exact':>7}"
    if samples:
        header += f"  {'simulated':>9}  {'interval':>16}  inside"
    click.echo(header)
    click.echo("-" * len(header))
    for point, check in zip(points, checks, strict=True):
        line = f"{point.offset_s:>9g}  {point.exact:>7.4f}"
        if samples:
            if check.inside is None:
                simulated, interval, verdict = "-", "-", "-"
            else:
                simulated = f"{point.simulated:.4f}"
                interval = f"[{check.low:.4f}, {check.high:.4f}]"
                verdict = "yes" if check.inside else "NO"
            line += f"  {simulated:>9}  {interval:>16}  {verdict}"
        click.echo(line)
    if samples:
        bad = sum(check.inside is False for check in checks)
        if not bad:
            click.echo(
                f"all {len(points)} simulated values lie inside their intervals: the "
                "simulation with real codes agrees with the closed form"
            )


# --- populations -------------------------------------------------------------------------------


def _population(
    spec: str,
    target_text: str | None,
    users: int | None,
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
    from twofa_sim.labs.skew import DEFAULT_USERS, answer_target, parse_population, parse_share

    target = None if target_text is None else parse_share(target_text)
    population = parse_population(spec)
    if users is not None and not population.exact:
        fail_usage("--users", "--users sizes the sample a normal population's plot draws")
    grid = [(b, f) for b in range(TABLE_STEPS + 1) for f in range(TABLE_STEPS + 1)]
    rates = population.failure_rates(
        [*grid, (back, forward)], period=period, entry_delay=entry_delay
    )
    table = dict(zip([*grid, (back, forward)], rates, strict=True))
    best = (
        None
        if target is None
        else answer_target(
            population, target, period=period, entry_delay=entry_delay, limit=SEARCH_STEPS
        )
    )
    if plot is not None:
        from twofa_sim.labs.skewplot import population_figure

        # The answer's window when there is one, else the window asked for.
        shown = (
            (back, forward, table[back, forward])
            if best is None
            else (best.steps_back, best.steps_forward, best.failure_rate)
        )
        count = DEFAULT_USERS if users is None else users
        label = population.label
        if population.exact:
            label += f"; histogram: {count:,} drawn (seed {seed})"
        figure = population_figure(
            population.sample(count, seed),
            period=period,
            steps_back=shown[0],
            steps_forward=shown[1],
            entry_delay=entry_delay,
            failure=shown[2],
            label=label,
        )
        write_plot(plot[0], plot[1], figure)
    missed = target is not None and best is None
    will_exit(EXIT_FAILED if missed else EXIT_OK)

    def row(b: int, f: int) -> dict[str, object]:
        entry: dict[str, object] = {
            "steps_back": b,
            "steps_forward": f,
            "failure_rate": table[b, f],
        }
        interval = population.interval(table[b, f])
        if interval is not None:
            entry["interval"] = list(interval)
        return entry

    windows = [row(b, f) for b, f in grid]
    if as_json:
        emit_json(
            {
                "period": period,
                "entry_delay_s": entry_delay,
                "population": population.description,
                "window": row(back, forward),
                "windows": windows,
                "target_failure": target,
                "smallest_window": None if best is None else best.as_dict(),
            }
        )
    elif as_csv:
        columns = ["steps_back", "steps_forward", "failure_rate"]
        if not population.exact:
            columns += ["interval_low", "interval_high"]
        echo_csv(
            columns,
            (
                [
                    w["steps_back"],
                    w["steps_forward"],
                    w["failure_rate"],
                    *(w.get("interval") or []),  # type: ignore[misc]
                ]
                for w in windows
            ),
        )
    else:
        _print_population(population, table, period, back, forward, entry_delay, target, best)
    if missed:
        raise CommandFailed(
            f"no window up to {SEARCH_STEPS} steps each way keeps failures at or under "
            f"{percent(target or 0.0)}"
        )


def _interval_text(interval: tuple[float, float]) -> str:
    return f"{percent(interval[0])} to {percent(interval[1])}"


def _print_population(
    population: Population,
    table: dict[tuple[int, int], float],
    period: int,
    back: int,
    forward: int,
    delay: float,
    target: float | None,
    best: WindowAnswer | None,
) -> None:
    from twofa_sim.labs.skew import POPULATION_CONFIDENCE

    click.echo(f"population: {population.label}")
    click.echo(f"period {period} s, entry delay {delay:g} s")
    click.echo("expected share of logins refused, by window (rows: steps back, columns: forward)")
    header = f"{'back':>6}" + "".join(f"{f'fwd {f}':>12}" for f in range(TABLE_STEPS + 1))
    click.echo(header)
    click.echo("-" * len(header))
    for b in range(TABLE_STEPS + 1):
        cells = "".join(f"{percent(table[b, f]):>12}" for f in range(TABLE_STEPS + 1))
        click.echo(f"{b:>6}{cells}")
    asked = population.interval(table[back, forward])
    level = f"{POPULATION_CONFIDENCE * 100:g} %"
    click.echo(
        f"the window asked for, {back} back / {forward} forward: "
        f"{percent(table[back, forward])} of logins refused"
        + ("" if asked is None else f" ({level} interval {_interval_text(asked)})")
    )
    if not population.exact:
        click.echo(
            f"(measured offsets: each rate is exact for these users; the interval is where the "
            f"rate of the population they come from lies, at {level})"
        )
    if target is None:
        return
    if best is None:
        click.echo(
            f"no window up to {SEARCH_STEPS} steps each way refuses at most {percent(target)}"
        )
        return
    b, f = best.steps_back, best.steps_forward
    line = (
        f"answer: allow {b} step{'s' if b != 1 else ''} back and {f} forward ({period} s steps): "
        f"the smallest window that refuses at most {percent(target)} of these logins "
        f"(it refuses {percent(best.failure_rate)}"
    )
    if best.interval is not None:
        line += f"; {level} interval {_interval_text(best.interval)}"
    click.echo(line + ")")
    if best.target_within:
        click.echo(
            f"uncertain: the target, {percent(target)}, lies within that interval: these "
            f"{population.description['users']:,} users cannot tell whether the window meets it "
            "for the population they come from; measure more offsets"
        )
    if best.smaller is not None:
        sb, sf, rate, interval = best.smaller
        click.echo(
            f"uncertain: a smaller window, {sb} back / {sf} forward, refuses {percent(rate)} "
            f"here, but its interval ({_interval_text(interval)}) reaches down to the target: "
            "with more measured offsets it might be the answer"
        )

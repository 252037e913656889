"""``twofa-sim drift``: a phone whose clock drifts, logging in for months.

The experiment is :func:`twofa_sim.labs.drift.run_drift`, the picture
:func:`twofa_sim.labs.skewplot.drift_figure`; this module parses options and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from twofa_sim.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    duration,
    emit_json,
    fail_usage,
    locate,
    plot_target,
    steps_back_option,
    steps_forward_option,
    will_exit,
    write_plot,
)
from twofa_sim.errors import CommandFailed, InputError

if TYPE_CHECKING:
    from twofa_sim.labs.drift import DriftResult

__all__ = ["drift"]


@click.command()
@click.option(
    "--ppm",
    type=float,
    required=True,
    help="How fast the phone's clock gains (negative: loses), in parts per million.",
)
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True)
@click.option("--logins-per-day", type=click.IntRange(1, 96), default=2, show_default=True)
@steps_back_option
@steps_forward_option
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
        fail_usage("--max-drift-steps", f"{max_drift_steps!r} is not a whole number or none")
    gap = duration(idle_gap, "--idle-gap")
    if idle_from is not None and gap <= 0:
        fail_usage("--idle-from", "--idle-from places the idle gap; give --idle-gap too")
    fmt = plot_target(plot)
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
        raise locate(
            exc, {"idle_gap": "--idle-gap", "idle_from": "--idle-from", "ppm": "--ppm"}
        ) from None
    if plot is not None and fmt is not None:
        from twofa_sim.labs.skewplot import drift_figure

        write_plot(plot, fmt, drift_figure(result))
    wrong = sum(len(mode.contradictions) for mode in result.modes)
    will_exit(EXIT_FAILED if wrong else EXIT_OK)
    if as_json:
        emit_json(result.as_dict())
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

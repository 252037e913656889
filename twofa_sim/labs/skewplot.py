"""Plots of clock skew: the acceptance curve, a population against a window, drift over days.

Drawn with matplotlib's object API (:class:`~matplotlib.figure.Figure` on an Agg canvas, no
pyplot, no display, no global state but the SVG settings held while saving), for print: labelled
axes with units, a title that says the settings, the window's edges marked, markers that read in
grey. The same data give the same bytes, in SVG (fixed ids, no date) as in PNG.

>>> from twofa_sim.labs.skew import acceptance_curve, offsets_between
>>> points = acceptance_curve(offsets_between(-90, 90, 5), period=30)
>>> render(curve_figure(points, period=30, steps_back=1, steps_forward=1, entry_delay=0), "svg")[:5]
b'<?xml'
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from twofa_sim.errors import InputError

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.axes import Axes

    from twofa_sim.labs.drift import DriftResult
    from twofa_sim.labs.skew import CurvePoint

__all__ = [
    "curve_figure",
    "drift_figure",
    "drift_span",
    "exact_line",
    "plot_format",
    "population_figure",
    "render",
]

PlotFormat = Literal["png", "svg"]

# Okabe-Ito: distinguishable by the colour-blind, and paired with marker shapes for grey print.
_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#666666"
_SIZE, _DPI = (9.0, 5.0), 150


def plot_format(path: Path | str) -> PlotFormat:
    """``png`` or ``svg``, from the file's suffix; anything else is bad input."""
    suffix = Path(path).suffix.lower()
    if suffix in (".png", ".svg"):
        return "png" if suffix == ".png" else "svg"
    found = f", not {suffix}" if suffix else ""
    raise InputError(
        f"cannot draw {str(path)!r}: a plot's file name ends in .png or .svg{found}",
        where="--plot",
    )


def render(figure: Figure, fmt: PlotFormat) -> bytes:
    """The figure's bytes as PNG or SVG; the same figure gives the same bytes."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # SVG ids come from a hash salted with a random value unless svg.hashsalt is set, and the
    # file records the date: both would make two runs differ.
    with matplotlib.rc_context({"svg.hashsalt": "twofa-sim", "svg.id": "twofa-sim-plot"}):
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, dpi=_DPI, metadata=metadata)
    return buffer.getvalue()


def _figure(rows: int = 1, heights: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=_SIZE, layout="constrained")
    if rows == 1:
        return figure, [figure.add_subplot()]
    axes = figure.subplots(rows, 1, sharex=True, height_ratios=list(heights or [1] * rows))
    return figure, list(axes)


def _seconds(value: float) -> str:
    return f"{value:+g} s" if value else "0 s"


def _window_text(period: float, back: int, forward: int, entry_delay: float) -> str:
    return (
        f"period {period:g} s, window {back} step{'s' if back != 1 else ''} back / {forward} "
        f"forward, entry delay {entry_delay:g} s"
    )


def _edges(period: float, back: int, forward: int, entry_delay: float) -> dict[str, float]:
    """Where the exact curve leaves 1 and reaches 0, on each side (see skew's model)."""
    return {
        "full_low": entry_delay - back * period,
        "full_high": entry_delay + forward * period,
        "zero_low": entry_delay - (back + 1) * period,
        "zero_high": entry_delay + (forward + 1) * period,
    }


def _mark_edges(axes: Axes, edges: dict[str, float], low: float, high: float) -> None:
    """Vertical lines where acceptance starts to drop (dotted) and reaches 0 (dashed), each
    labelled along its inner side, where the curve leaves room."""
    centre = (edges["full_low"] + edges["full_high"]) / 2
    for key, style, words, height in (
        ("full_low", ":", "starts to drop", 0.5),
        ("full_high", ":", "starts to drop", 0.5),
        ("zero_low", "--", "reaches 0", 0.62),
        ("zero_high", "--", "reaches 0", 0.62),
    ):
        x = edges[key]
        if not low <= x <= high:
            continue
        axes.axvline(x, color=_GREY, linestyle=style, linewidth=1.2, zorder=1)
        inner = "left" if x < centre else "right"
        axes.annotate(
            f"{_seconds(x)}: {words}",
            (x, height),
            xycoords=("data", "axes fraction"),
            xytext=(4 if inner == "left" else -4, 0),
            textcoords="offset points",
            rotation=90,
            ha=inner,
            va="center",
            fontsize=8,
            color=_GREY,
        )


def exact_line(
    low: float,
    high: float,
    *,
    period: float,
    steps_back: int,
    steps_forward: int,
    entry_delay: float,
) -> tuple[list[float], list[float]]:
    """The exact acceptance curve from ``low`` to ``high`` as the vertices of its straight
    pieces: the two ends and every breakpoint between them (the entry delay plus a multiple of
    the period, see :mod:`twofa_sim.labs.skew`)."""
    from twofa_sim.labs.skew import acceptance, breakpoints

    xs = breakpoints(low, high, period=period, entry_delay=entry_delay)
    ys = [
        acceptance(
            x,
            period=period,
            steps_back=steps_back,
            steps_forward=steps_forward,
            entry_delay=entry_delay,
        )
        for x in xs
    ]
    return xs, ys


def curve_figure(
    points: Sequence[CurvePoint],
    *,
    period: float,
    steps_back: int,
    steps_forward: int,
    entry_delay: float,
) -> Figure:
    """The exact acceptance curve over the offsets, with simulated points and their 99.9 %
    Wilson intervals as error bars, and the window's edges marked."""
    from twofa_sim.labs.skew import wilson_interval

    figure, (axes,) = _figure()
    offsets = [p.offset_s for p in points]
    low, high = min(offsets), max(offsets)
    span = max(high - low, 1.0)
    # The exact curve is straight between its breakpoints: drawn through them (not through the
    # --step grid, which would cut its corners), it meets the window's edge markers exactly.
    xs, ys = exact_line(
        low,
        high,
        period=period,
        steps_back=steps_back,
        steps_forward=steps_forward,
        entry_delay=entry_delay,
    )
    axes.plot(xs, ys, color=_BLUE, linewidth=1.8, label="exact", zorder=3)
    simulated = [p for p in points if p.simulated is not None]
    if simulated:
        values = [float(p.simulated or 0.0) for p in simulated]
        intervals = [
            wilson_interval(v * p.samples, p.samples)
            for v, p in zip(values, simulated, strict=True)
        ]
        below = [max(0.0, v - lo) for v, (lo, _) in zip(values, intervals, strict=True)]
        above = [max(0.0, hi - v) for v, (_, hi) in zip(values, intervals, strict=True)]
        samples = sorted({p.samples for p in simulated})
        count = f"{samples[0]:,}" if len(samples) == 1 else "various"
        axes.errorbar(
            [p.offset_s for p in simulated],
            values,
            yerr=[below, above],
            fmt="o",
            markersize=4 if len(simulated) <= 60 else 2.5,
            zorder=2,
            color=_ORANGE,
            ecolor=_ORANGE,
            elinewidth=1,
            capsize=2 if len(simulated) <= 60 else 0,
            label=f"simulated, {count} real codes each (99.9 % Wilson interval)",
        )
    _mark_edges(axes, _edges(period, steps_back, steps_forward, entry_delay), low, high)
    axes.set_xlim(low - 0.01 * span, high + 0.01 * span)
    axes.set_ylim(-0.03, 1.05)
    axes.set_xlabel("device clock offset (s; positive: device ahead of the server)")
    axes.set_ylabel("probability the code is accepted")
    axes.set_title(
        "TOTP acceptance by clock offset: "
        + _window_text(period, steps_back, steps_forward, entry_delay)
    )
    axes.grid(True, alpha=0.3)
    figure.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return figure


def population_figure(
    offsets: npt.ArrayLike,
    *,
    period: float,
    steps_back: int,
    steps_forward: int,
    entry_delay: float,
    failure: float,
    label: str,
) -> Figure:
    """How a population's device offsets sit against one window: the offsets' histogram with
    the window's acceptance curve over it, and the share of logins that fail."""
    import numpy as np

    values = np.asarray(offsets, dtype=np.float64)
    edges = _edges(period, steps_back, steps_forward, entry_delay)
    low = min(float(np.quantile(values, 0.0005)), edges["zero_low"]) - period / 2
    high = max(float(np.quantile(values, 0.9995)), edges["zero_high"]) + period / 2
    figure, (axes,) = _figure()
    shown = values[(values >= low) & (values <= high)]
    counts, _, _ = axes.hist(
        shown,
        bins=120,
        range=(low, high),
        weights=np.full(shown.size, 1.0 / max(values.size, 1)),
        color=_GREY,
        alpha=0.55,
        label=f"device offsets ({label})",
    )
    axes.set_xlabel("device clock offset (s; positive: device ahead of the server)")
    axes.set_ylabel("share of users per bin")
    curve_axes = axes.twinx()
    grid, curve = exact_line(
        low,
        high,
        period=period,
        steps_back=steps_back,
        steps_forward=steps_forward,
        entry_delay=entry_delay,
    )
    curve_axes.plot(grid, curve, color=_BLUE, linewidth=2, label="P(accepted)")
    curve_axes.set_ylim(-0.03, 1.05)
    curve_axes.set_ylabel("probability the code is accepted", color=_BLUE)
    _mark_edges(curve_axes, edges, low, high)
    axes.set_xlim(low, high)
    # Both zero lines at the same height: the curve's axis runs from -0.03 to 1.05.
    top = max(float(np.max(counts)), 1e-9) * 1.08
    axes.set_ylim(-0.03 / 1.05 * top, top)
    axes.set_title(
        f"{failure * 100:.3g} % of logins fail: "
        + _window_text(period, steps_back, steps_forward, entry_delay)
    )
    handles = axes.get_legend_handles_labels()
    more = curve_axes.get_legend_handles_labels()
    figure.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="outside lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    axes.grid(True, alpha=0.3)
    return figure


def drift_span(result: DriftResult) -> tuple[float, float] | None:
    """The clock errors (seconds) the drift plot shows: the window and one step past it each
    way, the drift limit when tracking has one, and every marked login; ``None`` when the whole
    run must show (tracking without a limit follows the phone wherever it goes).

    A year at 50 ppm reaches 1600 s: scaled to that, the 90 s window and the first weeks, where
    everything happens, would be a sliver."""
    period = result.period
    tracked = result.mode(True)
    if tracked is not None and result.max_drift_steps is None:
        return None
    low: float = -(result.steps_back + 1) * period
    high: float = (result.steps_forward + 1) * period
    if tracked is not None and result.max_drift_steps is not None:
        reach = (result.max_drift_steps + 1) * period
        low, high = (min(low, -reach), high) if result.ppm < 0 else (low, max(high, reach))
    marked = []
    for mode in result.modes:
        first = next((login for login in mode.logins if not login.accepted), None)
        if first is not None:
            marked.append(first.error_s)
        if mode.gap is not None:
            after = next((lg for lg in mode.logins if lg.at_s // 86_400 >= mode.gap.day), None)
            if after is not None:
                marked.append(after.error_s)
    low, high = min([low, *marked]), max([high, *marked])
    return (low - period / 2, high + period / 2)


def _clip_to_the_window(
    axes: Axes, result: DriftResult, days: Sequence[int], errors: Sequence[float]
) -> None:
    """Limit the y axis to :func:`drift_span`, saying where the phone's error leaves it."""
    span = drift_span(result)
    if span is None or not errors or (span[0] <= min(errors) and max(errors) <= span[1]):
        return
    low, high = span
    axes.set_ylim(low, high)
    leaves = next((i for i, e in enumerate(errors) if not low <= e <= high), None)
    if leaves is None:  # pragma: no cover - checked above
        return
    edge = high if errors[leaves] > high else low
    right_half = days[leaves] > (days[0] + days[-1]) / 2
    axes.annotate(
        f"phone clock error off the chart from day {days[leaves]} "
        f"(it reaches {errors[-1]:+.0f} s on day {days[-1]})",
        (days[leaves], edge),
        xytext=(-6 if right_half else 6, -12 if edge == high else 4),
        textcoords="offset points",
        ha="right" if right_half else "left",
        fontsize=7.5,
        color=_BLUE,
    )


def drift_figure(result: DriftResult) -> Figure:
    """The phone's clock error day by day against the window (and the drift limit), the drift a
    tracking verifier learnt, and each login accepted or refused, with and without tracking. The
    y axis shows :func:`drift_span`: the window and what happens near it, the error line leaving
    the chart (with a note) when the phone runs further."""
    period = result.period
    figure, (top, bottom) = _figure(2, [3, 1])
    days = [d.day for d in result.modes[0].days]
    errors = [d.error_s for d in result.modes[0].days]
    back_s, forward_s = result.steps_back * period, result.steps_forward * period
    top.axhspan(
        -back_s,
        forward_s,
        color=_GREEN,
        alpha=0.2,
        label=f"window without tracking: always accepted ({-back_s:g} to {forward_s:+g} s)",
    )
    top.axhspan(forward_s, forward_s + period, color=_ORANGE, alpha=0.25)
    top.axhspan(
        -back_s - period,
        -back_s,
        color=_ORANGE,
        alpha=0.25,
        label="window without tracking: sometimes accepted",
    )
    tracked = result.mode(True)
    sign = -1 if result.ppm < 0 else 1
    if tracked is not None and result.max_drift_steps is not None:
        limit = result.max_drift_steps * period
        top.axhline(
            sign * limit,
            color=_RED,
            linestyle="--",
            linewidth=1.2,
            label=f"drift limit of tracking ({result.max_drift_steps} steps, {sign * limit:+g} s)",
        )
    top.plot(
        days, errors, color=_BLUE, linewidth=2, label=f"phone clock error ({result.ppm:+g} ppm)"
    )
    if tracked is not None:
        top.step(
            days,
            [d.drift_steps * period for d in tracked.days],
            where="post",
            color=_ORANGE,
            linewidth=1.2,
            label="drift the tracking verifier learnt (in seconds)",
        )
    for mode in result.modes:
        first = next((login for login in mode.logins if not login.accepted), None)
        if first is None:
            continue
        words = "with" if mode.tracking else "without"
        top.plot(
            [first.at_s / 86_400],
            [first.error_s],
            marker="D" if mode.tracking else "X",
            markersize=8,
            markerfacecolor="none" if mode.tracking else _RED,
            markeredgecolor=_RED,
            markeredgewidth=1.5,
            linestyle="none",
            zorder=5,
            label=f"first refusal {words} tracking: day {int(first.at_s // 86_400)}",
        )
    gap_mode = tracked or result.modes[0]
    if gap_mode.gap is not None:
        after = next(login for login in gap_mode.logins if login.at_s // 86_400 >= gap_mode.gap.day)
        words = "with" if gap_mode.tracking else "without"
        top.plot(
            [after.at_s / 86_400],
            [after.error_s],
            marker="*",
            markersize=13,
            color="black",
            linestyle="none",
            zorder=6,
            label=f"first login after the gap, {words} tracking: "
            + ("accepted" if after.accepted else f"refused ({after.outcome.replace('_', ' ')})"),
        )
    if result.idle_from is not None:
        for axes in (top, bottom):
            axes.axvspan(
                result.idle_from,
                result.idle_from + result.idle_days,
                color=_GREY,
                alpha=0.15,
                label="idle gap: no logins" if axes is top else None,
            )
    _clip_to_the_window(top, result, days, errors)
    top.set_ylabel("seconds (positive: phone ahead)")
    top.grid(True, alpha=0.3)
    # Clipped, the chart's top-left corner (bottom-left when losing) holds the error line, the
    # first refusals and the note where the line leaves: the legend goes to the right.
    clipped = drift_span(result) is not None
    if clipped:
        top.legend(loc="center right", fontsize=7.5, framealpha=0.9)
    else:
        top.legend(loc="upper left" if sign > 0 else "lower left", fontsize=7.5, framealpha=0.9)
    limit_text = (
        "no drift limit"
        if result.max_drift_steps is None
        else f"drift limit {result.max_drift_steps} steps"
    )
    top.set_title(
        f"A phone drifting {result.ppm:+g} ppm, {result.logins_per_day} logins a day: "
        f"period {period} s, window {result.steps_back} back / {result.steps_forward} forward, "
        f"{limit_text}",
        fontsize=10,
    )
    rows = {False: 0, True: 1}
    for mode in result.modes:
        logins = mode.logins
        row = rows[mode.tracking]
        for accepted, marker, colour, word in (
            (True, "o", _GREEN, "accepted"),
            (False, "x", _RED, "refused"),
        ):
            chosen = [login.at_s / 86_400 for login in logins if login.accepted is accepted]
            bottom.plot(
                chosen,
                [row] * len(chosen),
                linestyle="none",
                marker=marker,
                markersize=4,
                color=colour,
                label=f"login {word}" if mode is result.modes[0] else None,
            )
    bottom.set_yticks([0, 1], ["without\ntracking", "with\ntracking"])
    bottom.set_ylim(-0.5, 2.1)
    bottom.set_xlabel("days since enrollment")
    bottom.set_xlim(0, result.days)
    bottom.legend(loc="upper center", fontsize=7.5, ncols=2, frameon=False)
    bottom.grid(True, axis="x", alpha=0.3)
    return figure

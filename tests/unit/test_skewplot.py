"""The skew lab's plots draw what the closed form says (issue 16, items 16 and 18)."""

from __future__ import annotations

import numpy as np
import pytest

from twofa_sim.labs import skew
from twofa_sim.labs.drift import run_drift
from twofa_sim.labs.skewplot import curve_figure, drift_figure, drift_span, exact_line


def drawn_curve(step: float, delay: float) -> np.ndarray:
    points = skew.acceptance_curve(skew.offsets_between(-150, 150, step), entry_delay=delay)
    figure = curve_figure(points, period=30, steps_back=1, steps_forward=1, entry_delay=delay)
    (axes,) = figure.axes
    line = next(line for line in axes.get_lines() if line.get_label() == "exact")
    return np.asarray(line.get_xydata())


@pytest.mark.parametrize(("step", "delay"), [(10.0, 5.0), (7.0, 0.0), (1.0, 12.5), (45.0, 3.0)])
def test_the_drawn_curve_is_the_exact_curve_between_any_grid(step: float, delay: float) -> None:
    """The line drawn is the exact piecewise-linear curve, whatever the --step grid: at every
    offset its height is acceptance(), so it reaches 0 at the window's edge marker (+65 s with
    a 5 s entry delay), not at the next grid point (+70 s, as a line through a 10 s grid did)."""
    xy = drawn_curve(step, delay)
    xs = np.linspace(xy[0, 0], xy[-1, 0], 3001)
    drawn = np.interp(xs, xy[:, 0], xy[:, 1])
    exact = skew.acceptance_array(xs, entry_delay=delay)
    assert np.abs(drawn - exact).max() < 1e-9


def test_the_line_reaches_zero_at_the_edge_marker() -> None:
    """Issue 16, item 16, as filed: --step 10s --entry-delay 5s; the drawn curve is 0 from
    +65 s and still 1/6 at +60 s."""
    xy = drawn_curve(10.0, 5.0)
    assert [65.0, 0.0] in xy.tolist()
    assert np.interp(60.0, xy[:, 0], xy[:, 1]) == pytest.approx(1 / 6)


def test_exact_line_vertices_are_the_breakpoints() -> None:
    """exact_line: the ends of the range and every bend between (entry delay + k periods)."""
    xs, ys = exact_line(-50, 50, period=30, steps_back=1, steps_forward=1, entry_delay=5)
    assert xs == [-50, -25, 5, 35, 50]
    assert ys == [skew.acceptance(x, entry_delay=5) for x in xs]


def test_the_drift_plot_keeps_the_window_readable() -> None:
    """Issue 16, item 18: a year at +50 ppm reaches +1572 s, but the plot's y axis runs over the
    window, the drift limit and the marked logins (here to +345 s), not to 1600 s, and says
    where the error line leaves it."""
    result = run_drift(ppm=50, days=365)
    figure = drift_figure(result)
    top = figure.axes[0]
    low, high = top.get_ylim()
    assert (low, high) == drift_span(result)
    assert -90 <= low < 0 and 300 < high <= 400
    notes = [t.get_text() for t in top.texts]
    assert any("off the chart from day" in note and "+1572 s" in note for note in notes)


def test_the_drift_plot_without_a_limit_shows_the_whole_run() -> None:
    """With tracking and no drift limit the verifier follows the phone: the whole run shows."""
    result = run_drift(ppm=50, days=60, max_drift_steps=None, tracking="on")
    assert drift_span(result) is None
    _, high = drift_figure(result).axes[0].get_ylim()
    assert high >= result.modes[0].days[-1].error_s

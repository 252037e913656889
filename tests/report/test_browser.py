"""report.html in a real browser (headless Chromium): it loads without a console message, the
verdict, the traceability matrix and the timelines are there, the filters work (set through the
URL fragment, which the page reads and keeps), and a screenshot shows a page, not a blank.

``make test`` installs Chromium when it is missing (scripts/setup.sh --browser).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.report.browser import Elements, chromium, load, screenshot
from twofa_sim.report.html import render_html
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="Chromium is missing: run make test (it installs it)"
)


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    """A real run with passes and failures: the phone area against the naive target."""
    scenarios = load_paths([LIBRARY / "phone", LIBRARY / "qr"])
    data = run_all(scenarios, target="pyotp-naive", seed=0).as_dict(run={"complete": True})
    assert 0 < data["summary"]["failed"] < data["summary"]["scenarios"]
    return data


@pytest.fixture(scope="module")
def page(results: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(results), encoding="utf-8")
    return path


def shown(dom: Elements) -> list[str]:
    return [str(s["id"]) for s in dom.having("section", class_="scenario") if "hidden" not in s]


def test_the_page_loads_quietly_with_verdict_matrix_and_timelines(
    page: Path, results: dict[str, Any]
) -> None:
    loaded = load(page)
    assert loaded.console == []
    dom = Elements(loaded.dom)
    (main,) = dom.having("main", id="report")
    assert main["data-verdict"] == "failed"
    assert dom.having("section", id="verdict")
    assert dom.having("table", id="matrix")
    rows = dom.having("tr", class_="requirement")
    assert len(rows) == len(results["requirements"])
    scenarios = dom.having("section", class_="scenario")
    assert len(scenarios) == results["summary"]["scenarios"] == len(shown(dom))
    assert len(dom.having("ol", class_="timeline")) == len(scenarios)
    steps = dom.having("li", class_="step")
    assert len(steps) == sum(len(s["steps"]) for s in results["scenarios"])


def test_the_verdict_filter_shows_only_failed_scenarios(
    page: Path, results: dict[str, Any]
) -> None:
    dom = Elements(load(page, "verdict=failed").dom)
    failed = sorted(f"scenario-{s['id']}" for s in results["scenarios"] if s["verdict"] == "failed")
    assert sorted(shown(dom)) == failed
    total = results["summary"]["scenarios"]
    assert re.search(rf"\b{len(failed)} of {total} scenarios shown", "".join(dom.text))


def test_tag_and_requirement_filters_combine(page: Path, results: dict[str, Any]) -> None:
    requirement = "ASVS5-6.5.1"
    dom = Elements(load(page, f"tag=negative&requirement={requirement}").dom)
    wanted = sorted(
        f"scenario-{s['id']}"
        for s in results["scenarios"]
        if "negative" in s["tags"] and requirement in s["covers"]
    )
    assert wanted, "the sample must hold such scenarios"
    assert sorted(shown(dom)) == wanted


def test_a_screenshot_shows_a_page(page: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.png"
    screenshot(page, out)
    image = Image.open(out).convert("RGB")
    assert image.size == (1280, 2400)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "a blank or near-blank page"
    darkest = min(sum(c) for _, c in colours)
    assert darkest < 200, "no text on the page"


HOSTILE = """\
id: hostile
title: "<script>console.log('pwned')</script><img src=x onerror=\\"console.log('img')\\">"
given:
  users: [alice]
  phones: [{number: "+15551230001"}]
steps:
  - submit_phone:
  - advance: 5s
  - enter_code: {code: "<b>000000</b>", expect: "wrong_code"}
"""


def test_hostile_scenario_text_does_not_run(tmp_path: Path) -> None:
    """Scenario titles and typed codes are untrusted: the page shows them as text, runs nothing
    from them (no console message, no extra script or image element)."""
    from twofa_sim.scenario.loader import load_scenarios

    path = tmp_path / "hostile.scenario.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    data = run_all(load_scenarios(path), seed=0).as_dict(run={"complete": True})
    page = tmp_path / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    loaded = load(page)
    assert loaded.console == []
    dom = Elements(loaded.dom)
    assert len([t for t, _ in dom.found if t == "script"]) == 1  # the report's own
    assert not [a for t, a in dom.found if t == "img" and a.get("src") == "x"]
    assert "<script>console.log('pwned')</script>" in "".join(dom.text)

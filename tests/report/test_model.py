"""The report's model (twofa_sim.report.model): one place computes the verdict, the counts, the
failing steps and the traceability rows, so every format says the same thing (issue 15, 6)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from twofa_sim.report.html import render_html
from twofa_sim.report.junit import render_junit
from twofa_sim.report.markdown import render_markdown
from twofa_sim.report.model import run_verdict, scenario_counts, traceability

RESULTS = {
    "schema_version": 1,
    "seed": 0,
    "target": "reference",
    "run": {"complete": True},
    "requirements": [
        {"id": "R-PASS", "title": "a", "source": "s", "testable": True, "scenarios": ["ok"]},
        {"id": "R-FAIL", "title": "b", "source": "s", "testable": True, "scenarios": ["ok", "bad"]},
        {"id": "R-GAP", "title": "c", "source": "s", "testable": True, "scenarios": []},
        {"id": "R-DOC", "title": "d", "source": "s", "testable": False, "scenarios": []},
    ],
    "scenarios": [
        {"id": "ok", "verdict": "passed", "covers": ["R-PASS", "R-FAIL"], "steps": []},
        {
            "id": "bad",
            "verdict": "failed",
            "file": "f.scenario.yaml",
            "covers": ["R-FAIL", "R-NEW"],
            "steps": [{"line": 3, "verdict": "passed"}, {"line": 9, "verdict": "failed"}],
        },
    ],
}


def test_rows_follow_the_covering_scenarios() -> None:
    """A requirement passes when every covering scenario passed, fails when one did not, is
    uncovered with none; an ID a scenario covers outside the catalog still gets a row."""
    rows = {row.id: row for row in traceability(RESULTS)}
    assert {rid: row.verdict for rid, row in rows.items()} == {
        "R-PASS": "passed",
        "R-FAIL": "failed",
        "R-GAP": "uncovered",
        "R-DOC": "uncovered",
        "R-NEW": "failed",
    }
    assert rows["R-FAIL"].scenarios == (("ok", "passed"), ("bad", "failed"))
    assert rows["R-NEW"].title.startswith("(not in the requirement catalog")


def test_every_format_states_the_models_verdict_and_counts() -> None:
    """report.html, report.md and junit.xml show the model's verdict and counts, for a complete
    run and for the same run marked incomplete."""
    for complete in (True, False):
        results = {**RESULTS, "run": {"complete": complete}}
        verdict, counts = run_verdict(results), scenario_counts(results)
        assert verdict == ("failed" if complete else "incomplete")
        html = render_html(results)
        assert re.search(rf'<main id="report"[^>]* data-verdict="{verdict}"', html)
        assert render_markdown(results).startswith(
            "## ❌ FAILED" if complete else "## ⚠️ INCOMPLETE"
        )
        suite = ET.fromstring(render_junit(results)).find("testsuite")
        assert suite is not None
        assert (suite.get("tests"), suite.get("failures")) == (
            str(counts["scenarios"]),
            str(counts["failed"]),
        )
        assert suite.get("name", "").endswith("(INCOMPLETE)") is not complete


def test_markdown_and_junit_do_not_load_the_html_renderer() -> None:
    """report.md and junit.xml read the model, not the HTML renderer: rendering them loads
    neither Jinja2 nor the HTML module."""
    payload = json.dumps(RESULTS)
    code = (
        "import sys, json\n"
        "from twofa_sim.report.markdown import render_markdown\n"
        "from twofa_sim.report.junit import render_junit\n"
        f"results = json.loads({payload!r})\n"
        "render_markdown(results); render_junit(results)\n"
        "loaded = [m for m in ('jinja2', 'twofa_sim.report.html') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.strip() == ""

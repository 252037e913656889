"""Report rendering against the issue's budgets: every format for 1,000 scenarios within 5 s, and
report.html for 100 scenarios with their QR images under 5 MB; and what reading such a
results.json back costs (parsing, the depth guard and the schema check) against rendering it.

The scenarios are the bundled library's real results (run once against the reference target, so
they carry real evidence: SMS texts, QR images, audit excerpts), copied under new ids up to the
count. Both figures are budgets, expressed as ratios: ours over the budget must stay <= 1.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._harness import Ratio, best_per_call
from twofa_sim.report.html import render_html
from twofa_sim.report.junit import render_junit
from twofa_sim.report.markdown import render_markdown
from twofa_sim.report.rundir import load_results
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import assemble, run_all

LIBRARY = Path(__file__).parents[1] / "scenarios"
RENDER_BUDGET = 5.0
CHECK_SHARE = 0.5
"""Reading results back (parse, depth guard, schema check) costs at most half of rendering."""
HTML_BUDGET_BYTES = 5 * 1024 * 1024


def _results(count: int, base: list[dict[str, Any]]) -> dict[str, Any]:
    scenarios = []
    for index in range(count):
        entry = copy.deepcopy(base[index % len(base)])
        entry["id"] = f"{entry['id']}-{index}"
        scenarios.append(entry)
    return assemble(0, "reference", scenarios, run={"complete": True})


def run() -> list[Ratio]:
    base = [r.as_dict() for r in run_all(load_paths([LIBRARY]), jobs=2).results]
    thousand = _results(1000, base)

    def all_formats() -> None:
        render_html(thousand)
        render_junit(thousand)
        render_markdown(thousand)

    seconds = best_per_call(all_formats, number=1, repeat=3)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.json"
        path.write_text(json.dumps(thousand, indent=1, ensure_ascii=False), encoding="utf-8")
        reading = best_per_call(lambda: load_results(path), number=1, repeat=3)
    hundred = render_html(_results(100, base)).encode("utf-8")
    images = sum(
        1
        for s in base[:100]
        for step in s["steps"]
        for e in step.get("evidence", [])
        if e["kind"] == "qr"
    )
    print(
        f"     1,000 scenarios: all formats in {seconds:.2f} s; 100 scenarios ({images} QR images "
        f"in the first {min(100, len(base))}): report.html {len(hundred) / 1e6:.2f} MB",
        flush=True,
    )
    return [
        Ratio(
            "render html+junit+md, 1,000 scenarios",
            seconds,
            RENDER_BUDGET,
            1.0,
            "at_most",
            "5 s budget",
        ),
        Ratio(
            "read + check results.json, 1,000 scenarios",
            reading,
            seconds,
            CHECK_SHARE,
            "at_most",
            "rendering it",
        ),
        Ratio(
            "report.html size, 100 scenarios",
            len(hundred),
            HTML_BUDGET_BYTES,
            1.0,
            "at_most",
            "5 MB budget",
            unit="bytes",
        ),
    ]

"""The compare matrix (twofa_sim.report.matrix): cells are each run's own verdicts, each names
the scenarios and steps that decided it, and every rendering shows untrusted text as text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from twofa_sim.errors import InputError
from twofa_sim.report.matrix import (
    FINDINGS_BEGIN,
    FINDINGS_END,
    build_matrix,
    embed_findings,
    render_findings,
    render_matrix_html,
    render_matrix_markdown,
)

STORED = "ASVS5-6.5.2"
"""A requirement only an observation (expect_stored) proves."""
FLOW = "RFC6238-5.2-ONCE"


def _step(line: int, action: str, verdict: str, **extra: Any) -> dict[str, Any]:
    return {"line": line, "action": action, "verdict": verdict, "t": "", "detail": "", **extra}


def _results(
    target: str, verdict: str, steps: list[dict[str, Any]], **repro: Any
) -> dict[str, Any]:
    scenario = {
        "id": "codes-at-rest",
        "title": "Codes are <b>hashed</b>",
        "file": "account/stored.scenario.yaml",
        "line": 1,
        "covers": [STORED, FLOW],
        "tags": [],
        "verdict": verdict,
        "seed": 0,
        "detail": "",
        "steps": steps,
    }
    requirements = [
        {"id": STORED, "title": "Stored hashed", "source": "ASVS5", "testable": True,
         "scenarios": ["codes-at-rest"], "verdict": "failed" if verdict == "failed" else "passed"},
        {"id": FLOW, "title": "Once only", "source": "RFC6238", "testable": True,
         "scenarios": ["codes-at-rest"], "verdict": "passed"},
        {"id": "X-1", "title": "Nobody covers it", "source": "X", "testable": True,
         "scenarios": [], "verdict": "uncovered"},
    ]  # fmt: skip
    return {
        "seed": 0,
        "target": target,
        "scenarios": [scenario],
        "requirements": requirements,
        "reproducibility": {"twofa_sim": "9.9", "command": f"twofa-sim run --target {target}"}
        | repro,
    }


def _pair() -> list[tuple[str, dict[str, Any]]]:
    good = _results(
        "good", "passed", [_step(3, "login", "passed"), _step(4, "expect_stored", "passed")]
    )
    bad = _results(
        "bad",
        "failed",
        [
            _step(3, "login", "passed"),
            _step(4, "expect_stored", "failed", expected="only hashes", actual="9 found in clear"),
        ],
        target_versions={"lib": "1.2"},
    )
    return [("good", good), ("bad", bad)]


def test_a_cell_is_the_runs_own_verdict_decided_by_the_step_that_proves_it() -> None:
    """The storage requirement fails for 'bad' and the cell names the scenario and the
    expect_stored step (file:line, expected, actual); the flow requirement it also covers
    passes, because that step does not prove it; an uncovered requirement is uncovered."""
    matrix = build_matrix(_pair())
    rows = {r.id: r for r in matrix.requirements}
    assert {n: rows[STORED].cells[n].verdict for n in ("good", "bad")} == {
        "good": "passed",
        "bad": "failed",
    }
    (decider,) = rows[STORED].cells["bad"].deciders
    assert decider.scenario == "codes-at-rest"
    assert [(s.where, s.action, s.expected, s.actual) for s in decider.steps] == [
        ("account/stored.scenario.yaml:4", "expect_stored", "only hashes", "9 found in clear")
    ]
    assert rows[FLOW].cells["bad"].verdict == "passed"
    assert rows["X-1"].cells["bad"].verdict == "uncovered"
    assert rows["X-1"].cells["bad"].deciders == ()


def test_json_has_exactly_the_documented_keys_and_versions() -> None:
    """A target's versions are those it declares (a third-party implementation) or twofa-sim's."""
    data = build_matrix(_pair()).as_json()
    assert data["targets"] == [
        {"name": "good", "versions": {"twofa-sim": "9.9"}},
        {"name": "bad", "versions": {"lib": "1.2"}},
    ]
    assert data["scenarios"] == [
        {"id": "codes-at-rest", "verdicts": {"good": "passed", "bad": "failed"}}
    ]
    assert data["requirements"][0] == {
        "id": STORED,
        "title": "Stored hashed",
        "source": "ASVS5",
        "verdicts": {"good": "passed", "bad": "failed"},
    }
    json.dumps(data)


def test_html_is_self_contained_escaped_and_links_cells_to_scenarios() -> None:
    """compare.html loads nothing, shows a scenario title with markup as text, links the failed
    cell to the deciding scenario's row, and shows the step that decided it."""
    html = render_matrix_html(build_matrix(_pair(), reports={"bad": "bad/report.html"}))
    assert "Content-Security-Policy" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "Codes are &lt;b&gt;hashed&lt;/b&gt;" in html
    assert "<b>hashed</b>" not in html
    assert 'href="#scenario-codes-at-rest"' in html
    assert 'id="scenario-codes-at-rest"' in html
    assert "account/stored.scenario.yaml:4" in html
    assert "9 found in clear" in html
    assert 'href="bad/report.html#scenario-codes-at-rest"' in html
    # the deciding step links to that scenario in the target's own report
    step = re.search(r'<a href="([^"]+)"[^>]*><code class="where">account/stored', html)
    assert step is not None
    assert step.group(1) == "bad/report.html#scenario-codes-at-rest"


def test_markdown_has_a_row_per_requirement_and_scenario_and_says_why() -> None:
    """compare.md: the counts, a row per requirement and per scenario with each target's
    verdict, and the step behind each scenario that did not pass (escaped)."""
    md = render_matrix_markdown(build_matrix(_pair()))
    assert f"| {STORED} | ASVS5 | Stored hashed | ✅ passed | ❌ failed |" in md
    assert "| codes-at-rest | account/stored.scenario.yaml:1 | ✅ passed | ❌ failed |" in md
    assert "expect\\_stored at account/stored.scenario.yaml:4" in md
    assert "9 found in clear" in md


def test_findings_cite_the_broken_requirement_and_the_behaviour_seen() -> None:
    """The findings summary names each divergence with what was seen and the requirement it
    breaks (id and summary), carries its regenerate command, and holds no run-specific value
    (no twofa-sim version for a built-in target)."""
    matrix = build_matrix(_pair())
    text = render_findings(matrix, regenerate="twofa-sim compare ... --findings X")
    assert text.startswith(FINDINGS_BEGIN)
    assert text.rstrip().endswith(FINDINGS_END)
    assert "twofa-sim compare ... --findings X" in text
    assert "#### `bad` (lib 1.2)" in text
    assert "#### `good`" not in text  # a built-in target: counted, not detailed
    assert "Not detailed below (built-in targets, shown for scale): `good`" in text
    both = render_findings(matrix, regenerate="x", detail=["good", "bad"])
    assert "#### `good`\n\nPasses all 1 scenarios." in both
    assert "9 found in clear" in text
    assert f"Breaks: {STORED} (Stored hashed)." in text
    assert "9.9" not in text


def test_embedding_keeps_everything_outside_the_markers() -> None:
    """Only the marked block changes; a document without markers becomes the block; a marker
    named inside a line of prose is not a marker."""
    block = f"{FINDINGS_BEGIN}\nnew\n{FINDINGS_END}\n"
    doc = f"a `{FINDINGS_BEGIN}` in prose\n{FINDINGS_BEGIN}\nold\n{FINDINGS_END}\nb\n"
    assert embed_findings(doc, block) == (
        f"a `{FINDINGS_BEGIN}` in prose\n{FINDINGS_BEGIN}\nnew\n{FINDINGS_END}\nb\n"
    )
    assert embed_findings("no markers here", block) == block


def test_a_document_with_half_a_block_is_refused_not_overwritten() -> None:
    """One marker line without the other, two blocks, or END before BEGIN: bad input, located."""
    block = f"{FINDINGS_BEGIN}\nnew\n{FINDINGS_END}\n"
    for doc in (
        f"a\n{FINDINGS_BEGIN}\nb\n",
        f"{FINDINGS_END}\nx\n{FINDINGS_BEGIN}\n",
        f"{FINDINGS_BEGIN}\n{FINDINGS_END}\n{FINDINGS_BEGIN}\n{FINDINGS_END}\n",
    ):
        with pytest.raises(InputError) as caught:
            embed_findings(doc, block, where="--findings README.md")
        assert caught.value.where == "--findings README.md"

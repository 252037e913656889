"""report.html, report.md and junit.xml rendered from results.json (twofa_sim.report renderers).

The results come from real runs of part of the bundled library (account and QR scenarios)
against the reference service and against pyotp-naive, so every evidence kind those files
produce reaches the renderers; hostile values are then planted in copies of those results.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.report.html import render_html
from twofa_sim.report.junit import render_junit
from twofa_sim.report.markdown import MAX_FAILED, escape, render_markdown
from twofa_sim.report.schema import check_results
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"
Results = dict[str, Any]
RENDERERS: list[Callable[[Mapping[str, Any]], str]] = [
    render_html,
    render_markdown,
    render_junit,
]

SCRIPT_TITLE = "<script>alert(1)</script>"
IMG_SMS = "<img src=x onerror=alert(1)>"
SVG_TAG = '"><svg onload=alert(1)>'
REQ_ISH = 'ASVS5-6.5.1"><a href="https://evil.example/">x</a>'


def _run(target: str) -> Results:
    scenarios = load_paths([LIBRARY / "account", LIBRARY / "qr"])
    results = run_all(scenarios, target=target, seed=0).as_dict()
    results["reproducibility"] = {
        "twofa_sim": "0.1.0",
        "git": {"commit": "c429fc1014d0f687232ab444686456df0b4d4d9b", "dirty": False},
        "python": "3.11.7",
        "implementation": "cpython",
        "platform": "Linux-6.1-x86_64-with-glibc2.36",
        "packages": {"pyotp": "2.9.0", "segno": "1.6.1", "zxing-cpp": None},
        "seed": 0,
        "target": target,
        "command": f"twofa-sim run scenarios/account scenarios/qr --target {target} --seed 0",
    }
    results["run"] = {"complete": True}
    check_results(results, where=target)  # what the renderers get is what runs write
    return results


@pytest.fixture(scope="module")
def reference() -> Results:
    return _run("reference")


@pytest.fixture(scope="module")
def naive() -> Results:
    return _run("pyotp-naive")


@pytest.fixture(params=["reference", "naive"])
def sample(request: pytest.FixtureRequest) -> Results:
    results: Results = copy.deepcopy(request.getfixturevalue(request.param))
    return results


class Page(HTMLParser):
    """Every start tag with its attributes, and which scenario section it sits in."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], int]] = []
        self.scenario = -1
        self.texts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "section" and "scenario" in found.get("class", "").split():
            self.scenario += 1
        self.tags.append((tag, found, self.scenario))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Tags matching every given attribute (``class_`` matches one class word)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [
            found
            for name, found, _ in self.tags
            if name == tag
            and all(
                v in found.get(k, "").split() if k == "class" else found.get(k) == v
                for k, v in wanted.items()
            )
        ]

    def in_scenario(self, index: int, tag: str, class_: str) -> int:
        return sum(
            1
            for name, found, at in self.tags
            if at == index and name == tag and class_ in found.get("class", "").split()
        )


def _hostile(results: Results) -> Results:
    """A copy whose first scenario carries a script payload in every untrusted place."""
    hostile = copy.deepcopy(results)
    first = hostile["scenarios"][0]
    first["title"] = SCRIPT_TITLE
    first["tags"] = [*first["tags"], SVG_TAG]
    first["covers"] = [*first["covers"], REQ_ISH]
    first["detail"] = "</pre><script>alert(4)</script>"
    first["steps"][0]["evidence"] = [
        {"kind": "sms", "to": "+1<b>", "text": IMG_SMS, "at": 1772355602.0},
        {"kind": "qr", "png": 'x" onerror="alert(5)', "uri": "javascript:alert(6)", "lint": []},
        {"kind": "<svg onload=alert(7)>", "value": "<script>alert(8)</script>"},
    ]
    first["context"] = ["<iframe src=https://evil.example/>"]
    hostile["requirements"][0]["title"] = "[click](https://evil.example) | <b>bold</b>"
    hostile["reproducibility"]["command"] = "twofa-sim run '</code><script>alert(9)</script>'"
    return hostile


# --- all formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("render", RENDERERS)
def test_every_format_renders_both_runs_the_same_way_twice(
    render: Callable[[Mapping[str, Any]], str], sample: Results
) -> None:
    """Rendering is deterministic (same results, same bytes) and leaves results.json as it was."""
    before = copy.deepcopy(sample)
    first = render(sample)
    assert first
    assert first == render(copy.deepcopy(sample))
    assert sample == before


@pytest.mark.parametrize("render", RENDERERS)
def test_a_half_written_run_still_renders(render: Callable[[Mapping[str, Any]], str]) -> None:
    """A run killed half-way may leave no summary, no requirements and sparse scenarios."""
    partial = {
        "run": {"complete": False},
        "scenarios": [
            {"id": "only-id"},
            {"id": "failed-one", "verdict": "failed", "steps": [{"verdict": "failed"}]},
        ],
    }
    assert "only-id" in render(partial)


# --- report.html --------------------------------------------------------------------------


def test_html_has_the_hooks_the_browser_test_reads(sample: Results) -> None:
    """main#report, the verdict and reproducibility sections, one matrix row per requirement
    grouped by verdict (failed, error, unsupported, gaps, passed, not applicable; those a
    simulation cannot test last), one section per scenario with its timeline, and the three
    filters."""
    page = Page(render_html(sample))
    verdict = "passed" if sample["summary"]["failed"] == 0 else "failed"
    assert page.find("main", id="report", **{"data-verdict": verdict})
    assert page.find("section", id="verdict")
    assert page.find("section", id="reproducibility")
    assert len(page.find("table", id="matrix")) == 1
    rows = page.find("tr", class_="requirement")
    testable = [r for r in sample["requirements"] if r["testable"] or r["scenarios"]]
    order = ["failed", "error", "unsupported", "uncovered", "passed", "not_applicable"]
    grouped = [r for verdict in order for r in testable if r["verdict"] == verdict]
    expected_rows = grouped + [r for r in sample["requirements"] if r not in testable]
    assert [(r["data-id"], r["data-verdict"]) for r in rows] == [
        (r["id"], r["verdict"]) for r in expected_rows
    ]
    sections = page.find("section", class_="scenario")
    assert [s["id"] for s in sections] == [f"scenario-{s['id']}" for s in sample["scenarios"]]
    for index, (section, scenario) in enumerate(zip(sections, sample["scenarios"], strict=True)):
        assert section["data-verdict"] == scenario["verdict"]
        assert section["data-tags"].split() == scenario["tags"]
        assert section["data-covers"].split() == scenario["covers"]
        assert page.in_scenario(index, "ol", "timeline") == 1
        assert page.in_scenario(index, "li", "step") == len(scenario["steps"])
    for name in ("verdict", "tag", "requirement"):
        assert len(page.find("select", id=f"filter-{name}")) == 1
    count = len(sample["scenarios"])
    assert f"{count} of {count} scenarios shown" in "".join(page.texts)


def test_html_failed_steps_show_expected_against_actual_and_the_world(naive: Results) -> None:
    """Each failing step's file:line, expected and actual, and the context are on the page."""
    text = render_html(naive)
    failed = [s for s in naive["scenarios"] if s["verdict"] == "failed"]
    assert failed
    page = Page(text)
    steps = page.find("li", class_="step", **{"data-verdict": "failed"})
    assert len(steps) == sum(
        1 for s in failed for step in s["steps"] if step["verdict"] == "failed"
    )
    for scenario in failed:
        step = next(s for s in scenario["steps"] if s["verdict"] == "failed")
        assert f"{scenario['file']}:{step['line']}" in text
    body = "".join(page.texts)
    for scenario in failed:
        step = next(s for s in scenario["steps"] if s["verdict"] == "failed")
        assert str(step["expected"]) in body
        assert str(step["actual"]) in body
        for line in scenario.get("context", []):
            assert line in body


def test_html_escapes_every_hostile_value(naive: Results) -> None:
    """Scenario titles, SMS text, tags, requirement IDs, evidence kinds, URIs and commands are
    untrusted: none comes out as markup, only as its escaped text (issue 6, section 2)."""
    text = render_html(_hostile(naive))
    for payload in (SCRIPT_TITLE, IMG_SMS, SVG_TAG, REQ_ISH, "<svg onload=alert(7)>"):
        assert payload not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in text
    assert "&lt;/code&gt;&lt;script&gt;alert(9)&lt;/script&gt;" in text
    page = Page(text)
    assert len(page.find("script")) == 1, "only the report's own script block"
    handlers = [(tag, a) for tag, attrs, _ in page.tags for a in attrs if a.startswith("on")]
    assert handlers == []
    assert not page.find("img", src='data:image/png;base64,x" onerror="alert(5)')
    assert not [a for _, a, _ in page.tags if a.get("href", "#").startswith("javascript")]


def test_html_loads_nothing_from_the_network(reference: Results) -> None:
    """One self-contained file: no src/href outside the page, no CSS import or url(), and a
    Content-Security-Policy that would block any fetch anyway."""
    text = render_html(_hostile(reference))
    page = Page(text)
    for _, attrs, _ in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:image/png;base64,")), (name, value)
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(?!data:)", text)
    csp = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert csp[0]["content"].startswith("default-src 'none'; img-src data:")


def test_html_inlines_the_qr_png_and_shows_the_masked_uri(reference: Results) -> None:
    """QR evidence: the PNG as a data: URI, the URI with its secret masked, the lint result."""
    page = Page(render_html(reference))
    images = page.find("img", class_="qr-img")
    qrs = [
        e
        for s in reference["scenarios"]
        for step in s["steps"]
        for e in step.get("evidence", [])
        if e["kind"] == "qr"
    ]
    assert qrs
    assert [i["src"] for i in images] == [f"data:image/png;base64,{q['png']}" for q in qrs]
    body = "".join(page.texts)
    assert all(q["uri"] in body for q in qrs)


def test_html_incomplete_run_says_so_at_the_top(reference: Results) -> None:
    """run.complete false: the page is marked incomplete and the banner says the run stopped."""
    partial = copy.deepcopy(reference)
    partial["run"] = {"complete": False}
    partial["scenarios"] = partial["scenarios"][:3]
    page = Page(render_html(partial))
    assert page.find("main", id="report", **{"data-verdict": "incomplete"})
    banner = "".join(page.texts)
    assert "INCOMPLETE" in banner
    assert "This run did not finish" in banner


def test_html_policy_table_or_unknown(reference: Results) -> None:
    """The policy under test as a table when results carry one, else a plain statement."""
    assert "policy is not known" in render_html(reference)
    with_policy = copy.deepcopy(reference)
    with_policy["policy"] = dataclasses.asdict(SecurityPolicy())
    text = render_html(with_policy)
    assert "policy is not known" not in text
    assert "totp.replay_protection" in text
    assert "600 s (10 min)" in text


def test_html_lists_gaps_and_untestable_requirements_apart(reference: Results) -> None:
    """Uncovered testable requirements are gaps; untestable ones are listed separately."""
    text = render_html(reference)
    gaps = [r for r in reference["requirements"] if r["testable"] and not r["scenarios"]]
    untestable = [r for r in reference["requirements"] if not r["testable"]]
    assert gaps
    assert untestable
    assert f"no scenario covers ({len(gaps)})" in text
    assert f"Not testable by simulation ({len(untestable)})" in text
    page = Page(text)
    apart = page.find("tr", class_="untestable")
    assert [r["data-id"] for r in apart] == [r["id"] for r in untestable]


# --- junit.xml ----------------------------------------------------------------------------


def test_junit_counts_and_one_testcase_per_scenario(sample: Results) -> None:
    """The suite's counts match the run; every scenario is a testcase named by its id."""
    root = ET.fromstring(render_junit(sample))
    suite = root.find("testsuite")
    assert suite is not None
    summary = sample["summary"]
    assert suite.get("tests") == str(summary["scenarios"])
    assert suite.get("failures") == str(summary["failed"])
    assert suite.get("errors") == str(summary["errors"])
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [s["id"] for s in sample["scenarios"]]
    assert len(suite.findall("testcase/failure")) == summary["failed"]


def test_junit_classname_is_the_scenario_files_area_and_name(naive: Results) -> None:
    """classname is the file's path as dotted parts, so CI tools group scenarios by area."""
    relative = copy.deepcopy(naive)
    relative["scenarios"][0]["file"] = "scenarios/account/audit-log.scenario.yaml"
    case = ET.fromstring(render_junit(relative)).find("testsuite/testcase")
    assert case is not None
    assert case.get("classname") == "scenarios.account.audit-log"
    assert case.get("file") == "scenarios/account/audit-log.scenario.yaml"


def test_junit_failures_name_the_step_and_what_differed(naive: Results) -> None:
    """A failure's message is the failing step's file:line with expected and actual."""
    cases = ET.fromstring(render_junit(naive)).iter("testcase")
    by_id = {s["id"]: s for s in naive["scenarios"]}
    failures = 0
    for case in cases:
        scenario = by_id[case.get("name", "")]
        failure = case.find("failure")
        if scenario["verdict"] != "failed":
            assert failure is None
            continue
        failures += 1
        assert failure is not None
        step = next(s for s in scenario["steps"] if s["verdict"] == "failed")
        message = failure.get("message", "")
        assert message.startswith(f"{scenario['file']}:{step['line']}: ")
        assert f"expected {step['expected']}, actual {step['actual']}" in message
        assert f"expected: {step['expected']}" in (failure.text or "")
    assert failures == naive["summary"]["failed"] > 0


def test_junit_properties_carry_requirements_seed_and_reproducibility(naive: Results) -> None:
    """Testcase properties: covers (and Xray's requirements), seed, target; suite properties:
    counts and the whole reproducibility block, command included."""
    suite = ET.fromstring(render_junit(naive)).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["seed"] == "0"
    assert props["target"] == "pyotp-naive"
    assert props["run.complete"] == "true"
    assert props["summary.failed"] == str(naive["summary"]["failed"])
    assert props["reproducibility.command"] == naive["reproducibility"]["command"]
    assert props["reproducibility.git.commit"] == naive["reproducibility"]["git"]["commit"]
    for case, scenario in zip(suite.findall("testcase"), naive["scenarios"], strict=True):
        own = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert own["covers"] == " ".join(scenario["covers"])
        assert own["requirements"] == ",".join(scenario["covers"])
        assert own["seed"] == str(scenario["seed"])
        assert own["target"] == "pyotp-naive"


def test_junit_has_the_shape_pytest_writes(pytester: pytest.Pytester, naive: Results) -> None:
    """Same elements and attributes as pytest's own --junit-xml, so CI tools read it alike."""
    pytester.makepyfile("def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n")
    pytester.runpytest("--junit-xml=junit.xml", "-p", "no:cacheprovider")
    theirs = ET.parse(pytester.path / "junit.xml").getroot()
    ours = ET.fromstring(render_junit(naive))

    def shape(root: ET.Element) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for parent in root.iter():
            for child in parent:
                found.setdefault(f"{parent.tag}/{child.tag}", set()).update(child.attrib)
        found[root.tag] = set(root.attrib)
        return found

    pytest_shape, our_shape = shape(theirs), shape(ours)
    for path in ("testsuites/testsuite", "testsuite/testcase", "testcase/failure"):
        assert path in our_shape
        missing = pytest_shape[path] - our_shape[path] - {"timestamp", "hostname"}
        assert not missing, (path, missing)


def test_junit_survives_characters_xml_cannot_carry(naive: Results) -> None:
    """A control character in a title is shown as \\x07 instead of breaking the XML."""
    odd = copy.deepcopy(naive)
    odd["scenarios"][0]["title"] = "bell\x07 <tag> & done"
    root = ET.fromstring(render_junit(odd))
    values = [p.get("value") for p in root.iter("property") if p.get("name") == "title"]
    assert "bell\\x07 <tag> & done" in values


# --- report.md ----------------------------------------------------------------------------


def test_markdown_summary_names_failures_with_where_and_why(naive: Results) -> None:
    """Verdict line, counts, target, seed and command, then each failure's file:line."""
    text = render_markdown(naive)
    assert text.startswith("## ❌ FAILED")
    assert f"**{naive['summary']['failed']} failed**" in text
    assert naive["reproducibility"]["command"] in text
    for scenario in naive["scenarios"]:
        if scenario["verdict"] == "failed":
            step = next(s for s in scenario["steps"] if s["verdict"] == "failed")
            assert escape(f"{scenario['file']}:{step['line']}") in text


def test_markdown_caps_the_failed_list_and_stays_short(naive: Results) -> None:
    """Forty-five failures: twenty listed, then "and 25 more"; the whole summary under 60 lines."""
    many = copy.deepcopy(naive)
    failed = [s for s in many["scenarios"] if s["verdict"] == "failed"]
    many["scenarios"] = [
        {**copy.deepcopy(failed[i % len(failed)]), "id": f"failure-{i:02d}"} for i in range(45)
    ]
    text = render_markdown(many)
    assert sum(1 for line in text.splitlines() if line.startswith("| **failure-")) == MAX_FAILED
    assert "and 25 more" in text
    assert len(text.splitlines()) < 60


def test_markdown_escapes_hostile_values(naive: Results) -> None:
    """No HTML, link, image or table break can come out of a title or a requirement."""
    hostile = _hostile(naive)
    hostile["scenarios"][0]["verdict"] = "failed"
    hostile["scenarios"][0]["title"] = f"{SCRIPT_TITLE} | [x](https://evil.example) ![i](y)"
    text = render_markdown(hostile)
    assert SCRIPT_TITLE not in text
    assert "](https://evil" not in text
    assert "https://evil" not in text, "GitHub would autolink a bare URL"
    assert "\\<script\\>alert\\(1\\)\\</script\\> \\| \\[x\\]\\(https\\://evil.example\\)" in text
    row = next(line for line in text.splitlines() if line.startswith("| **") and "alert" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 5, "the title's pipe did not open a new cell"


def test_markdown_command_fence_cannot_be_closed_from_inside(naive: Results) -> None:
    """The reproduce command sits in a fence longer than any backtick run it contains."""
    odd = copy.deepcopy(naive)
    odd["reproducibility"]["command"] = "twofa-sim run '```\n# heading'"
    text = render_markdown(odd)
    assert "````console\ntwofa-sim run '```\n# heading'\n````" in text


def test_markdown_incomplete_run_warns(reference: Results) -> None:
    """A run killed half-way is headed INCOMPLETE and says only finished scenarios count."""
    partial = copy.deepcopy(reference)
    partial["run"] = {"complete": False}
    text = render_markdown(partial)
    assert text.startswith("## ⚠️ INCOMPLETE")
    assert "did not finish" in text

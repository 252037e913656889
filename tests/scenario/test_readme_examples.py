"""The README's scenario examples are real: the full example passes, the for_all one loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twofa_sim.scenario.loader import load_scenarios
from twofa_sim.scenario.runner import run_scenario

README = Path(__file__).parents[2] / "README.md"


def blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Scenario files") : text.index("### Under pytest")]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_the_readme_example_scenario_passes(tmp_path: Path) -> None:
    path = tmp_path / "readme.scenario.yaml"
    path.write_text(blocks()[0], encoding="utf-8")
    (scenario,) = load_scenarios(path)
    result = run_scenario(scenario)
    assert result.verdict == "passed", result.detail
    assert scenario.covers == ("RFC6238-5.2-ONCE", "ASVS5-6.5.1")


def test_the_readme_for_all_example_runs_as_a_property(tmp_path: Path) -> None:
    fragment = "\n".join(line[2:] for line in blocks()[1].splitlines())
    text = (
        "id: p\ntitle: P\n"
        + fragment
        + "steps:\n  - login_with: {factor: sms, expect: logged_in}\n"
    )
    path = tmp_path / "p.scenario.yaml"
    path.write_text(text, encoding="utf-8")
    (scenario,) = load_scenarios(path)
    assert set(scenario.for_all) == {"offset", "app", "late"}
    result = run_scenario(scenario, seed=1)
    assert result.verdict == "passed", result.detail
    assert result.examples == 20


def test_the_readme_fixture_example_passes_as_a_first_test(pytester: pytest.Pytester) -> None:
    """Issue 16.15: the README's fixture example is what a newcomer writes first; it runs as
    written (the default phone receives the SMS) and passes."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Under pytest") : text.index("### Testing your own")]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.S)
    assert 8 <= len(example.strip().splitlines()) <= 14
    pytester.makepyfile(test_first=example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_benchmark_table_counts_the_library_as_it_is() -> None:
    """Issue 16.22: the README's benchmark figure for the library names how many scenarios it
    timed; a stale count makes figures from different days look comparable when they are not."""
    from twofa_sim.scenario.loader import load_paths

    text = README.read_text(encoding="utf-8")
    (count,) = re.findall(r"the bundled scenario library \((\d+) scenarios", text)
    assert int(count) == len(load_paths([README.parent / "scenarios"]))

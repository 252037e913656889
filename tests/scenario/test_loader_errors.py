"""Broken scenario files: every problem located as FILE:LINE:COLUMN with a message and a hint.

The corpus is tests/bad_inputs/scenarios/: each file's first line says what must be reported
(``# expect: LINE:COL: message | hint``). The same corpus is checked through ``twofa-sim run``
(stderr, exit 2, no traceback) and through the pytest plugin (a collection error).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Run, run  # noqa: F401 - the CLI fixture
from twofa_sim.errors import ScenarioFileError
from twofa_sim.scenario.loader import load_paths, load_scenarios

CORPUS = Path(__file__).parents[1] / "bad_inputs" / "scenarios"
FILES = sorted(CORPUS.glob("*.scenario.yaml"))


def expectation(path: Path) -> tuple[str, str, list[str]]:
    """(``LINE:COL``, message fragment, hint fragments) from the file's first line."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# expect: (\d+:\d+): (.*)", first)
    assert match, f"{path.name}: first line must be '# expect: LINE:COL: message | hint'"
    message, *hints = (part.strip() for part in match.group(2).split("|"))
    return match.group(1), message, hints


def test_the_corpus_is_large() -> None:
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=[p.name.split(".")[0] for p in FILES])
def test_run_reports_the_problem_where_it_is(path: Path, run: Run) -> None:  # noqa: F811
    """twofa-sim run: exit 2, the problem as FILE:LINE:COL first, then the line and a caret,
    the hint, and never a traceback."""
    where, message, hints = expectation(path)
    result = run("run", str(path), "--report-dir", str(path.parent / "never"))
    assert result.code == 2
    assert result.out == ""
    first = result.err.splitlines()[0]
    assert first.startswith(f"{path}:{where}: "), result.err
    assert message in first, result.err
    for hint in hints:
        assert hint in result.err, result.err
    assert "Traceback" not in result.err
    assert "nothing was run" in result.err.splitlines()[-1]
    assert not (path.parent / "never").exists()


def test_the_caret_points_at_the_column(run: Run) -> None:  # noqa: F811
    path = CORPUS / "unknown-step.scenario.yaml"
    lines = run("run", str(path)).err.splitlines()
    assert lines[1].strip() == "- advnce: 5s"
    assert lines[2].index("^") == lines[1].index("advnce")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.scenario.yaml"
    path.write_text(
        "id: many\ntitle: Three mistakes\ncovers: [NIST-63B-5.2.3]\nsteps:\n"
        "  - advnce: 1s\n  - login: {colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, 10), (5, 5), (6, 13)]


def test_a_duplicate_id_across_files_names_the_first(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.scenario.yaml").write_text(
            "id: same\ntitle: T\nsteps:\n  - advance: 1s\n", encoding="utf-8"
        )
    with pytest.raises(ScenarioFileError) as caught:
        load_paths([tmp_path])
    (problem,) = caught.value.problems
    assert problem.file.endswith("b.scenario.yaml")
    assert "duplicate scenario id 'same'" in problem.message
    assert problem.hint.endswith("a.scenario.yaml:1")


def test_a_missing_path_is_bad_input(run: Run, tmp_path: Path) -> None:  # noqa: F811
    result = run("run", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert "no such file or directory" in result.err


def test_the_plugin_fails_collection_with_the_same_message(pytester: pytest.Pytester) -> None:
    """Under pytest, a broken file is a collection error showing FILE:LINE:COL, not a
    traceback (the rest of the corpus is checked through twofa-sim run above)."""
    for name in ("unknown-step", "undefined-capture", "policy-typo"):
        shutil.copy(CORPUS / f"{name}.scenario.yaml", pytester.path)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*policy-typo.scenario.yaml:6:5: no policy setting 'lockout_duraton'",
            "*undefined-capture.scenario.yaml:12:24: {cod} is used before it is defined",
            "*unknown-step.scenario.yaml:5:5: unknown step 'advnce'",
            "*hint: did you mean 'advance'?",
        ]
    )
    assert "Traceback" not in result.stdout.str()

"""What `twofa-sim run` leaves on disk, and what `twofa-sim report` does with it: the run
directory and `latest`, the manifest and its verification, re-rendering, comparing two runs,
a run killed half-way, and no secret in any file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import jsonschema
import pytest

from tests.cli.conftest import Run
from twofa_sim.report.rundir import RunDirectory
from twofa_sim.report.schema import results_schema
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"
FILES = {
    "results.jsonl",
    "results.json",
    "execution.json",
    "junit.xml",
    "report.html",
    "report.md",
    "manifest.json",
}


def run_dir(run: Run, reports: Path, *args: str) -> Path:
    """Run the phone scenarios into ``reports``; every run checked against the schema."""
    result = run("run", str(LIBRARY / "phone"), "--report-dir", str(reports), *args)
    assert result.code in (0, 1), result.err
    directory = (reports / "latest").resolve()
    data = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, results_schema(), cls=jsonschema.Draft202012Validator)
    return directory


def test_a_run_writes_its_directory_and_latest_points_to_it(run: Run, tmp_path: Path) -> None:
    first = run_dir(run, tmp_path)
    assert {p.name for p in first.iterdir()} == FILES
    assert first.parent == tmp_path and first.name.endswith(tuple("0123456789abcdef"))
    second = run_dir(run, tmp_path, "--seed", "3")
    assert second != first and "seed3" in second.name
    assert os.readlink(tmp_path / "latest") == second.name
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == FILES - {"manifest.json"}


def test_verify_names_each_changed_missing_or_added_file(run: Run, tmp_path: Path) -> None:
    directory = run_dir(run, tmp_path)
    intact = run("report", "verify", str(directory))
    assert (intact.code, intact.out.startswith("intact")) == (0, True)
    with (directory / "report.md").open("a", encoding="utf-8") as out:
        out.write("all passed, trust me\n")
    (directory / "junit.xml").unlink()
    (directory / "extra.txt").write_text("x", encoding="utf-8")
    tampered = run("report", "verify", str(directory))
    assert tampered.code == 1
    assert tampered.out.splitlines() == [
        "changed: report.md",
        "missing: junit.xml",
        "added: extra.txt",
    ]
    assert "does not match its manifest" in tampered.err
    assert run("report", "verify", str(tmp_path / "nothing")).code == 2


def test_report_renders_any_format_again_byte_for_byte(run: Run, tmp_path: Path) -> None:
    directory = run_dir(run, tmp_path)
    for fmt, name in (("junit", "junit.xml"), ("html", "report.html"), ("md", "report.md")):
        out = tmp_path / f"again.{fmt}"
        assert (
            run("report", str(directory / "results.json"), "--format", fmt, "-o", str(out)).code
            == 0
        )
        assert out.read_bytes() == (directory / name).read_bytes(), fmt
    shown = run("report", str(directory), "--format", "json")
    assert json.loads(shown.out) == json.loads((directory / "results.json").read_text("utf-8"))
    assert run("report", str(tmp_path / "missing.json")).code == 2
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    refused = run("report", str(tmp_path / "bad.json"))
    assert refused.code == 2 and "schema_version" in refused.err


def test_diff_reports_regressions_and_fixes(run: Run, tmp_path: Path) -> None:
    good = run_dir(run, tmp_path / "good")
    bad = run_dir(run, tmp_path / "bad", "--target", "pyotp-naive")
    worse = run("report", "diff", str(good), str(bad))
    assert worse.code == 1
    assert "new failures (" in worse.out and "phone-code-expired" in worse.out
    assert worse.out.rstrip().endswith("REGRESSED")
    better = run("report", "diff", str(bad), str(good), "--json")
    data = json.loads(better.out)
    assert better.code == 0 and not data["regressed"] and "phone-code-expired" in data["fixed"]
    assert run("report", "diff", str(good), str(good)).code == 0


KILLER = '''
import os, signal
from pathlib import Path
from twofa_sim.scenario.targets.reference import ReferenceTarget

COUNT = Path(os.environ["KILLER_COUNT"])

class Killer(ReferenceTarget):
    """Kills its own process (SIGKILL: no cleanup at all) as the third scenario starts."""
    def __init__(self, context):
        n = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
        COUNT.write_text(str(n))
        if n == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        super().__init__(context)
'''


def test_a_run_killed_half_way_keeps_what_finished(run: Run, tmp_path: Path) -> None:
    """Results stream as scenarios finish: a SIGKILL leaves the finished ones on disk, latest
    stays on the last complete run, and the partial run renders, marked incomplete."""
    previous = run_dir(run, tmp_path)
    (tmp_path / "killer.py").write_text(dedent(KILLER), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "KILLER_COUNT": str(tmp_path / "n")}
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "twofa_sim",
            "run",
            str(LIBRARY / "phone"),
            "--target",
            "killer:Killer",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9
    assert (tmp_path / "latest").resolve() == previous
    (partial,) = [
        d for d in tmp_path.iterdir() if d.is_dir() and not d.is_symlink() and d != previous
    ]
    assert {p.name for p in partial.iterdir()} == {"results.jsonl"}
    lines = (partial / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["run", "scenario", "scenario"]
    shown = run("report", str(partial), "--format", "json")
    data = json.loads(shown.out)
    assert (data["run"]["complete"], data["summary"]["scenarios"]) == (False, 2)
    markdown = run("report", str(partial), "--format", "md")
    assert markdown.code == 0 and "INCOMPLETE" in markdown.out.upper()
    _diff_says_incomplete(run, previous, partial, reached=False)


def _diff_says_incomplete(run: Run, complete: Path, partial: Path, *, reached: bool) -> None:
    """Issue 16 item 19: `report diff` against a run that did not finish says so, in text and
    JSON; the scenarios it never reached are "not run", not "removed"; and a NEW run that did
    not finish fails the comparison (exit 1), since it proves nothing."""
    against = run("report", "diff", str(complete), str(partial))
    assert against.code == 1
    assert against.out.startswith("NEW is INCOMPLETE")
    assert "scenarios removed" not in against.out
    assert ("not run in NEW (" in against.out) is not reached
    assert against.out.rstrip().splitlines()[-1].startswith(("INCOMPLETE", "REGRESSED"))
    data = json.loads(run("report", "diff", str(complete), str(partial), "--json").out)
    assert data["complete"] == {"old": True, "new": False}
    assert bool(data["not_run"]) is not reached and data["removed"] == []
    since = run("report", "diff", str(partial), str(complete), "--json")
    assert json.loads(since.out)["complete"] == {"old": False, "new": True}
    assert run("report", "diff", str(partial), str(complete)).out.startswith("OLD is INCOMPLETE")


DIES_WRITING_MANIFEST = """
import os, signal, sys
from twofa_sim.report import manifest

def killed(directory):
    os.kill(os.getpid(), signal.SIGKILL)  # as if killed after results.json, before the manifest

manifest.write_manifest = killed
from twofa_sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_during_its_final_writes_is_incomplete_both_ways(
    run: Run, tmp_path: Path
) -> None:
    """Issue 16 item 19: a run killed after results.json but before manifest.json (written
    last) rendered PASSED from its directory and INCOMPLETE from its JSON Lines; both now say
    INCOMPLETE, with the same scenarios, and `latest` stays on the last complete run."""
    previous = run_dir(run, tmp_path)
    command = ["run", str(LIBRARY / "phone"), "--report-dir", str(tmp_path)]
    killed = subprocess.run(
        [sys.executable, "-c", DIES_WRITING_MANIFEST, *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert (tmp_path / "latest").resolve() == previous
    (partial,) = [
        d for d in tmp_path.iterdir() if d.is_dir() and d.name not in ("latest",) and d != previous
    ]
    assert "results.json" in {p.name for p in partial.iterdir()}
    assert "manifest.json" not in {p.name for p in partial.iterdir()}
    shown = {
        source.name: run("report", str(source), "--format", "md").out
        for source in (partial, partial / "results.jsonl")
    }
    assert all(text.startswith("## ⚠️ INCOMPLETE") for text in shown.values()), shown
    as_json = [
        json.loads(run("report", str(source), "--format", "json").out)
        for source in (partial, partial / "results.jsonl")
    ]
    assert [d["run"]["complete"] for d in as_json] == [False, False]
    assert as_json[0]["scenarios"] == as_json[1]["scenarios"]
    whole = run("report", str(partial / "results.json"), "--format", "md")
    assert whole.out.startswith("## ✅ PASSED"), "the file alone says what the run wrote"
    _diff_says_incomplete(run, previous, partial, reached=True)


def test_a_results_json_without_run_complete_is_incomplete(run: Run, tmp_path: Path) -> None:
    """A results.json that does not say the run completed (no `run` block) is rendered as an
    incomplete run, never PASSED."""
    directory = run_dir(run, tmp_path)
    data = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    del data["run"]
    (tmp_path / "no-run.json").write_text(json.dumps(data), encoding="utf-8")
    shown = run("report", str(tmp_path / "no-run.json"), "--format", "md")
    assert shown.code == 0 and shown.out.startswith("## ⚠️ INCOMPLETE")


def test_every_file_of_a_run_is_written_whole_and_readable(run: Run, tmp_path: Path) -> None:
    """Issue 16 item 17: the run's files go through the one atomic-write helper: mode 0644
    whatever the umask, and no temporary file is left behind."""
    old = os.umask(0o077)
    try:
        directory = run_dir(run, tmp_path)
    finally:
        os.umask(old)
    names = {p.name for p in directory.iterdir()}
    assert names == FILES, "no temporary file left"
    for name in FILES - {"results.jsonl"}:
        assert (directory / name).stat().st_mode & 0o777 == 0o644, name


def test_no_code_or_secret_in_any_file_of_a_run(tmp_path: Path) -> None:
    """Every code and secret the run handled (SMS codes, TOTP codes and secrets, Authy tokens,
    push numbers, recovery codes) is searched for in every file the run wrote."""
    scenarios = load_paths([LIBRARY])
    result = run_all(scenarios, seed=0, jobs=2)
    secrets = set().union(*(r.secrets for r in result.results))
    assert len(secrets) > 200
    with RunDirectory(tmp_path, seed=0) as directory:
        for r in result.results:
            directory.scenario(r.as_dict())
        directory.finish(result.as_dict(run={"complete": True}))
    import re

    for path in directory.path.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            if len(secret) >= 4:
                pattern = rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])"
                assert not re.search(pattern, text), (path.name, "a secret or code leaked")
            if len(secret) >= 16:  # a TOTP secret: not even its first characters
                assert f"secret={secret[:4]}" not in text, (path.name, "a masked secret shows")


@pytest.mark.parametrize("bad", ["--report-dir"])
def test_a_report_dir_that_is_a_file_is_bad_input(run: Run, tmp_path: Path, bad: str) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run(
        "run", str(LIBRARY / "phone" / "verify-by-sms.scenario.yaml"), bad, str(tmp_path / "file")
    )
    assert result.code == 2

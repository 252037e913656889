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

import pytest

from tests.cli.conftest import Run
from twofa_sim.report.rundir import RunDirectory
from twofa_sim.scenario.loader import load_paths
from twofa_sim.scenario.results import run_all

LIBRARY = Path(__file__).parents[2] / "scenarios"
FILES = {"results.jsonl", "results.json", "junit.xml", "report.html", "report.md", "manifest.json"}


def run_dir(run: Run, reports: Path, *args: str) -> Path:
    result = run("run", str(LIBRARY / "phone"), "--report-dir", str(reports), *args)
    assert result.code in (0, 1), result.err
    return (reports / "latest").resolve()


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

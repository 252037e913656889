"""``twofa-sim compare``: one matrix from several targets, exit 0 when it ran (a matrix is a
finding), exit 2 with one located line for bad input, and every cell what the target's own
``twofa-sim run`` says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from twofa_sim.report.matrix import CELL_VERDICTS, FINDINGS_BEGIN, FINDINGS_END

PICK = "totp-replay-within-window or login-with-totp or phone-resend-cooldown"
"""Four bundled scenarios; pyotp-naive fails the replay one (it has no replay guard)."""


def _only_dir(root: Path) -> Path:
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    return folder


def test_json_is_exactly_the_documented_shape(run: Run, tmp_path: Path) -> None:
    """--json prints {"targets": [{"name", "versions"}], "requirements": [{"id", "title",
    "source", "verdicts"}], "scenarios": [{"id", "verdicts"}]}, nothing more, with a verdict of
    the documented vocabulary for every target; the run exits 0 although a target failed."""
    out = run(
        "compare", "--target", "reference", "--target", "pyotp-naive", "-k", PICK,
        "--report-dir", str(tmp_path), "--json",
    )  # fmt: skip
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert set(data) == {"targets", "requirements", "scenarios"}
    assert [t["name"] for t in data["targets"]] == ["reference", "pyotp-naive"]
    assert all(set(t) == {"name", "versions"} for t in data["targets"])
    assert all(isinstance(t["versions"], dict) and t["versions"] for t in data["targets"])
    assert data["requirements"]
    for row in data["requirements"]:
        assert set(row) == {"id", "title", "source", "verdicts"}
        assert set(row["verdicts"]) == {"reference", "pyotp-naive"}
        assert set(row["verdicts"].values()) <= set(CELL_VERDICTS)
    scenarios = {s["id"]: s["verdicts"] for s in data["scenarios"]}
    assert all(set(s) == {"id", "verdicts"} for s in data["scenarios"])
    assert set(scenarios) == {
        "login-with-totp",
        "phone-resend-cooldown",
        "phone-resend-cooldown-survives-restart",
        "totp-replay-within-window",
    }
    assert all(v["reference"] == "passed" for v in scenarios.values())
    assert scenarios["login-with-totp"]["pyotp-naive"] == "passed"
    assert scenarios["totp-replay-within-window"]["pyotp-naive"] == "failed"
    replay = next(r for r in data["requirements"] if r["id"] == "RFC6238-5.2-ONCE")
    assert replay["verdicts"] == {"reference": "passed", "pyotp-naive": "failed"}


def test_it_writes_the_matrix_and_each_targets_own_run(run: Run, tmp_path: Path) -> None:
    """DIR/compare-<id>/ holds compare.json (what --json printed), compare.md, compare.html and
    one folder per target with that target's results.json and report.html; the cells link to
    the deciding scenario rows, and the summary names the matrix."""
    out = run(
        "compare", "--target", "reference", "--target", "pyotp-naive", "-k", PICK,
        "--report-dir", str(tmp_path), "--json",
    )  # fmt: skip
    folder = _only_dir(tmp_path)
    assert folder.name.startswith("compare-")
    assert json.loads((folder / "compare.json").read_text("utf-8")) == json.loads(out.out)
    for name in ("reference", "pyotp-naive"):
        results = json.loads((folder / name / "results.json").read_text("utf-8"))
        assert results["target"] == name
        assert (folder / name / "report.html").is_file()
    html = (folder / "compare.html").read_text("utf-8")
    assert 'id="scenario-totp-replay-within-window"' in html
    assert 'href="#scenario-totp-replay-within-window"' in html
    assert 'href="pyotp-naive/report.html#scenario-totp-replay-within-window"' in html
    assert "http://" not in html
    assert "https://" not in html
    md = (folder / "compare.md").read_text("utf-8")
    assert "| RFC6238-5.2-ONCE | RFC6238 |" in md
    assert "twofa-sim compare --target reference --target pyotp-naive" in md
    assert "compare.html" in out.err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "reference", "--target", "nope"], "--target"),
        (["--target", "reference", "--target", "reference"], "given twice"),
        (["--target", "reference", "no/such/dir"], "no/such/dir"),
        (["--target", "reference", "/dev/null"], "not a regular file"),
        (["--target", "reference", "-k", "no-scenario-is-called-this"], "no scenario matches"),
        ([], "--target"),
    ],
)
def test_bad_input_exits_2_with_one_located_line(
    run: Run, tmp_path: Path, args: list[str], says: str
) -> None:
    """An unknown or repeated target, a bad path, a selection that matches nothing, or no
    target at all: exit 2, one line on stderr naming what was wrong, and no matrix written."""
    out = run("compare", *args, "--report-dir", str(tmp_path / "out"))
    assert out.code == 2, out
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert says in lines[0]
    assert "Traceback" not in out.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_missing_extra_exits_2_naming_it(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--target django-otp without the [django] extra: exit 2 before anything runs, one line
    naming the extra to install (checked for every target before the first runs)."""
    from twofa_sim.peers import djangoapp

    packages = dict(djangoapp.PACKAGES, **{"django-otp": "twofa_sim_no_such_module"})
    monkeypatch.setattr(djangoapp, "PACKAGES", packages)
    out = run(
        "compare", "--target", "reference", "--target", "django-otp", "-k", PICK,
        "--report-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert out.code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert "pip install 'twofa-sim[django]'" in lines[0]
    assert not (tmp_path / "out").exists()


def _single(run: Run, tmp_path: Path, target: str, pick: str) -> dict[str, object]:
    out = run("run", "--target", target, "-k", pick, "--report-dir", str(tmp_path), "--json")
    assert out.code in (0, 1), out.err
    data: dict[str, object] = json.loads(out.out)
    return data


@pytest.mark.parametrize("target", ["pyotp-naive", "django-otp"])
def test_every_cell_is_what_the_targets_own_run_says(run: Run, tmp_path: Path, target: str) -> None:
    """A compare cell is the verdict ``twofa-sim run --target T`` gives on the same scenarios
    and seed: every scenario and every requirement."""
    if target == "django-otp":
        pytest.importorskip("django_otp", reason="needs the [django] extra")
        pytest.importorskip("otp_twilio", reason="needs the [django] extra")
    pick = PICK + " or account-codes-stored-hashed or login-sms-code-not-for-a-later-login"
    out = run(
        "compare", "--target", "reference", "--target", target, "-k", pick,
        "--report-dir", str(tmp_path / "cmp"), "--json",
    )  # fmt: skip
    assert out.code == 0, out.err
    matrix = json.loads(out.out)
    alone = _single(run, tmp_path / "run", target, pick)
    scenarios = {s["id"]: s["verdict"] for s in alone["scenarios"]}  # type: ignore[attr-defined]
    requirements = {r["id"]: r["verdict"] for r in alone["requirements"]}  # type: ignore[attr-defined]
    assert {s["id"]: s["verdicts"][target] for s in matrix["scenarios"]} == scenarios
    in_matrix = {r["id"]: r["verdicts"][target] for r in matrix["requirements"]}
    assert in_matrix == {
        rid: ("uncovered" if verdict == "uncovered" else verdict)
        for rid, verdict in requirements.items()
    }
    assert "failed" in scenarios.values()


def test_findings_go_between_the_markers_and_nothing_else_changes(run: Run, tmp_path: Path) -> None:
    """--findings FILE replaces only the text between FILE's markers (a README keeps the rest),
    and says the one command that regenerates it."""
    readme = tmp_path / "README.md"
    readme.write_text(f"# Top\n\nkept\n\n{FINDINGS_BEGIN}\nold\n{FINDINGS_END}\n\n## After\n")
    out = run(
        "compare", "--target", "reference", "--target", "pyotp-naive", "-k", PICK,
        "--report-dir", str(tmp_path / "out"), "--findings", str(readme),
    )  # fmt: skip
    assert out.code == 0, out.err
    text = readme.read_text("utf-8")
    assert text.startswith("# Top\n\nkept\n\n" + FINDINGS_BEGIN + "\n")
    assert text.endswith(FINDINGS_END + "\n\n## After\n")
    assert "\nold\n" not in text
    assert "totp-replay-within-window" in text
    assert f"--findings {readme}" in text
    assert "twofa-sim compare --target reference --target pyotp-naive -k" in text


def test_findings_into_a_file_without_markers_is_the_whole_file(run: Run, tmp_path: Path) -> None:
    """A new (or unmarked) file gets the summary alone, markers included, so it can be embedded
    and regenerated later."""
    target = tmp_path / "findings.md"
    out = run(
        "compare", "--target", "reference", "--target", "pyotp-naive", "-k", PICK,
        "--report-dir", str(tmp_path / "out"), "--findings", str(target),
    )  # fmt: skip
    assert out.code == 0, out.err
    text = target.read_text("utf-8")
    assert text.startswith(FINDINGS_BEGIN)
    assert text.rstrip().endswith(FINDINGS_END)


def test_a_findings_file_with_one_marker_is_refused_before_anything_runs(
    run: Run, tmp_path: Path
) -> None:
    """A FILE holding a BEGIN marker line but no END: exit 2 naming --findings FILE, nothing run,
    FILE unchanged (never half overwritten)."""
    readme = tmp_path / "README.md"
    text = f"# Top\n{FINDINGS_BEGIN}\nkept\n"
    readme.write_text(text, encoding="utf-8")
    out = run(
        "compare", "--target", "reference", "-k", PICK,
        "--report-dir", str(tmp_path / "out"), "--findings", str(readme),
    )  # fmt: skip
    assert out.code == 2
    assert f"--findings {readme}" in out.err
    assert len(out.err.strip().splitlines()) == 1
    assert readme.read_text("utf-8") == text
    assert not (tmp_path / "out").exists()


def test_edits_to_the_findings_file_during_the_run_are_kept(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FILE is read again just before the block is written: an edit made to it while the
    targets ran (a shared README) is not lost."""
    from twofa_sim.scenario import results

    readme = tmp_path / "README.md"
    readme.write_text(f"# Top\n\n{FINDINGS_BEGIN}\n{FINDINGS_END}\n", encoding="utf-8")
    original = results.run_all

    def run_all_while_someone_edits(*args: object, **kwargs: object) -> object:
        text = readme.read_text("utf-8")
        readme.write_text(text.replace("# Top\n", "# Top\n\nadded meanwhile\n"), "utf-8")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(results, "run_all", run_all_while_someone_edits)
    out = run(
        "compare", "--target", "reference", "-k", "login-with-totp",
        "--report-dir", str(tmp_path / "out"), "--findings", str(readme),
    )  # fmt: skip
    assert out.code == 0, out.err
    text = readme.read_text("utf-8")
    assert text.startswith("# Top\n\nadded meanwhile\n\n" + FINDINGS_BEGIN)
    assert "(seed 0, 1 scenarios)" in text

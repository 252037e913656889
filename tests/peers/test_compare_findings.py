"""The README's "How common implementations fare" is what the code gives today: the test runs
the one command that generates it (``twofa-sim compare ... --findings README.md``) on a copy of
the README and compares the generated block; and every scenario a peer (django-otp,
django-two-factor-auth) fails carries a reviewed note (``twofa_sim.peers.reviewed``), so no
failure reaches the README unreviewed.

The comparison is byte for byte between the markers only (the rest of the README is other
people's), and what it holds is deterministic: seed 0, no date, no commit, no twofa-sim version,
and django-otp's codes (which come from ``os.urandom``) never appear in it.
"""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django_otp", reason="the django-otp target needs the [django] extra")
pytest.importorskip("otp_twilio", reason="the django-otp target needs the [django] extra")
pytest.importorskip("two_factor", reason="django-two-factor-auth needs the [django] extra")

from twofa_sim.cli import main
from twofa_sim.peers.reviewed import REVIEWED
from twofa_sim.report.matrix import FINDINGS_BEGIN, FINDINGS_END

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PEERS = ("django-otp", "django-two-factor-auth")
TARGETS = ("reference", "pyotp-naive", *PEERS)
COMMAND = (
    "twofa-sim compare --target reference --target pyotp-naive --target django-otp "
    "--target django-two-factor-auth --seed 0 --findings README.md"
)


def _block(text: str) -> str:
    begin, end = text.find(FINDINGS_BEGIN), text.find(FINDINGS_END)
    assert 0 <= begin < end, "the findings markers are missing"
    return text[begin : end + len(FINDINGS_END)]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The README's own command, run in a scratch folder holding a copy of the README."""
    import os

    folder = tmp_path_factory.mktemp("findings")
    shutil.copyfile(README, folder / "README.md")
    before = Path.cwd()
    os.chdir(folder)
    try:
        args = [a for t in TARGETS for a in ("--target", t)]
        code = main(
            ["compare", *args, "--seed", "0", "--findings", "README.md", "--report-dir", "out"]
        )
    finally:
        os.chdir(before)
    assert code == 0
    (out,) = (folder / "out").iterdir()
    return {
        "readme": (folder / "README.md").read_text("utf-8"),
        "matrix": json.loads((out / "compare.json").read_text("utf-8")),
    }


def test_the_readme_findings_are_what_the_code_gives(compared: dict[str, Any]) -> None:
    """The block between the markers is exactly what the command writes now: when a scenario or
    a target changes a verdict, this fails until the README is regenerated."""
    want, have = _block(compared["readme"]), _block(README.read_text("utf-8"))
    diff = "\n".join(
        difflib.unified_diff(
            have.splitlines(), want.splitlines(), "README.md", "generated", lineterm="", n=1
        )
    )
    assert have == want, f"README.md is out of step; run from the checkout:\n  {COMMAND}\n{diff}"


def test_the_readme_names_the_command_that_regenerates_it() -> None:
    """The generated block carries the one command that writes it, as the README says."""
    text = README.read_text("utf-8")
    assert f"`{COMMAND}`" in _block(text)
    assert COMMAND in text.split(FINDINGS_BEGIN)[0]


@pytest.mark.parametrize("peer", PEERS)
def test_every_peer_failure_is_reviewed(compared: dict[str, Any], peer: str) -> None:
    """Each scenario a peer fails has a note saying what the implementation does and how that
    was checked, and every note names a scenario of the library (no typo hides a note)."""
    scenarios = compared["matrix"]["scenarios"]
    failed = {s["id"] for s in scenarios if s["verdicts"][peer] == "failed"}
    notes = set(REVIEWED[peer])
    assert failed - notes == set(), "failed without a reviewed note (twofa_sim/peers/reviewed.py)"
    assert notes - {s["id"] for s in scenarios} == set(), "a note for no scenario of the library"


@pytest.mark.parametrize("peer", PEERS)
def test_no_peer_cell_is_an_error(compared: dict[str, Any], peer: str) -> None:
    """No peer scenario or requirement is an error (a harness or adapter problem)."""
    matrix = compared["matrix"]
    assert all(s["verdicts"][peer] != "error" for s in matrix["scenarios"])
    assert all(r["verdicts"][peer] != "error" for r in matrix["requirements"])

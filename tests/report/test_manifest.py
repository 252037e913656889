"""report verify sees every entry of a run directory: hidden files, links, FIFOs, directories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from twofa_sim.report.attestation import generate_keys, sign_run
from twofa_sim.report.manifest import write_manifest


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / "results.json").write_text(json.dumps({"seed": 1, "target": "reference"}))
    (directory / "report.md").write_text("# PASSED\n")
    write_manifest(directory)
    return directory


def _tamper(directory: Path) -> None:
    (directory / ".hidden").write_text("slipped in")
    os.mkfifo(directory / "pipe")
    os.symlink("/etc/hostname", directory / "link")
    (directory / "empty").mkdir()
    (directory / "report.md").unlink()
    (directory / "report.md").mkdir()
    (directory / "report.md" / "inside").write_text("x")


EXPECTED = [
    "added: .hidden",
    "added: report.md/inside",
    "not a regular file: empty (a directory)",
    "not a regular file: link (a symbolic link)",
    "not a regular file: pipe (a FIFO)",
    "not a regular file: report.md (a directory)",
]


def test_verify_names_dotfiles_and_entries_that_are_not_regular_files(
    run: Run, run_dir: Path
) -> None:
    """Without a key, report verify lists an added dotfile, a FIFO (never opened: the check
    does not hang), a symbolic link (never followed), an empty directory and a directory
    standing where a file was, each with what it is; exit 1."""
    assert run("report", "verify", str(run_dir)).code == 0
    _tamper(run_dir)
    found = run("report", "verify", str(run_dir))
    assert found.code == 1
    assert sorted(found.out.splitlines()) == EXPECTED
    assert "missing: report.md" not in found.out


def test_signed_verify_names_them_too(run: Run, run_dir: Path, tmp_path: Path) -> None:
    """With --public-key the same entries are named against the signed statement."""
    key, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    generate_keys(key, pub)
    sign_run(run_dir, key)
    assert run("report", "verify", str(run_dir), "--public-key", str(pub)).code == 0
    _tamper(run_dir)
    found = run("report", "verify", str(run_dir), "--public-key", str(pub))
    assert found.code == 1
    assert sorted(found.out.splitlines()) == EXPECTED


def test_a_run_directory_holding_a_link_is_not_signed(run_dir: Path, tmp_path: Path) -> None:
    """report sign refuses a directory with an entry that is not a regular file: a signature
    over what a link points to would vouch for a file outside the run."""
    from twofa_sim.errors import InputError

    key, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    generate_keys(key, pub)
    os.symlink("/etc/hostname", run_dir / "link")
    with pytest.raises(InputError, match="link"):
        sign_run(run_dir, key)
    os.unlink(run_dir / "link")
    sign_run(run_dir, key)

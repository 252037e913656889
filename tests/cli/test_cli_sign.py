"""twofa-sim keygen, report sign and report verify --public-key: a run an auditor can sign."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

from tests.cli.conftest import Run

TOTP = Path(__file__).parents[2] / "scenarios" / "login" / "totp.scenario.yaml"


def _run_dir(run: Run, tmp_path: Path) -> Path:
    assert run("run", str(TOTP), "--report-dir", str(tmp_path / "reports")).code == 0
    directory = tmp_path / "run"
    (tmp_path / "reports" / "latest").resolve().rename(directory)
    return directory


def test_sign_then_verify_catches_an_edit_with_a_rewritten_manifest(
    run: Run, tmp_path: Path
) -> None:
    """keygen makes an owner-only private key; a signed run verifies intact; an edited report
    whose new hash is written into manifest.json fools the manifest but not the signature."""
    key, pub = tmp_path / "key.pem", tmp_path / "key.pub"
    made = run("keygen", str(key), str(pub))
    assert made.code == 0 and "0600" in made.out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    directory = _run_dir(run, tmp_path)
    assert run("report", "sign", str(directory), "--key", str(key)).code == 0
    assert run("report", "verify", str(directory)).code == 0  # the attestation is not "added"
    checked = run("report", "verify", str(directory), "--public-key", str(pub))
    assert checked.code == 0 and checked.out.startswith("intact")
    with (directory / "report.md").open("a") as handle:
        handle.write("all good\n")
    manifest = json.loads((directory / "manifest.json").read_text())
    digest = hashlib.sha256((directory / "report.md").read_bytes()).hexdigest()
    manifest["files"]["report.md"] = digest
    (directory / "manifest.json").write_text(json.dumps(manifest))
    fooled = run("report", "verify", str(directory))
    assert fooled.code == 0  # the unkeyed manifest is fooled, and says what would not be
    assert "the run is signed: give --public-key to check its attestation" in fooled.out
    caught = run("report", "verify", str(directory), "--public-key", str(pub))
    assert caught.code == 1
    assert "changed: report.md" in caught.out and "changed: manifest.json" in caught.out


def test_keys_are_never_overwritten_and_bad_keys_are_bad_input(run: Run, tmp_path: Path) -> None:
    """A second keygen onto an existing key, and a public key given to sign, exit 2 with one
    line naming the file."""
    key, pub = tmp_path / "key.pem", tmp_path / "key.pub"
    assert run("keygen", str(key), str(pub)).code == 0
    before = key.read_bytes()
    again = run("keygen", str(key), str(tmp_path / "other.pub"))
    assert again.code == 2 and "exists already" in again.err
    assert key.read_bytes() == before
    directory = _run_dir(run, tmp_path)
    wrong = run("report", "sign", str(directory), "--key", str(pub))
    assert wrong.code == 2 and "key.pub" in wrong.err and "Traceback" not in wrong.err

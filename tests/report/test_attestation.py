"""Signed attestations of a run (issue: evidence an auditor can sign): in-toto in DSSE, Ed25519."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from twofa_sim.errors import InputError
from twofa_sim.report.attestation import (
    ATTESTATION,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    generate_keys,
    sign_run,
    verify_attestation,
)
from twofa_sim.report.manifest import verify as verify_manifest
from twofa_sim.report.manifest import write_manifest


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub"
    generate_keys(private, public)
    return private, public


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    results = {
        "schema_version": 1,
        "seed": 7,
        "target": "reference",
        "summary": {"passed": 1, "failed": 0, "errors": 0, "scenarios": 1},
        "reproducibility": {"command": "twofa-sim run --seed 7"},
        "scenarios": [],
    }
    (run / "results.json").write_text(json.dumps(results))
    (run / "report.md").write_text("# PASSED\n")
    write_manifest(run)
    return run


def test_private_key_is_created_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    """keygen: the private key file is 0600 from its creation; an existing key is not replaced."""
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    key_id = generate_keys(private, public)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(key_id) == 64
    before = private.read_bytes()
    with pytest.raises(InputError, match="exists already"):
        generate_keys(private, tmp_path / "other.pub")
    assert private.read_bytes() == before


def test_a_signed_run_verifies_intact(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Every file of the run is a subject with its SHA-256; the signature checks out."""
    private, public = keys
    sign_run(run_dir, private)
    check = verify_attestation(run_dir, public)
    assert check.signed
    assert check.intact
    envelope = json.loads((run_dir / ATTESTATION).read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    names = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert set(names) == {"results.json", "report.md", "manifest.json"}
    assert names["report.md"] == hashlib.sha256(b"# PASSED\n").hexdigest()
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["predicate"]["summary"]["passed"] == 1


def test_the_envelope_is_dsse_and_verifies_by_the_spec(
    run_dir: Path, keys: tuple[Path, Path]
) -> None:
    """An independent check: Ed25519 over DSSE's PAE, as any DSSE verifier computes it."""
    private, public = keys
    sign_run(run_dir, private)
    envelope = json.loads((run_dir / ATTESTATION).read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE
    payload = base64.b64decode(envelope["payload"])
    kind = PAYLOAD_TYPE.encode()
    pae = b"DSSEv1 " + str(len(kind)).encode() + b" " + kind + b" "
    pae += str(len(payload)).encode() + b" " + payload
    key = load_pem_public_key(public.read_bytes())
    key.verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae)  # type: ignore[union-attr,call-arg]


def test_an_edit_with_a_rewritten_manifest_is_caught(
    run_dir: Path, keys: tuple[Path, Path]
) -> None:
    """The manifest alone cannot catch a forger who rewrites it; the signature can."""
    private, public = keys
    sign_run(run_dir, private)
    (run_dir / "report.md").write_text("# PASSED (edited)\n")
    write_manifest(run_dir)
    assert verify_manifest(run_dir).intact  # the unkeyed manifest is fooled
    check = verify_attestation(run_dir, public)
    assert check.signed
    assert not check.intact
    assert check.changed == ["manifest.json", "report.md"]


def test_a_forged_statement_or_another_key_does_not_verify(
    run_dir: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """Re-signing needs the private key: a payload edited in the envelope fails, and so does
    a signature checked against someone else's public key."""
    private, public = keys
    sign_run(run_dir, private)
    other_private, other_public = tmp_path / "o.pem", tmp_path / "o.pub"
    generate_keys(other_private, other_public)
    assert not verify_attestation(run_dir, other_public).signed
    path = run_dir / ATTESTATION
    envelope = json.loads(path.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["summary"]["failed"] = 0
    statement["subject"] = statement["subject"][:1]
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    path.write_text(json.dumps(envelope))
    assert not verify_attestation(run_dir, public).signed


def test_added_dotfiles_and_links_are_reported(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Files added after signing are named, hidden ones and non-regular entries included."""
    private, public = keys
    sign_run(run_dir, private)
    (run_dir / ".hidden").write_text("x")
    os.symlink("/etc/hostname", run_dir / "link")
    check = verify_attestation(run_dir, public)
    assert check.added == [".hidden"]
    assert check.not_regular == ["link"]
    assert not check.intact


def test_bad_keys_and_envelopes_are_located_input_errors(
    run_dir: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """A non-key file, a public key for a private one, a broken envelope: exit-2 errors."""
    _private, public = keys
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(InputError, match=r"junk\.pem"):
        sign_run(run_dir, junk)
    with pytest.raises(InputError):
        sign_run(run_dir, public)
    with pytest.raises(InputError, match="no such file"):
        verify_attestation(run_dir, public)
    (run_dir / ATTESTATION).write_text("{}")
    with pytest.raises(InputError, match="not a DSSE envelope"):
        verify_attestation(run_dir, public)

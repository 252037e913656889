"""A signed statement of what a run produced: an in-toto Statement in a DSSE envelope, Ed25519.

``manifest.json`` is an unkeyed list of checksums: it shows a file changed *by accident*, but
anyone who edits ``report.md`` can write the new hash into the manifest too. An attestation
closes that gap: its subjects are every file of the run with its SHA-256, its predicate holds
the run's reproducibility block and summary, and the whole statement is signed with a private
key the auditor's team keeps. :func:`verify_attestation` checks the signature with the public
key, then every subject against the directory, and lists every file (dotfiles and
non-regular files included) that the statement does not name.

The envelope is DSSE (``payloadType`` ``application/vnd.in-toto+json``, the signature over
DSSE's pre-authentication encoding), so in-toto and sigstore tooling can read it; the key id
is the SHA-256 of the raw public key.

What it does not protect against: someone holding the private key, or a run whose results
were wrong before it was signed. Signing says who vouches for these bytes, not that they are
right.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twofa_sim.errors import InputError
from twofa_sim.files import read_bytes, write_atomically
from twofa_sim.report.manifest import scan

__all__ = [
    "ATTESTATION",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "AttestationCheck",
    "check_signing_key",
    "generate_keys",
    "sign_run",
    "verify_attestation",
]

ATTESTATION = "attestation.dsse.json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://github.com/twofa-sim/twofa-sim/verification-run/v1"
_KEY_LIMIT = 64 << 10


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _load_private(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = read_bytes(path, limit=_KEY_LIMIT, where=str(path))
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not an unencrypted PEM private key ({exc})", where=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("not an Ed25519 key", where=str(path), hint="make one: twofa-sim keygen")
    return key


def check_signing_key(path: Path) -> None:
    """Refuse, with a located error, a ``path`` that is not an unencrypted Ed25519 private key
    in PEM: ``run --sign-key`` checks its key before anything runs."""
    _load_private(path)


def _load_public(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = read_bytes(path, limit=_KEY_LIMIT, where=str(path))
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a PEM public key ({exc})", where=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("not an Ed25519 public key", where=str(path))
    return key


def _key_id(public_key: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate_keys(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair as PEM; the private key file is created 0600 and must not
    exist yet. Returns the key id."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    for path, where in ((private_path, "private key"), (public_path, "public key")):
        if path.exists() or path.is_symlink():
            raise InputError(f"{path} exists already; refusing to overwrite a key", where=where)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InputError(
            f"cannot create {private_path}: {exc.strerror}", where="private key"
        ) from None
    with os.fdopen(fd, "wb") as out:
        out.write(private)
    public = key.public_key()
    write_atomically(
        public_path, public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return _key_id(public)


def _predicate(directory: Path) -> dict[str, Any]:
    results_path = directory / "results.json"
    predicate: dict[str, Any] = {}
    try:
        results = json.loads(read_bytes(results_path, limit=256 << 20, where=str(results_path)))
    except (InputError, ValueError):
        return predicate
    if isinstance(results, Mapping):
        for key in ("reproducibility", "summary", "policy", "run", "seed", "target", "scope"):
            if key in results:
                predicate[key] = results[key]
    from twofa_sim.report.execution import load_execution

    try:  # the run's times and host, when it wrote execution.json
        statement = load_execution(directory)
    except InputError:
        statement = None
    if statement:
        times = ("started", "finished", "duration_s", "host", "results_sha256")
        predicate["execution"] = {k: statement[k] for k in times if k in statement}
    return predicate


def sign_run(directory: Path, private_key: Path) -> Path:
    """Sign every file of the run in ``directory`` and write :data:`ATTESTATION` there."""
    if not directory.is_dir():
        raise InputError("not a run directory", where=str(directory))
    key = _load_private(private_key)
    entries = scan(directory, skip=frozenset({ATTESTATION}))
    odd = entries.compare(entries.files).not_regular
    if odd:
        raise InputError(
            f"holds entries that are not regular files: {', '.join(odd)}", where=str(directory)
        )
    files = entries.files
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in files.items()],
        "predicateType": PREDICATE_TYPE,
        "predicate": _predicate(directory),
    }
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    signature = key.sign(_pae(PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {"keyid": _key_id(key.public_key()), "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }
    target = directory / ATTESTATION
    write_atomically(target, json.dumps(envelope, indent=1, sort_keys=True) + "\n")
    return target


@dataclass
class AttestationCheck:
    """What :func:`verify_attestation` found: a good signature, and files as signed."""

    signed: bool
    key_id: str = ""
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    not_regular: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    """What each of :attr:`not_regular` is (a symbolic link, a FIFO, a directory...)."""

    @property
    def intact(self) -> bool:
        return self.signed and not (self.changed or self.missing or self.added or self.not_regular)


def verify_attestation(directory: Path, public_key: Path) -> AttestationCheck:
    """Check the envelope's signature with ``public_key``, then every subject's digest."""
    from cryptography.exceptions import InvalidSignature

    key = _load_public(public_key)
    path = directory / ATTESTATION
    raw = read_bytes(path, limit=256 << 20, where=str(path))
    try:
        envelope = json.loads(raw)
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = envelope["signatures"]
        payload_type = envelope["payloadType"]
        if not isinstance(signatures, list) or not isinstance(payload_type, str):
            raise TypeError("signatures must be a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a DSSE envelope ({exc})", where=str(path)) from None
    wanted = _key_id(key)
    signed = False
    for entry in signatures:
        if not isinstance(entry, Mapping) or entry.get("keyid") not in (wanted, "", None):
            continue
        try:
            key.verify(
                base64.b64decode(str(entry.get("sig", "")), validate=True),
                _pae(payload_type, payload),
            )
        except (InvalidSignature, ValueError):
            continue
        signed = True
    check = AttestationCheck(signed=signed, key_id=wanted)
    if not signed:
        return check
    try:
        statement = json.loads(payload)
        subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"the signed statement is malformed ({exc})", where=str(path)) from None
    found = scan(directory, skip=frozenset({ATTESTATION})).compare(subjects)
    check.changed, check.missing, check.added = found.changed, found.missing, found.added
    check.not_regular, check.kinds = found.not_regular, found.kinds
    return check

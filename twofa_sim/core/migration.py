"""Google Authenticator's export QR codes (``otpauth-migration://offline?data=…``): read and lint.

"Transfer accounts" in Google Authenticator shows QR codes whose ``data`` parameter is a base64
protocol-buffers message holding every exported account, secrets included. It is what users scan
when they move to a new phone, so it is read and judged like an otpauth URI: :func:`parse_migration`
decodes it into :class:`MigrationAccount` values, each of which can be written as the otpauth URI
an app would hold (:meth:`MigrationAccount.uri`), and :func:`lint_migration` reports what is wrong
with the payload and, with :func:`~twofa_sim.core.keyuri.lint_uri`'s rules, with every account.

The message, as the community's reverse-engineered ``.proto`` describes it::

    message MigrationPayload {
      repeated OtpParameters otp_parameters = 1;
      int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
    }
    message OtpParameters {
      bytes secret = 1; string name = 2; string issuer = 3;
      Algorithm algorithm = 4;  // 0 unspecified (SHA1), 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
      DigitCount digits = 5;    // 0 unspecified (6), 1 six, 2 eight
      OtpType type = 6;         // 0 unspecified, 1 HOTP, 2 TOTP
      int64 counter = 7;
    }

The protocol-buffers reader is written here by hand (varints and length-delimited fields; the
fixed-size wire types of unknown fields are skipped; groups are refused) and bounded: the URI may
hold at most :data:`MAX_URI_CHARS` characters (a QR code holds at most 4296), and every length is
checked against what remains, so reading is linear in a few kilobytes. Malformed input raises
:class:`~twofa_sim.errors.KeyUriError` naming the byte; the secret never appears in a message.

>>> import base64
>>> from urllib.parse import quote
>>> account = b"\\x0a\\x0a" + b"0123456789" + b"\\x12\\x0aACME:alice" + b"\\x1a\\x04ACME\\x30\\x02"
>>> data = b"\\x0a" + bytes([len(account)]) + account + b"\\x10\\x01\\x18\\x01"
>>> text = "otpauth-migration://offline?data=" + quote(base64.b64encode(data).decode())
>>> payload = parse_migration(text)
>>> [(a.issuer, a.name, a.type) for a in payload.accounts]
[('ACME', 'ACME:alice', 'totp')]
>>> payload.accounts[0].uri()
'otpauth://totp/ACME:alice?secret=GAYTEMZUGU3DOOBZ&issuer=ACME&algorithm=SHA1&digits=6&period=30'
>>> [f.rule for f in lint_migration(text)]
['secret-under-128-bits']
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal
from urllib.parse import quote, unquote

from twofa_sim.core.keyuri import Finding, KeyUri, Severity, lint_uri, parse_uri
from twofa_sim.core.secret import (
    MIGRATION_PREFIX,
    encode_secret,
    find_secrets,
    is_bare_secret,
    mask_secret,
    mask_secret_in,
)
from twofa_sim.errors import KeyUriError

__all__ = [
    "MAX_URI_CHARS",
    "MIGRATION_RULES",
    "MigrationAccount",
    "MigrationPayload",
    "is_migration",
    "lint_migration",
    "lint_text",
    "parse_migration",
]

MAX_URI_CHARS = 8192
"""The longest export URI read (a QR code holds at most 4296 characters, 2953 bytes)."""

MIGRATION_RULES = MappingProxyType[str, tuple[Severity, str]](
    {
        "migration-malformed": ("error", "the export cannot be decoded"),
        "migration-empty": ("error", "the export holds no account"),
        "migration-version": ("warning", "a version of the export format other than 1"),
        "migration-batch": ("info", "one QR code of several: scan them all"),
        "migration-value-unknown": ("error", "an algorithm, digits or type no app can use"),
        "bare-secret": ("error", "a bare base32 key instead of an otpauth URI"),
    }
)
"""The rules about the export itself (and ``bare-secret``, :func:`lint_text`'s); each account is
also judged by the otpauth URI rules."""

_HINT = "a Google Authenticator export looks like otpauth-migration://offline?data=BASE64"
_ALGORITHMS = {0: "SHA1", 1: "SHA1", 2: "SHA256", 3: "SHA512", 4: "MD5"}
_DIGITS = {0: 6, 1: 6, 2: 8}
_TYPES: dict[int, Literal["totp", "hotp"]] = {1: "hotp", 2: "totp"}
# otpauth rules that judge how a URI is written, not what it says: the URI written for an
# account is ours, so they would be about us.
_WRITING_RULES = frozenset({"issuer-param-missing", "issuer-prefix-missing"})


@dataclass(frozen=True, repr=False)
class MigrationAccount:
    """One exported account, values as the export holds them (``index`` counts from 1).

    ``algorithm`` is the name (``MD5`` included, or ``unknown (7)``); ``digits`` and ``type`` are
    None when the export holds a value no app knows. The repr masks the secret.
    """

    index: int
    secret: bytes
    name: str
    issuer: str
    algorithm: str
    digits: int | None
    type: Literal["totp", "hotp"] | None
    counter: int

    def __repr__(self) -> str:
        secret = self.secret_text()
        return mask_secret_in(
            f"MigrationAccount(index={self.index}, secret={mask_secret(secret)}, "
            f"name={self.name!r}, issuer={self.issuer!r}, algorithm={self.algorithm!r}, "
            f"digits={self.digits!r}, type={self.type!r}, counter={self.counter!r})",
            secret,
        )

    def secret_text(self) -> str:
        """The secret as unpadded base32."""
        return encode_secret(self.secret)

    def uri(self) -> str:
        """The otpauth URI an app importing this account would hold (values kept as they are, so
        :func:`~twofa_sim.core.keyuri.lint_uri` can judge them; an unknown type is written totp).
        """
        kind = self.type or "totp"
        params = [("secret", self.secret_text())]
        if self.issuer:
            params.append(("issuer", self.issuer))
        params.append(("algorithm", self.algorithm if self.algorithm in _NAMES else "unknown"))
        if self.digits is not None:
            params.append(("digits", str(self.digits)))
        if kind == "totp":
            params.append(("period", "30"))
        else:
            params.append(("counter", str(self.counter)))
        query = "&".join(f"{name}={quote(value, safe='@')}" for name, value in params)
        return f"otpauth://{kind}/{quote(self.name, safe='@:')}?{query}"

    def key_uri(self) -> KeyUri:
        """:meth:`uri` parsed; :class:`~twofa_sim.errors.KeyUriError` if it cannot be (an empty
        secret)."""
        return parse_uri(self.uri())

    def label(self) -> str:
        """How messages name this account: its number and name, the secret masked out of it."""
        name = mask_secret_in(self.name, self.secret_text(), reveal=0)
        shown = name if len(name) <= 40 else name[:40] + "…"
        return f"account {self.index} ({shown!r})"

    def as_dict(self, *, show_secret: bool = False) -> dict[str, object]:
        """The values for a report; the secret (and any copy of it in the name) masked unless
        asked."""
        secret = self.secret_text()

        def shown(text: str) -> str:
            return text if show_secret else mask_secret_in(text, secret)

        return {
            "type": self.type,
            "issuer": shown(self.issuer),
            "name": shown(self.name),
            "secret": secret if show_secret else mask_secret(secret),
            "algorithm": self.algorithm,
            "digits": self.digits,
            "counter": self.counter if self.type == "hotp" else None,
        }


_NAMES = frozenset(_ALGORITHMS.values())


@dataclass(frozen=True)
class MigrationPayload:
    """A decoded export: its accounts, the format version, and which QR code of a batch it is
    (``batch_index`` counts from 0, as the export does)."""

    accounts: tuple[MigrationAccount, ...]
    version: int
    batch_size: int
    batch_index: int
    batch_id: int


def is_migration(text: str) -> bool:
    """The text is an export URI (``otpauth-migration://``, any case)."""
    return text[: len(MIGRATION_PREFIX)].lower() == MIGRATION_PREFIX


def parse_migration(text: str) -> MigrationPayload:
    """Decode an ``otpauth-migration://offline?data=…`` URI.

    Raises :class:`~twofa_sim.errors.KeyUriError` (located at ``data``, naming the character or
    byte) when it is not one, is too long, has no single ``data`` parameter, or the data is not
    base64 of a well-formed payload.
    """
    if not isinstance(text, str) or not is_migration(text):
        raise KeyUriError("not an export URI: it must start with otpauth-migration://", hint=_HINT)
    if len(text) > MAX_URI_CHARS:
        raise KeyUriError(
            f"the export URI has {len(text)} characters; at most {MAX_URI_CHARS} are read",
            hint="a QR code holds at most 4296 characters",
        )
    head, _, query = text[len(MIGRATION_PREFIX) :].partition("?")
    if head.lower() != "offline":
        raise KeyUriError(f"the export's host is {_cut(head)}, not offline", hint=_HINT)
    values = [p[5:] for p in query.split("&") if unquote(p[:5]).lower() == "data="]
    if len(values) != 1:
        what = "there is no data parameter" if not values else "data is given more than once"
        raise KeyUriError(what, where="data", hint=_HINT)
    return _payload(_base64(unquote(values[0])))


def lint_migration(text: str) -> list[Finding]:
    """What is wrong with an export, then with each account (the otpauth rules, each message
    naming the account); never raises. The messages never quote a secret."""
    try:
        payload = parse_migration(text)
    except KeyUriError as exc:
        return [_finding("migration-malformed", str(exc))]
    findings: list[Finding] = []
    if not payload.accounts:
        findings.append(_finding("migration-empty", "the export holds no account"))
    if payload.version not in (0, 1):  # 0: not written (proto3 leaves defaults out)
        what = f"the export is version {payload.version} of the format; version 1 is known"
        findings.append(_finding("migration-version", what + "; fields may be misread"))
    if payload.batch_size > 1:
        what = (
            f"this is QR code {payload.batch_index + 1} of {payload.batch_size} of one export; "
            f"scan all {payload.batch_size} to move every account"
        )
        findings.append(_finding("migration-batch", what))
    for account in payload.accounts:
        findings.extend(_account_findings(account))
    return findings


def lint_text(text: str) -> list[Finding]:
    """Lint what a QR code (or a pasted link) holds: an export (:func:`lint_migration`), or else an
    otpauth URI (:func:`~twofa_sim.core.keyuri.lint_uri`, every copy of its secret masked out of
    the messages), a bare base32 key being named as such (``bare-secret``); never raises.

    >>> [f.rule for f in lint_text("JBSWY3DPEHPK3PXP")]
    ['not-otpauth', 'bare-secret']
    """
    if is_migration(text):
        return lint_migration(text)
    findings = []
    for finding in lint_uri(text):
        message = finding.message
        for secret in find_secrets(text):
            message = mask_secret_in(message, secret)
        findings.append(Finding(finding.rule, finding.severity, message))
    if is_bare_secret(text):
        what = "the text is a bare base32 key, not an otpauth URI: apps cannot scan it"
        fix = "encode otpauth://totp/Issuer:account?secret=KEY&issuer=Issuer instead"
        findings.append(_finding("bare-secret", f"{what}; {fix}"))
    return findings


def _finding(rule: str, message: str) -> Finding:
    return Finding(rule, MIGRATION_RULES[rule][0], message)


def _account_findings(account: MigrationAccount) -> Iterator[Finding]:
    label, secret = account.label(), account.secret_text()
    unknown = []
    if account.algorithm not in _NAMES or account.algorithm == "MD5":
        unknown.append(f"the algorithm {account.algorithm} is not SHA1, SHA256 or SHA512")
    if account.digits is None:
        unknown.append("the digits value is not 6 or 8")
    if account.type is None:
        unknown.append("the type is neither TOTP nor HOTP")
    if unknown:
        what = f"{label}: {'; '.join(unknown)}"
        yield _finding("migration-value-unknown", what + "; no app can generate its codes")
    for finding in lint_uri(account.uri()):
        if finding.rule in _WRITING_RULES or (finding.rule == "algorithm-invalid" and unknown):
            continue
        message = mask_secret_in(finding.message, secret, reveal=0)
        yield Finding(finding.rule, finding.severity, f"{label}: {message}")


def _cut(text: str, limit: int = 24) -> str:
    return repr(text[:limit] + "…") if len(text) > limit else repr(text)


# -- base64 -----------------------------------------------------------------------------------

_BASE64 = re.compile(r"[A-Za-z0-9+/]*")


def _base64(text: str) -> bytes:
    """The data's bytes: standard or URL-safe base64, padding optional, a space read as '+'
    (what a form decoder makes of an unescaped '+')."""
    cleaned = text.replace(" ", "+").replace("-", "+").replace("_", "/").rstrip("=")
    match = _BASE64.match(cleaned)
    assert match is not None  # the pattern matches the empty string
    if match.end() < len(cleaned):
        char = cleaned[match.end()]
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        raise KeyUriError(
            f"character {match.end() + 1} ({shown}) is not base64",
            where="data",
            hint="the data is base64 (A-Z, a-z, 0-9, + and /), percent-encoded in the URI",
        )
    if len(cleaned) % 4 == 1:
        raise KeyUriError(
            f"{len(cleaned)} base64 characters cannot encode whole bytes",
            where="data",
            hint="a character is probably missing or extra: scan the code again",
        )
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise KeyUriError(f"not base64: {exc}", where="data") from None


# -- protocol buffers -------------------------------------------------------------------------

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_WIRE_NAMES = {_VARINT: "a varint", _FIXED64: "a 64-bit value", _LENGTH: "length-delimited"}
_PAYLOAD_FIELDS = {1: ("otp_parameters", _LENGTH), 2: ("version", _VARINT)} | {
    number: (name, _VARINT)
    for number, name in ((3, "batch_size"), (4, "batch_index"), (5, "batch_id"))
}
_ACCOUNT_FIELDS = {
    1: ("secret", _LENGTH),
    2: ("name", _LENGTH),
    3: ("issuer", _LENGTH),
    4: ("algorithm", _VARINT),
    5: ("digits", _VARINT),
    6: ("type", _VARINT),
    7: ("counter", _VARINT),
}


def _error(at: int, what: str) -> KeyUriError:
    return KeyUriError(
        f"byte {at + 1} of the decoded payload: {what}",
        where="data",
        hint="the export is damaged or is not Google Authenticator's: scan the code again",
    )


@dataclass(frozen=True)
class _Field:
    number: int
    wire: int
    at: int  # where the field's key starts
    value: int  # a varint's value, or where a length-delimited value starts
    end: int  # where the field ends


def _varint(data: bytes, position: int, end: int) -> tuple[int, int]:
    start, value = position, 0
    for shift in range(0, 70, 7):
        if position >= end:
            raise _error(start, "a number runs past the end of its message")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value >= 1 << 64:
                break
            return value, position
    raise _error(start, "a number is longer than 64 bits")


def _fields(data: bytes, position: int, end: int) -> Iterator[_Field]:
    while position < end:
        at = position
        key, position = _varint(data, position, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _error(at, "field number 0, which protocol buffers do not allow")
        if wire == _VARINT:
            value, position = _varint(data, position, end)
            yield _Field(number, wire, at, value, position)
            continue
        if wire == _LENGTH:
            size, position = _varint(data, position, end)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
        else:
            raise _error(at, f"field {number} has wire type {wire}, which this format never uses")
        if size > end - position:
            raise _error(at, f"field {number} needs {size} bytes but {end - position} remain")
        yield _Field(number, wire, at, position, position + size)
        position += size


def _check(field: _Field, known: dict[int, tuple[str, int]], where: str) -> str | None:
    """The field's name if it is known and has the right wire type; None to skip an unknown one."""
    if field.number not in known:
        return None
    name, wire = known[field.number]
    if field.wire != wire:
        got = _WIRE_NAMES.get(field.wire, "a 32-bit value")
        raise _error(field.at, f"{name} of {where} is {got}; expected {_WIRE_NAMES[wire]}")
    return name


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _payload(data: bytes) -> MigrationPayload:
    accounts: list[MigrationAccount] = []
    numbers = {"version": 0, "batch_size": 0, "batch_index": 0, "batch_id": 0}
    for field in _fields(data, 0, len(data)):
        name = _check(field, _PAYLOAD_FIELDS, "the payload")
        if name == "otp_parameters":
            accounts.append(_account(data, field, len(accounts) + 1))
        elif name is not None:
            numbers[name] = _signed(field.value)  # the last of repeated scalars counts
    return MigrationPayload(accounts=tuple(accounts), **numbers)


def _account(data: bytes, outer: _Field, index: int) -> MigrationAccount:
    where = f"account {index}"
    blobs = {"secret": b"", "name": b"", "issuer": b""}
    texts = {"name": "", "issuer": ""}
    numbers = {"algorithm": 0, "digits": 0, "type": 0, "counter": 0}
    for field in _fields(data, outer.value, outer.end):
        name = _check(field, _ACCOUNT_FIELDS, where)
        if name in blobs:
            blobs[name] = data[field.value : field.end]
            if name in texts:
                try:
                    texts[name] = blobs[name].decode("utf-8")
                except UnicodeDecodeError as exc:
                    what = f"the {name} of {where} is not UTF-8 text"
                    raise _error(field.value + exc.start, what) from None
        elif name is not None:
            numbers[name] = field.value
    algorithm = _ALGORITHMS.get(numbers["algorithm"], f"unknown ({numbers['algorithm']})")
    return MigrationAccount(
        index=index,
        secret=blobs["secret"],
        name=texts["name"],
        issuer=texts["issuer"],
        algorithm=algorithm,
        digits=_DIGITS.get(numbers["digits"]),
        type=_TYPES.get(numbers["type"]),
        counter=_signed(numbers["counter"]),
    )

"""``otpauth://`` Key URIs (Google Authenticator's Key Uri Format): build, parse and lint.

>>> uri = build_uri(secret="JBSWY3DPEHPK3PXP", account="alice@example.com", issuer="ACME Co")
>>> uri
'otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30'
>>> parse_uri(uri).issuer
'ACME Co'
>>> [finding.rule for finding in lint_uri(uri)]
['secret-under-128-bits']

Decisions, where the format leaves room:

- :func:`build_uri` writes the issuer twice, as the label prefix and as ``issuer=``, as the format
  recommends; and it always writes ``algorithm``, ``digits`` and ``period`` (``counter`` for hotp)
  even at their defaults, as the format's second example does: explicit, and harmless to apps.
- Text is percent-encoded as UTF-8 with ``%20`` for a space and ``%2B`` for ``+`` (never ``+``
  for a space); ``@`` stays literal (RFC 3986 allows it in a path and a query) for readability.
- The format's label grammar drops spaces before the account name, so an account name that starts
  with a space cannot survive a round trip: :func:`build_uri` refuses it (no encoding would help:
  ``%20`` is the only way to write a space that is not ambiguous).
- :func:`parse_uri` raises :class:`KeyUriError` only when a URI cannot be read at all; anything
  readable but questionable parses, and :func:`lint_uri` says what is wrong with it. For duplicated
  parameters the first counts, as with Android's ``Uri.getQueryParameter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from twofa_sim.core._keyuri_lint import (
    ALGORITHMS,
    KNOWN_PARAMETERS,
    NOT_OTPAUTH,
    RULES,
    TYPES,
    Finding,
    Severity,
    integer,
    lint_uri,
    read_uri,
    unreadable,
)
from twofa_sim.core.otp import MAX_COUNTER, MAX_DIGITS, MIN_DIGITS
from twofa_sim.core.secret import decode_secret, encode_secret, mask_secret, mask_secret_in
from twofa_sim.errors import KeyUriError, SecretError

__all__ = [
    "RULES",
    "Finding",
    "KeyUri",
    "Severity",
    "build_uri",
    "lint_uri",
    "parse_uri",
]

OtpType = Literal["totp", "hotp"]


@dataclass(frozen=True, repr=False)
class KeyUri:
    """What an ``otpauth://`` URI says, as read by :func:`parse_uri` (questionable values kept).

    ``issuer`` is the ``issuer=`` parameter if present, else the label prefix; both as written are
    in ``issuer_param`` and ``label_issuer``. ``secret`` is the text as written (percent-decoded).
    The repr masks the secret.
    """

    type: OtpType
    account: str
    secret: str
    issuer: str | None = None
    algorithm: str = "SHA1"
    digits: int = 6
    period: int | None = 30
    counter: int | None = None
    label_issuer: str | None = None
    issuer_param: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={mask_secret(self.secret) if name == 'secret' else self._masked(value)}"
            for name, value in vars(self).items()
        )
        return f"KeyUri({fields})"

    def _masked(self, value: object) -> str:
        return mask_secret_in(repr(value), self.secret)

    def to_uri(self) -> str:
        """The canonical URI for these values (:func:`build_uri`; unknown parameters dropped).

        Raises :class:`KeyUriError` if the values cannot be built (e.g. an hotp URI read without a
        counter, or ``digits=10``): :func:`lint_uri` reports those.
        """
        return build_uri(
            secret=self.secret,
            account=self.account,
            issuer=self.issuer,
            type=self.type,
            algorithm=self.algorithm,
            digits=self.digits,
            period=30 if self.period is None else self.period,
            counter=self.counter,
        )

    def secret_bytes(self) -> bytes:
        """The raw key."""
        return decode_secret(self.secret)

    def as_dict(self, *, show_secret: bool = False) -> dict[str, object]:
        """The values for a report; the secret is masked (``JBSW…(160 bits)``) unless asked, and
        so is any copy of it in the issuer or account name."""

        def shown(text: str | None) -> str | None:
            return text if text is None or show_secret else mask_secret_in(text, self.secret)

        return {
            "type": self.type,
            "issuer": shown(self.issuer),
            "account": shown(self.account),
            "secret": self.secret if show_secret else mask_secret(self.secret),
            "algorithm": self.algorithm,
            "digits": self.digits,
            "period": self.period,
            "counter": self.counter,
        }


def build_uri(
    *,
    secret: str | bytes,
    account: str,
    issuer: str | None = None,
    type: OtpType = "totp",
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
    counter: int | None = None,
) -> str:
    """The canonical ``otpauth://`` URI for these values.

    ``secret`` is raw key bytes, or base32 text (normalised to unpadded upper case). Refuses
    (:class:`KeyUriError`, or :class:`SecretError` for the secret) what the format forbids or an
    app could not use: a colon in the issuer or account, an empty one, an account starting with a
    space, hotp without a counter, digits outside 6-8, an unknown algorithm, a period under 1, a
    counter outside 0 to 2**64-1. A short secret is not refused: :func:`lint_uri` reports it.

    >>> build_uri(secret=b"12345678901234567890", account="bob", type="hotp", counter=0)
    'otpauth://hotp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&counter=0'
    """
    if type not in TYPES:
        raise KeyUriError(f"type must be 'totp' or 'hotp', not {type!r}", where="type")
    key = _key(secret)
    _check_name(account, "account")
    if account.startswith(" "):
        raise KeyUriError(
            "the account name starts with a space",
            where="account",
            hint="the Key URI Format's label grammar drops spaces before the account name; "
            "strip them",
        )
    if issuer is not None:
        _check_name(issuer, "issuer")
    if not isinstance(algorithm, str) or algorithm.upper() not in ALGORITHMS:
        raise KeyUriError(
            f"unknown algorithm {algorithm!r}", where="algorithm", hint="use SHA1, SHA256 or SHA512"
        )
    _check_int(digits, "digits", MIN_DIGITS, MAX_DIGITS)
    params = [("secret", encode_secret(key))]
    if issuer is not None:
        params.append(("issuer", issuer))
    params += [("algorithm", algorithm.upper()), ("digits", str(digits))]
    if type == "totp":
        _check_int(period, "period", 1, None)
        if counter is not None:
            raise KeyUriError("a totp URI has no counter", where="counter", hint="use type='hotp'")
        params.append(("period", str(period)))
    else:
        if counter is None:
            raise KeyUriError(
                "an hotp URI needs a counter", where="counter", hint="start at counter=0"
            )
        _check_int(counter, "counter", 0, MAX_COUNTER)
        params.append(("counter", str(counter)))
    label = _quote(account) if issuer is None else f"{_quote(issuer)}:{_quote(account)}"
    query = "&".join(f"{name}={_quote(value)}" for name, value in params)
    return f"otpauth://{type}/{label}?{query}"


def parse_uri(uri: str) -> KeyUri:
    """Read an ``otpauth://`` URI; :class:`KeyUriError` (with a hint) if it cannot be read at all.

    That is: not the otpauth scheme, no type or label, a type other than totp/hotp, a missing or
    non-base32 secret, or digits/period/counter that are not whole numbers. Anything else parses.

    >>> key = parse_uri("otpauth://totp/Big%20Corporation%3A%20alice%40bigco.com?secret=JBSWY3DP")
    >>> key.issuer, key.account
    ('Big Corporation', 'alice@bigco.com')
    """
    reading = read_uri(uri) if isinstance(uri, str) else None
    if reading is None:
        raise NOT_OTPAUTH.error()
    problems = unreadable(reading)
    if problems:
        raise problems[0].error()
    assert reading.type is not None  # unreadable() reports any other type
    issuer_param = reading.value("issuer")
    label_issuer = reading.label_issuer
    digits, period = integer(reading.value("digits")), integer(reading.value("period"))
    return KeyUri(
        type=reading.type,
        account=reading.account,
        secret=reading.value("secret") or "",
        issuer=label_issuer if issuer_param is None else issuer_param,
        algorithm=(reading.value("algorithm") or "SHA1").upper(),
        digits=6 if digits is None else digits,
        period=None if reading.type == "hotp" else 30 if period is None else period,
        counter=integer(reading.value("counter")) if reading.type == "hotp" else None,
        label_issuer=label_issuer,
        issuer_param=issuer_param,
        extra=tuple((p.name, p.value) for p in reading.params if p.name not in KNOWN_PARAMETERS),
    )


def _quote(text: str) -> str:
    return quote(text, safe="@")


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes | bytearray):
        if not secret:
            raise SecretError("the secret is empty", where="secret")
        return bytes(secret)
    try:
        return decode_secret(secret)
    except SecretError as exc:
        raise exc.at("secret") from None


def _check_name(text: object, where: str) -> None:
    if not isinstance(text, str):
        raise KeyUriError(f"the {where} name must be text, not {text!r}", where=where)
    if ":" in text:
        raise KeyUriError(
            f"the {where} name contains a colon",
            where=where,
            hint="the Key URI Format forbids a colon in the issuer or account name: "
            "it separates the two",
        )
    if not text or text.isspace():
        raise KeyUriError(f"the {where} name is empty", where=where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyUriError(
            f"the {where} name is not valid Unicode (it has a lone surrogate)", where=where
        ) from None


def _check_int(value: object, where: str, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeyUriError(f"{where} must be a whole number, not {value!r}", where=where)
    if value < low or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f"at least {low}"
        raise KeyUriError(f"{where}={value} is out of range: it must be {span}", where=where)

"""Shared secrets: generate, encode and decode base32, and keep them out of sight.

Secrets travel as unpadded upper-case base32 (RFC 4648 alphabet, as the Key URI Format asks) and
are used as raw bytes. Decoding is forgiving about how people type secrets (lower case, spaces,
hyphens, missing or present ``=`` padding); whether a secret is written *canonically* is the URI
linter's business (:mod:`twofa_sim.core.keyuri`), not this module's.

>>> decode_secret("jbsw y3dp ehpk 3pxp")
b'Hello!\\xde\\xad\\xbe\\xef'
>>> encode_secret(b"Hello!\\xde\\xad\\xbe\\xef")
'JBSWY3DPEHPK3PXP'
>>> mask_secret("JBSWY3DPEHPK3PXP")
'JBSW…(80 bits)'
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Callable
from urllib.parse import unquote

from twofa_sim.errors import OtpParameterError, SecretError, WeakSecretError

__all__ = [
    "DEFAULT_SECRET_BITS",
    "HIDDEN",
    "MIGRATION_HIDDEN",
    "MIGRATION_PREFIX",
    "MIN_ENROLL_BITS",
    "RECOMMENDED_BITS",
    "decode_secret",
    "encode_secret",
    "find_secrets",
    "generate_secret",
    "is_bare_secret",
    "mask_codes",
    "mask_codes_in_message",
    "mask_phone",
    "mask_secret",
    "mask_secret_in",
    "redact_payload",
    "redact_uri",
    "require_enrollable",
    "secret_bits",
]

MIN_ENROLL_BITS = 128
"""RFC 4226 section 4, R6: the shared secret MUST be at least 128 bits."""
RECOMMENDED_BITS = 160
"""RFC 4226 R6 recommends 160 bits (the length of an HMAC-SHA-1 output)."""
DEFAULT_SECRET_BITS = RECOMMENDED_BITS

_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_IGNORED = frozenset(" \t\n\r-")
# Base32 lengths that cannot end a valid encoding: 1, 3 or 6 characters past a multiple of 8.
_BAD_REMAINDERS = frozenset({1, 3, 6})


def generate_secret(
    bits: int = DEFAULT_SECRET_BITS, *, randbytes: Callable[[int], bytes] | None = None
) -> str:
    """A new random secret of ``bits`` bits as unpadded base32 (from :mod:`secrets` by default).

    ``randbytes`` lets a simulated world draw from its own seeded source. Refuses fewer than
    128 bits (RFC 4226 R6) and sizes that are not whole bytes.
    """
    if bits % 8:
        raise OtpParameterError(f"{bits} is not a whole number of bytes", where="bits")
    if bits < MIN_ENROLL_BITS:
        raise WeakSecretError(bits, where="bits")
    draw = randbytes if randbytes is not None else secrets.token_bytes
    key = draw(bits // 8)
    if len(key) != bits // 8:
        raise OtpParameterError(f"randbytes returned {len(key)} bytes, not {bits // 8}")
    return encode_secret(key)


def encode_secret(key: bytes) -> str:
    """Raw key bytes as unpadded upper-case base32."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def _compact(text: str) -> str:
    """The secret's base32 characters: upper case, spaces/hyphens and ``=`` padding removed."""
    return "".join(c for c in text.upper() if c not in _IGNORED).rstrip("=")


def decode_secret(text: str) -> bytes:
    """Raw key bytes from base32 text, forgiving case, spacing, hyphens and padding.

    Raises :class:`SecretError` naming the first offending position (never the secret itself).
    """
    compact = _compact(text)
    if not compact:
        raise SecretError("the secret is empty", hint="a secret is base32: letters A-Z and 2-7")
    for index, char in enumerate(compact, start=1):
        if char not in _ALPHABET:
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            raise SecretError(
                f"character {index} ({shown}) is not base32",
                hint="base32 uses letters A-Z and digits 2-7 only (no 0, 1, 8 or 9)",
            )
    if len(compact) % 8 in _BAD_REMAINDERS:
        raise SecretError(
            f"{len(compact)} base32 characters cannot encode whole bytes",
            hint="a character is probably missing or extra",
        )
    try:
        return base64.b32decode(compact + "=" * (-len(compact) % 8))
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise SecretError(f"not base32: {exc}") from None


def secret_bits(text: str) -> int:
    """How many bits of key a base32 secret carries."""
    return len(decode_secret(text)) * 8


def require_enrollable(key: bytes, *, minimum: int = MIN_ENROLL_BITS) -> None:
    """Refuse a key too short to enroll with (RFC 4226 R6: at least 128 bits)."""
    if len(key) * 8 < minimum:
        raise WeakSecretError(len(key) * 8, minimum=minimum)


def mask_secret(text: str, *, reveal: int = 4) -> str:
    """A secret shown safely: its first ``reveal`` characters and its size, e.g.
    ``JBSW…(160 bits)`` (reports use ``reveal=0``: ``…(160 bits)``).

    Text that is not valid base32 is masked entirely.
    """
    try:
        bits = secret_bits(text)
    except SecretError:
        return f"…(not base32, {len(text)} characters)"
    return f"{_compact(text)[:reveal] if reveal > 0 else ''}…({bits} bits)"


# A parameter's name: after '?', '&' or '#' (a fragment's parameters are text in the QR code too),
# or ';' (as in an HTML-escaped '&amp;').
_PARAM_NAME = re.compile(r"[?&#;]([^=&#;?]*)=")
_VALUE_END = re.compile(r"[&#;]")
# Between two characters of a secret repeated elsewhere: the separators people type, raw or encoded.
_GAP = r"(?:[ \t\r\n-]|%20|%2[dD]|%09|%0[aAdD])*"
# A secret shorter than this is not hunted for elsewhere in the text (it would mask ordinary words),
# nor one longer than that (no real key is: 512 bits are 103 characters; the value itself is
# still masked), which keeps the hunt's pattern small.
_REPEAT_MIN, _REPEAT_MAX = 8, 256


def _secret_values(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, decoded value)`` of every ``secret`` parameter's value in ``text``.

    A secret's value runs to the next ``&`` (a ``#`` inside it included); any other value ends at
    ``&`` or ``#``, so a ``#secret=`` after it is found too.
    """
    found: list[tuple[int, int, str]] = []
    position = 0
    while (match := _PARAM_NAME.search(text, position)) is not None:
        start = match.end()
        if unquote(match.group(1)).strip().lower() == "secret":
            end = text.find("&", start)
            end = len(text) if end < 0 else end
            found.append((start, end, unquote(text[start:end])))
        else:
            stop = _VALUE_END.search(text, start)
            end = len(text) if stop is None else stop.start()
        position = max(end, match.start() + 1)
    return found


def find_secrets(text: str) -> list[str]:
    """The value (percent-decoded) of every ``secret`` parameter in ``text``, as
    :func:`redact_uri` finds them: in the query or after a ``#``, however the name is written.

    >>> find_secrets("otpauth://totp/a?issuer=A#S%45CRET=JBSWY3DPEHPK3PXP")
    ['JBSWY3DPEHPK3PXP']
    """
    return [value for _, _, value in _secret_values(text)]


def mask_secret_in(text: str, secret: str, *, reveal: int = 4) -> str:
    """``text`` with every occurrence of ``secret`` masked: any case, with or without the spaces,
    hyphens or %-escaped spaces people put between its characters.

    A secret of fewer than 8 base32 characters (hunting for it would mask ordinary words) or more
    than 256 is not hunted for.

    >>> mask_secret_in("otpauth://totp/Ex:jbsw%20y3dp%20ehpk%203pxp", "JBSWY3DPEHPK3PXP")
    'otpauth://totp/Ex:JBSW…(80 bits)'
    """
    compact = _compact(secret)
    if not _REPEAT_MIN <= len(compact) <= _REPEAT_MAX:
        return text
    pattern = re.compile(_GAP.join(re.escape(char) for char in compact), re.IGNORECASE)
    return pattern.sub(lambda _: mask_secret(secret, reveal=reveal), text)


def redact_uri(text: str, *, reveal: int = 4) -> str:
    """``text`` with the value of every ``secret`` parameter masked by :func:`mask_secret`, and
    the secret masked wherever else it appears (in the label, say).

    The parameter is found however its name is written (``SECRET=``, ``s%65cret=``) and wherever
    it is (in the query, or after a ``#``); its whole value is masked, up to the next ``&``.

    >>> redact_uri("otpauth://totp/Ex:a?secret=JBSWY3DPEHPK3PXP&issuer=Ex")
    'otpauth://totp/Ex:a?secret=JBSW…(80 bits)&issuer=Ex'
    >>> redact_uri("otpauth://totp/Ex:a?issuer=Ex#secret=JBSWY3DPEHPK3PXP")
    'otpauth://totp/Ex:a?issuer=Ex#secret=JBSW…(80 bits)'
    """
    values = _secret_values(text)
    pieces: list[str] = []
    position = 0
    for start, end, value in values:
        pieces += [text[position:start], mask_secret(value, reveal=reveal)]
        position = end
    redacted = "".join([*pieces, text[position:]])
    for value in dict.fromkeys(value for _, _, value in values):
        redacted = mask_secret_in(redacted, value, reveal=reveal)
    return redacted


MIGRATION_PREFIX = "otpauth-migration://"
"""The scheme of Google Authenticator's export QR codes, whose ``data=`` holds every secret."""
MIGRATION_HIDDEN = "…(accounts hidden)"
"""What an export QR's ``data=`` payload is shown as."""
# A QR code holding nothing but a key: at least 16 base32 characters (80 bits), maybe spaced.
_BARE_MIN = 16
_HOST = re.compile(r"[A-Za-z0-9.-]*")
_NAME = re.compile(r"[A-Za-z0-9_%-]{1,32}")
_SEPARATORS = re.compile(r"([&#;])")


def _redact_migration(text: str) -> str:
    """An export QR's text with every value hidden (names of parameters and the host kept)."""
    head, question_mark, query = text.partition("?")
    host = head[len(MIGRATION_PREFIX) :]
    shown = head if _HOST.fullmatch(host) else head[: len(MIGRATION_PREFIX)] + MIGRATION_HIDDEN
    if not question_mark:
        return shown
    pieces = []
    for piece in _SEPARATORS.split(query):
        name, equals, _ = piece.partition("=")
        if piece in ("", "&", "#", ";"):
            pieces.append(piece)
        elif equals and _NAME.fullmatch(name):
            pieces.append(f"{name}={MIGRATION_HIDDEN}")
        else:
            pieces.append(MIGRATION_HIDDEN)
    return f"{shown}?{''.join(pieces)}"


def redact_payload(text: str, *, reveal: int = 4) -> str:
    """A decoded QR code's text fit to show: every shape that carries a secret masked.

    That is an otpauth URI's ``secret`` (in the query or a ``#`` fragment) and the secret repeated
    anywhere else in it (:func:`redact_uri`); every value of a Google Authenticator export
    (``otpauth-migration://``: its ``data=`` is every account's secret, encoded); and a code that
    holds a bare base32 key (at least 16 characters, spaces and hyphens allowed).

    >>> redact_payload("JBSW Y3DP EHPK 3PXP")
    'JBSW…(80 bits)'
    >>> redact_payload("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8%3D")
    'otpauth-migration://offline?data=…(accounts hidden)'
    """
    if text[: len(MIGRATION_PREFIX)].lower() == MIGRATION_PREFIX:
        return _redact_migration(text)
    if is_bare_secret(text):
        stripped = text.strip()
        return text.replace(stripped, mask_secret(stripped, reveal=reveal))
    return redact_uri(text, reveal=reveal)


def is_bare_secret(text: str) -> bool:
    """The text is nothing but a base32 key of at least 16 characters (spaces, hyphens, padding
    and any case allowed): what :func:`redact_payload` masks whole.

    >>> is_bare_secret(" jbsw-y3dp-ehpk-3pxp "), is_bare_secret("ACME")
    (True, False)
    """
    compact = _compact(text.strip())
    return len(compact) >= _BARE_MIN and _is_base32(compact)


def _is_base32(compact: str) -> bool:
    try:
        decode_secret(compact)
    except SecretError:
        return False
    return True


HIDDEN = "••••••"
"""How a one-time code is shown: always six dots, whatever its length."""

_CODE_RUN = re.compile(r"(?<![0-9])[0-9]{4,10}(?![0-9])")


def mask_codes(text: str, *, reveal: int = 4) -> str:
    """``text`` with every run of 4 to 10 digits (what a code looks like) replaced by
    :data:`HIDDEN`, and any otpauth secret masked (:func:`redact_uri`).

    >>> mask_codes("Your code is 482913. otpauth://totp/X:a?secret=JBSWY3DPEHPK3PXP")
    'Your code is ••••••. otpauth://totp/X:a?secret=JBSW…(80 bits)'
    """
    return _CODE_RUN.sub(HIDDEN, redact_uri(text, reveal=reveal))


_READABLE = re.compile(
    r"(?:127\.0\.0\.1|localhost|\[::1\]):[0-9]{1,5}(?![0-9])"
    r"|(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?Z?)?"
)
"""What an error message keeps readable among its digits: a loopback address's port (the
services a run talks to) and an ISO date or time (no code is written with dashes and colons)."""


def mask_codes_in_message(text: str) -> str:
    """:func:`mask_codes` (nothing revealed) for an error message, keeping loopback ports and ISO
    dates and times readable.

    >>> mask_codes_in_message("POST http://127.0.0.1:8025/reset at 2026-03-01T09:00:00Z: 482913")
    'POST http://127.0.0.1:8025/reset at 2026-03-01T09:00:00Z: ••••••'
    """
    text = redact_uri(text, reveal=0)
    pieces: list[str] = []
    last = 0
    for kept in _READABLE.finditer(text):
        pieces += [_CODE_RUN.sub(HIDDEN, text[last : kept.start()]), kept.group()]
        last = kept.end()
    pieces.append(_CODE_RUN.sub(HIDDEN, text[last:]))
    return "".join(pieces)


def mask_phone(text: str) -> str:
    """A phone number with all but its last four digits starred: ``+*******0001``."""
    digits = text.lstrip("+")
    if len(digits) <= 4:
        return text
    return ("+" if text.startswith("+") else "") + "*" * (len(digits) - 4) + digits[-4:]

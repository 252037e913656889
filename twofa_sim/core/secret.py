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
    "MIN_ENROLL_BITS",
    "RECOMMENDED_BITS",
    "decode_secret",
    "encode_secret",
    "generate_secret",
    "mask_codes",
    "mask_phone",
    "mask_secret",
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


_QUERY_PARAM = re.compile(r"([?&])([^=&#]*)=([^&]*)")


def redact_uri(text: str, *, reveal: int = 4) -> str:
    """``text`` with the value of every ``secret`` query parameter masked by :func:`mask_secret`.

    The parameter is found however its name is written (``SECRET=``, ``s%65cret=``), and its whole
    value is masked, up to the next ``&`` (a ``#`` inside it included).

    >>> redact_uri("otpauth://totp/Ex:a?secret=JBSWY3DPEHPK3PXP&issuer=Ex")
    'otpauth://totp/Ex:a?secret=JBSW…(80 bits)&issuer=Ex'
    """

    def masked(match: re.Match[str]) -> str:
        lead, name, value = match.groups()
        if unquote(name).strip().lower() != "secret":
            return match.group(0)
        return f"{lead}{name}={mask_secret(unquote(value), reveal=reveal)}"

    return _QUERY_PARAM.sub(masked, text)


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


def mask_phone(text: str) -> str:
    """A phone number with all but its last four digits starred: ``+*******0001``."""
    digits = text.lstrip("+")
    if len(digits) <= 4:
        return text
    return ("+" if text.startswith("+") else "") + "*" * (len(digits) - 4) + digits[-4:]

"""Random codes and how the service stores them: never the code, only a salted hash.

- One-time SMS codes live minutes and are attempt-limited: HMAC-SHA256 under a random per-code
  salt (ASVS 4.0.3 2.7.5 asks only that the code be hashed).
- Recovery codes and the simulated passwords live long and are guessable offline if the store
  leaks: PBKDF2-HMAC-SHA256 with a per-user salt of 128 bits (ASVS 5.0 6.5.2 asks for an
  approved password hash and at least a 32-bit salt for lookup secrets under 112 bits).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

__all__ = [
    "RECOVERY_ALPHABET",
    "Random",
    "code_digest",
    "digits",
    "password_digest",
    "recovery_code",
    "recovery_digest",
    "same_digest",
]

Random = Callable[[int], bytes]
"""A source of random bytes: ``secrets.token_bytes`` in production, a seeded stream in a world."""

RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""31 characters a person cannot misread for another (no 0/O, 1/I/L)."""


def digits(random: Random, count: int) -> str:
    """``count`` uniformly random decimal digits (rejection sampling: no modulo bias)."""
    out: list[str] = []
    while len(out) < count:
        for byte in random(count):
            if byte < 250:  # 250 = 25 * 10: values above would favour low digits
                out.append(str(byte % 10))
                if len(out) == count:
                    break
    return "".join(out)


def recovery_code(random: Random, length: int) -> str:
    """A recovery code of ``length`` characters from :data:`RECOVERY_ALPHABET`, grouped by 5."""
    chars: list[str] = []
    limit = 256 - 256 % len(RECOVERY_ALPHABET)
    while len(chars) < length:
        for byte in random(length):
            if byte < limit:
                chars.append(RECOVERY_ALPHABET[byte % len(RECOVERY_ALPHABET)])
                if len(chars) == length:
                    break
    text = "".join(chars)
    return "-".join(text[i : i + 5] for i in range(0, length, 5))


def code_digest(salt: bytes, code: str) -> str:
    """HMAC-SHA256 of a one-time code under its salt, hex."""
    return hmac.new(salt, code.encode("utf-8"), hashlib.sha256).hexdigest()


def password_digest(salt: bytes, password: str, iterations: int) -> str:
    """PBKDF2-HMAC-SHA256 of a password, hex."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, max(iterations, 1)).hex()


def recovery_digest(salt: bytes, code: str, iterations: int) -> str:
    """PBKDF2-HMAC-SHA256 of a recovery code as a person may type it (dashes, spaces and case
    do not matter), hex."""
    typed = code.replace("-", "").replace(" ", "").upper()
    return password_digest(salt, typed, iterations)


def same_digest(left: str, right: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))

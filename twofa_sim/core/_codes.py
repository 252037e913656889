"""HOTP and TOTP code generation (RFC 4226, RFC 6238); public through :mod:`twofa_sim.core.otp`."""

from __future__ import annotations

import hmac
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from twofa_sim.core.secret import decode_secret
from twofa_sim.errors import OtpParameterError

Time = float | Fraction
"""An instant in Unix seconds: a float, or a Fraction where exactness matters."""

MIN_DIGITS = 6
"""RFC 4226 section 5.3: at least 6 digits."""
MAX_DIGITS = 8
MAX_COUNTER = 2**64 - 1
"""The counter is 8 bytes (RFC 4226 section 5.1); RFC 6238 section 4.2 needs T past 2**32."""


class Algorithm(StrEnum):
    """The HMAC hash functions RFC 6238 allows."""

    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA512 = "SHA512"

    @classmethod
    def parse(cls, value: str | Algorithm) -> Algorithm:
        """``SHA1``/``sha-256``/``Sha512`` -> the member; anything else is an error."""
        if isinstance(value, Algorithm):
            return value
        name = str(value).upper().replace("-", "")
        try:
            return cls(name)
        except ValueError:
            raise OtpParameterError(
                f"unknown algorithm {value!r}", hint="use SHA1, SHA256 or SHA512"
            ) from None

    @property
    def hashlib_name(self) -> str:
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class OtpParams:
    """How codes are made: hash, number of digits, and (TOTP) the time step and its origin T0."""

    algorithm: Algorithm = Algorithm.SHA1
    digits: int = 6
    period: int = 30
    t0: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithm", Algorithm.parse(self.algorithm))
        check_digits(self.digits)
        if isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 1:
            raise OtpParameterError(
                f"period must be a whole number of seconds >= 1, not {self.period!r}",
                where="period",
            )
        if isinstance(self.t0, bool) or not isinstance(self.t0, int):
            raise OtpParameterError(f"T0 must be whole Unix seconds, not {self.t0!r}", where="t0")


def check_digits(digits: int) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise OtpParameterError(f"digits must be an integer, not {digits!r}", where="digits")
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise OtpParameterError(
            f"{digits} digits is outside {MIN_DIGITS}-{MAX_DIGITS}",
            where="digits",
            hint="RFC 4226 section 5.3: 6 digits at least, 7 or 8 possible",
        )
    return digits


def check_counter(counter: int) -> int:
    if isinstance(counter, bool) or not isinstance(counter, int):
        raise OtpParameterError(f"counter must be an integer, not {counter!r}", where="counter")
    if not 0 <= counter <= MAX_COUNTER:
        raise OtpParameterError(
            f"counter {counter} is outside 0 to 2**64-1 (an 8-byte counter)", where="counter"
        )
    return counter


_CANONICAL_BASE32 = re.compile(r"[A-Z2-7]+")
"""A secret as the service stores it: upper-case base32, no spacing, no padding."""
_BASE32_DIGITS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv"
)
"""RFC 4648 base32 letters as the digits of ``int(text, 32)``: the same 5 bits each."""


def key_bytes(secret: bytes | str) -> bytes:
    """Raw key bytes: ``bytes`` as given, ``str`` decoded as base32 (forgivingly, with located
    errors, by :func:`~twofa_sim.core.secret.decode_secret`; a canonical secret, upper case
    without spacing or padding, is decoded directly, to the same bytes)."""
    if isinstance(secret, bytes | bytearray | memoryview):
        return bytes(secret)
    if len(secret) % 8 in (0, 2, 4, 5, 7) and _CANONICAL_BASE32.fullmatch(secret):
        size, spare = divmod(len(secret) * 5, 8)  # whole bytes, and the last bits padding
        return (int(secret.translate(_BASE32_DIGITS), 32) >> spare).to_bytes(size, "big")
    return decode_secret(secret)


def truncate(mac: bytes, digits: int) -> str:
    """RFC 4226 section 5.3 dynamic truncation of an HMAC to ``digits`` decimal digits."""
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def hotp(
    secret: bytes | str,
    counter: int,
    *,
    digits: int = 6,
    algorithm: Algorithm | str = Algorithm.SHA1,
) -> str:
    """The HOTP code for ``counter`` (RFC 4226), as a zero-padded string.

    Works for any key length, including keys too short to enroll with.
    """
    check_counter(counter)
    check_digits(digits)
    name = Algorithm.parse(algorithm).hashlib_name
    return truncate(hmac.digest(key_bytes(secret), counter.to_bytes(8, "big"), name), digits)


def time_step(at: Time, *, period: int = 30, t0: int = 0) -> int:
    """RFC 6238 T = floor((at - T0) / X); refuses instants before T0 and steps past 2**64-1.

    Floor division keeps exact inputs exact: an ``int`` or :class:`fractions.Fraction` instant
    gives the exact step even where a float would round (past 2**53 seconds, or a fraction of a
    second closer to a step boundary than a float can tell).
    """
    step = floor_step(at, period, t0)
    if step < 0:
        raise OtpParameterError(f"time {float(at):g} is before T0 ({t0})", where="at")
    if step > MAX_COUNTER:
        raise OtpParameterError(
            "the time is too far ahead: its time step is past 2**64-1", where="at"
        )
    return step


def floor_step(at: Time, period: int, t0: int) -> int:
    """floor((at - t0) / period), exact for int and Fraction instants; NaN/infinity refused."""
    if isinstance(at, float) and not math.isfinite(at):
        raise OtpParameterError(f"time {at!r} is not finite", where="at")
    return int((at - t0) // period)


def step_start(step: int, *, period: int = 30, t0: int = 0) -> float:
    """The first instant (Unix seconds) of time step ``step``."""
    return float(t0 + step * period)


def totp(
    secret: bytes | str,
    at: Time,
    *,
    digits: int = 6,
    algorithm: Algorithm | str = Algorithm.SHA1,
    period: int = 30,
    t0: int = 0,
) -> str:
    """The TOTP code at Unix time ``at`` (RFC 6238): HOTP of the time step."""
    params = OtpParams(Algorithm.parse(algorithm), digits, period, t0)
    step = time_step(at, period=params.period, t0=params.t0)
    return hotp(secret, step, digits=params.digits, algorithm=params.algorithm)

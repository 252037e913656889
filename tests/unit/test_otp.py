"""HOTP/TOTP code generation: parameters, ranges and errors."""

from __future__ import annotations

import hashlib
import hmac
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twofa_sim.core.otp import (
    MAX_COUNTER,
    Algorithm,
    OtpParams,
    TotpVerifier,
    generate_secret,
    hotp,
    key_bytes,
    require_enrollable,
    step_start,
    time_step,
    totp,
)
from twofa_sim.core.secret import decode_secret
from twofa_sim.errors import OtpParameterError, SecretError, WeakSecretError

SEED = b"12345678901234567890"


def reference_hotp(key: bytes, counter: int, digits: int, name: str) -> str:
    """RFC 4226 section 5.3, written out from the text."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), getattr(hashlib, name)).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).rjust(digits, "0")


def test_base32_secret_gives_the_same_code_as_its_bytes() -> None:
    """A base32 secret and its raw bytes are the same key."""
    assert hotp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 0) == hotp(SEED, 0) == "755224"


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=120).filter(
        lambda text: len(text) % 8 not in (1, 3, 6)
    )
)
def test_every_base32_secret_is_the_key_its_letters_spell(text: str) -> None:
    """RFC 4648 base32: a secret as the service stores it (upper case, unpadded), including
    ones whose last letter carries spare bits, is the key decode_secret reads, and so are its
    lower-case, spaced and padded spellings."""
    key = decode_secret(text)
    assert key_bytes(text) == key
    spaced = " ".join(text[i : i + 4] for i in range(0, len(text), 4)).lower()
    assert key_bytes(spaced + "=" * (-len(text) % 8)) == key
    assert hotp(text, 7) == hotp(key, 7)


@pytest.mark.parametrize("counter", [2**32 - 1, 2**32, 2**32 + 1, 2**63, MAX_COUNTER])
def test_counters_past_32_bits(counter: int) -> None:
    """RFC 6238 section 4.2: counters beyond 32 bits are encoded in all 8 bytes."""
    assert hotp(SEED, counter) == reference_hotp(SEED, counter, 6, "sha1")


@pytest.mark.parametrize("counter", [-1, MAX_COUNTER + 1])
def test_counter_out_of_range_is_refused(counter: int) -> None:
    """The counter is 8 unsigned bytes: anything else is a clear error."""
    with pytest.raises(OtpParameterError, match="counter"):
        hotp(SEED, counter)


@pytest.mark.parametrize("digits", [5, 9, 0])
def test_digits_outside_six_to_eight_are_refused(digits: int) -> None:
    """RFC 4226 section 5.3: at least 6 digits; this engine makes 6 to 8."""
    with pytest.raises(OtpParameterError, match="digits"):
        hotp(SEED, 0, digits=digits)


@pytest.mark.parametrize("digits", [6, 7, 8])
def test_codes_keep_leading_zeros(digits: int) -> None:
    """Codes are zero-padded strings of exactly `digits` characters."""
    codes = [hotp(SEED, c, digits=digits) for c in range(200)]
    assert all(len(c) == digits and c.isdigit() for c in codes)
    assert any(c.startswith("0") for c in codes)


def test_key_longer_than_the_hash_block_is_hashed_first() -> None:
    """RFC 2104: keys longer than the block are hashed; the verifier's cached pads agree."""
    key = bytes(range(200))
    for algorithm in Algorithm:
        expected = reference_hotp(key, 7, 8, algorithm.hashlib_name)
        assert hotp(key, 7, digits=8, algorithm=algorithm) == expected
        verifier = TotpVerifier(key, OtpParams(algorithm, 8))
        assert verifier.verify(expected, at=7 * 30 + 1).accepted


def test_algorithm_names_are_case_and_dash_insensitive() -> None:
    """`sha-256`, `Sha256` and `SHA256` are the same algorithm; MD5 is not offered."""
    assert Algorithm.parse("sha-256") is Algorithm.parse("Sha256") is Algorithm.SHA256
    with pytest.raises(OtpParameterError, match="MD5"):
        Algorithm.parse("MD5")


def test_time_step_and_t0() -> None:
    """RFC 6238 section 4: T = floor((t - T0) / X)."""
    assert time_step(59) == 1
    assert time_step(60) == 2
    assert time_step(1000, period=60, t0=100) == 15
    assert step_start(15, period=60, t0=100) == 1000.0
    assert totp(SEED, 1000, period=60, t0=100) == hotp(SEED, 15)


def test_step_boundaries_are_exact() -> None:
    """The code changes exactly at a step boundary, not a moment before."""
    assert totp(SEED, 29.999) == hotp(SEED, 0)
    assert totp(SEED, 30.0) == hotp(SEED, 1)


@pytest.mark.parametrize("at", [-1.0, 99.0, math.nan, math.inf])
def test_times_before_t0_or_not_finite_are_refused(at: float) -> None:
    """A time before T0 has no time step; NaN and infinity are not times."""
    with pytest.raises(OtpParameterError):
        totp(SEED, at, t0=100)


def test_bad_params_are_refused() -> None:
    """Periods under one second and non-integer T0 are clear errors."""
    with pytest.raises(OtpParameterError, match="period"):
        OtpParams(period=0)
    with pytest.raises(OtpParameterError, match="T0"):
        OtpParams(t0=1.5)  # type: ignore[arg-type]


def test_generated_secrets_are_160_bits_and_distinct() -> None:
    """RFC 4226 R6: 160 bits recommended, from a CSPRNG (ASVS 5.0 6.5.3)."""
    secrets_ = {generate_secret() for _ in range(50)}
    assert len(secrets_) == 50
    assert all(len(decode_secret(s)) == 20 for s in secrets_)
    assert all(s == s.upper() and "=" not in s for s in secrets_)


def test_generated_secret_draws_from_the_given_source() -> None:
    """A simulated world can supply its own seeded random bytes."""
    assert generate_secret(128, randbytes=lambda n: b"\x00" * n) == "A" * 26


def test_enrollment_refuses_fewer_than_128_bits() -> None:
    """RFC 4226 R6: the shared secret MUST be at least 128 bits."""
    with pytest.raises(WeakSecretError, match="120 bits"):
        generate_secret(120)
    with pytest.raises(WeakSecretError):
        require_enrollable(b"x" * 15)
    require_enrollable(b"x" * 16)


def test_short_secrets_still_compute_codes_when_asked() -> None:
    """Codes are computed for any secret when asked explicitly (e.g. an 80-bit legacy one)."""
    assert len(totp("JBSWY3DPEHPK3PXP", 59)) == 6


@pytest.mark.parametrize("bad", ["", "   ", "JBSWY3DPEHPK3PX1", "JBSWY3", "ÄBCDEFGH"])
def test_bad_secrets_are_refused_without_echoing_them(bad: str) -> None:
    """A bad secret gives a SecretError that does not repeat the secret."""
    with pytest.raises(SecretError) as caught:
        totp(bad, 59)
    if len(bad.strip()) > 4:
        assert bad not in str(caught.value)

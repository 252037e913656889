"""The published RFC test vectors, copied here from the RFC text (not from core.vectors)."""

from __future__ import annotations

import pytest

from twofa_sim.core.otp import hotp, totp
from twofa_sim.core.vectors import check_vectors

SEED20 = b"12345678901234567890"
SEED32 = b"12345678901234567890123456789012"
SEED64 = SEED20 * 3 + b"1234"

RFC4226_APPENDIX_D = [
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
]  # fmt: skip

RFC6238_APPENDIX_B = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_APPENDIX_D)))
def test_rfc4226_appendix_d(counter: int, expected: str) -> None:
    """RFC 4226 Appendix D: HOTP values for counters 0-9."""
    assert hotp(SEED20, counter) == expected


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238_APPENDIX_B)
def test_rfc6238_appendix_b(at: int, sha1: str, sha256: str, sha512: str) -> None:
    """RFC 6238 Appendix B, with the 20/32/64-byte seeds, including T past 2**32 (section 4.2)."""
    assert totp(SEED20, at, digits=8, algorithm="SHA1") == sha1
    assert totp(SEED32, at, digits=8, algorithm="SHA256") == sha256
    assert totp(SEED64, at, digits=8, algorithm="SHA512") == sha512


def test_six_digit_variants_are_the_last_six_digits() -> None:
    """RFC 6238 App. B at 6 digits: the last six digits of the 8-digit values."""
    assert [totp(SEED20, at) for at, *_ in RFC6238_APPENDIX_B] == [
        sha1[-6:] for _, sha1, _, _ in RFC6238_APPENDIX_B
    ]


def test_twenty_byte_seed_does_not_reproduce_sha256_table() -> None:
    """The well-known erratum: the table's SHA-256 values need the 32-byte seed."""
    assert totp(SEED20, 59, digits=8, algorithm="SHA256") != "46119246"


def test_check_vectors_covers_every_published_vector_and_all_match() -> None:
    """`twofa-sim vectors` checks all 10 HOTP and 18 TOTP vectors, and all match."""
    results = check_vectors()
    assert len(results) == 28
    assert all(r.ok for r in results)
    assert {r.expected for r in results} >= set(RFC4226_APPENDIX_D)

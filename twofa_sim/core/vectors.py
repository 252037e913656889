"""The published test vectors of RFC 4226 (Appendix D) and RFC 6238 (Appendix B), and a checker.

The expected values are copied from the RFCs, not computed: :func:`check_vectors` compares them
with what :mod:`twofa_sim.core.otp` computes, which is what ``twofa-sim vectors`` prints.

RFC 6238's body names only the 20-byte seed, but its Appendix B table was made (by the reference
code in Appendix A) with a 32-byte seed for SHA-256 and a 64-byte seed for SHA-512: a well-known
erratum. The 20-byte seed does not reproduce the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofa_sim.core._codes import Algorithm, hotp, totp

__all__ = ["HOTP_VECTORS", "TOTP_SEEDS", "TOTP_VECTORS", "Vector", "check_vectors"]

RFC4226_SECRET = b"12345678901234567890"

HOTP_VECTORS: tuple[tuple[int, str], ...] = (
    (0, "755224"),
    (1, "287082"),
    (2, "359152"),
    (3, "969429"),
    (4, "338314"),
    (5, "254676"),
    (6, "287922"),
    (7, "162583"),
    (8, "399871"),
    (9, "520489"),
)
"""RFC 4226 Appendix D: (counter, 6-digit HOTP) for the ASCII secret ``12345678901234567890``."""

TOTP_SEEDS: dict[Algorithm, bytes] = {
    Algorithm.SHA1: b"12345678901234567890",
    Algorithm.SHA256: b"12345678901234567890123456789012",
    Algorithm.SHA512: b"1234567890123456789012345678901234567890123456789012345678901234",
}
"""RFC 6238 Appendix A seeds: 20, 32 and 64 ASCII bytes."""

TOTP_VECTORS: tuple[tuple[int, dict[Algorithm, str]], ...] = tuple(
    (t, dict(zip(Algorithm, codes, strict=True)))
    for t, codes in (
        (59, ("94287082", "46119246", "90693936")),
        (1111111109, ("07081804", "68084774", "25091201")),
        (1111111111, ("14050471", "67062674", "99943326")),
        (1234567890, ("89005924", "91819424", "93441116")),
        (2000000000, ("69279037", "90698825", "38618901")),
        (20000000000, ("65353130", "77737706", "47863826")),
    )
)
"""RFC 6238 Appendix B: (Unix time, {algorithm: 8-digit TOTP}), X = 30 s, T0 = 0."""


@dataclass(frozen=True, slots=True)
class Vector:
    """One published vector and what twofa-sim computed for it."""

    source: str
    algorithm: Algorithm
    moving_factor: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def check_vectors() -> list[Vector]:
    """Every RFC 4226 and RFC 6238 vector, with the value computed here."""
    results = [
        Vector(
            "RFC 4226 App. D",
            Algorithm.SHA1,
            f"counter {counter}",
            expected,
            hotp(RFC4226_SECRET, counter),
        )
        for counter, expected in HOTP_VECTORS
    ]
    for at, codes in TOTP_VECTORS:
        for algorithm, expected in codes.items():
            actual = totp(TOTP_SEEDS[algorithm], at, digits=8, algorithm=algorithm)
            results.append(Vector("RFC 6238 App. B", algorithm, f"t={at}", expected, actual))
    return results

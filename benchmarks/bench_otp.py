"""Verification cost per candidate code, against a bare ``hmac.digest`` HOTP (target <= 1.5x).

The baseline is the minimal RFC 4226 code: one ``hmac.digest``, dynamic truncation, formatting.
Ours is :meth:`TotpVerifier.verify` of a correct code under the default policy (one step back,
one forward, so three candidates), divided by the candidates it computed (all of them: the
comparison is constant-time). pyotp's ``TOTP.verify`` with the same window is measured the same
way, for reference, divided by the candidates *it* computed: it tries the steps in order and
stops at the first match, so for a code of the current step it computes two (counted, not
assumed).
"""

from __future__ import annotations

import base64
import hmac

import pyotp

from benchmarks._harness import Ratio, interleaved
from twofa_sim.core.otp import TotpState, TotpVerifier

KEY = b"12345678901234567890"
AT = 1_700_000_000.0
NUMBER = 5_000


def bare_hotp(key: bytes = KEY, counter: int = 56666666) -> str:
    mac = hmac.digest(key, counter.to_bytes(8, "big"), "sha1")
    offset = mac[-1] & 0x0F
    return str((int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000).zfill(6)


class _CountingTOTP(pyotp.TOTP):
    """pyotp's TOTP, counting the codes it computes."""

    computed = 0

    def generate_otp(self, input: int) -> str:  # pyotp names its parameter `input`
        self.computed += 1
        return super().generate_otp(input)


def pyotp_candidates(secret: str, code: str, at: float) -> int:
    """How many codes pyotp's ``verify`` (window 1) computes to accept ``code`` at ``at``."""
    counting = _CountingTOTP(secret)
    assert counting.verify(code, for_time=at, valid_window=1)
    return counting.computed


def run() -> list[Ratio]:
    verifier = TotpVerifier(KEY)
    code = verifier.code_at(AT)
    fresh = TotpState()
    result = verifier.verify(code, AT, fresh)
    assert result.accepted
    oracle = pyotp.TOTP(base64.b32encode(KEY).decode())
    assert oracle.verify(code, for_time=AT, valid_window=1)
    candidates = pyotp_candidates(oracle.secret, code, AT)
    per_verify, per_oracle, baseline = interleaved(
        lambda: verifier.verify(code, AT, fresh),
        lambda: oracle.verify(code, for_time=AT, valid_window=1),
        bare_hotp,
        number=NUMBER,
    )
    ours = per_verify / result.candidates
    theirs = per_oracle / candidates
    return [
        Ratio(
            "TOTP verify, per candidate code",
            ours,
            baseline,
            1.5,
            "at_most",
            "bare hmac.digest HOTP",
        ),
        Ratio(
            "pyotp TOTP.verify, per candidate (reference)",
            theirs,
            baseline,
            0,
            "info",
            "bare hmac.digest HOTP",
        ),
    ]

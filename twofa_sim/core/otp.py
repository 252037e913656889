"""One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) codes, and verifiers driven by a policy.

Time is always a parameter, never read here. Secrets are raw bytes, or base32 text (decoded with
:func:`twofa_sim.core.secret.decode_secret`).

>>> hotp(b"12345678901234567890", 0)
'755224'
>>> totp(b"12345678901234567890", 59, digits=8)
'94287082'

Verifiers keep no state of their own: the credential state (last accepted step, drift, HOTP
counter) is a small frozen value handed in and handed back, for the caller to store::

    verifier = TotpVerifier(secret, policy=TotpPolicy(steps_back=1, steps_forward=1))
    result = verifier.verify(code, at=clock.now(), state=stored_state)
    if result.accepted:
        stored_state = result.state
"""

from __future__ import annotations

from twofa_sim.core._codes import (
    MAX_COUNTER,
    MAX_DIGITS,
    MIN_DIGITS,
    Algorithm,
    OtpParams,
    hotp,
    key_bytes,
    step_start,
    time_step,
    totp,
)
from twofa_sim.core._verify import (
    HotpPolicy,
    HotpState,
    HotpVerifier,
    Reason,
    TotpPolicy,
    TotpState,
    TotpVerifier,
    Verification,
)
from twofa_sim.core.secret import generate_secret, require_enrollable

__all__ = [
    "MAX_COUNTER",
    "MAX_DIGITS",
    "MIN_DIGITS",
    "Algorithm",
    "HotpPolicy",
    "HotpState",
    "HotpVerifier",
    "OtpParams",
    "Reason",
    "TotpPolicy",
    "TotpState",
    "TotpVerifier",
    "Verification",
    "generate_secret",
    "hotp",
    "key_bytes",
    "require_enrollable",
    "step_start",
    "time_step",
    "totp",
]

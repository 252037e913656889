"""Authy's own tokens: what the Authy app shows, and what the verify endpoint accepts.

The Authy app shows, for each registered device, 7 digits that change every 10 seconds: the last 7
digits of an 8-digit TOTP (RFC 6238, HMAC-SHA1) with a 10-second step, from a secret of its own per
device so that a device can be revoked (authenticator-apps.md: Aegis#147, winauth#415,
keepassxc#1762, alexzorin/authy#8). The last 7 digits of an 8-digit code are the 7-digit code
(``n mod 10**8 mod 10**7 == n mod 10**7``), which the test suite checks.

>>> authy_token(b"12345678901234567890", 59)
'8254676'
>>> well_formed("0123456"), well_formed("12345"), well_formed("12a4567")
(True, False, False)
"""

from __future__ import annotations

from twofa_sim.core.otp import totp

__all__ = [
    "APP_TOKEN_DIGITS",
    "APP_TOKEN_PERIOD",
    "APP_TOKEN_STEPS_BACK",
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "SMS_TOKEN_DIGITS",
    "SMS_TOKEN_LIFETIME",
    "authy_token",
    "well_formed",
]

APP_TOKEN_DIGITS = 7
APP_TOKEN_PERIOD = 10
APP_TOKEN_STEPS_BACK = 1
"""The verifier accepts the current 10 s step and the one before (RFC 6238 section 5.2: at most
one step back for transmission delay), so an app token is good for 10 to 20 seconds."""

SMS_TOKEN_DIGITS = 7
SMS_TOKEN_LIFETIME = 600.0
"""An SMS or voice token expires 10 minutes after it is sent: the out-of-band maximum of ASVS 5.0
6.5.5 and 4.0.3 2.7.2, and NIST SP 800-63B section 5.1.3.2 (standards.md sections 4 and 5)."""

MIN_TOKEN_LENGTH = 6
MAX_TOKEN_LENGTH = 12
"""The verify endpoint takes tokens of 6 to 12 digits (authy-python ``MIN_TOKEN_SIZE`` and
``MAX_TOKEN_SIZE``; standards.md 6.4)."""


def authy_token(secret: bytes, at: float) -> str:
    """The token the Authy app shows at Unix time ``at`` for a device with ``secret``."""
    return totp(secret, at, digits=8, period=APP_TOKEN_PERIOD)[-APP_TOKEN_DIGITS:]


def well_formed(token: str) -> bool:
    """True when ``token`` is 6 to 12 ASCII digits, the only tokens Authy's verify takes."""
    return (
        MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH and token.isascii() and token.isdigit()
    )

"""A fake Authy API v1 (users, SMS and voice tokens, app tokens, OneTouch) and its client.

- :class:`AuthyService`: the fake, mounted on ``https://api.authy.com`` with
  :func:`twofa_sim.providers.mount.mounted`; ``service.backend`` (an :class:`AuthyBackend`) is its
  state, which the simulated phone's Authy app uses directly (``register_device``,
  ``pending_requests``, ``respond``).
- :class:`AuthyClient`: a ``requests`` client, as production code uses the real API.
- :func:`authy_token`: what the Authy app shows; :func:`sign` and :func:`verify`: OneTouch
  callback signatures.
"""

from __future__ import annotations

from twofa_sim.providers.authy.client import AuthyClient, TokenDelivery
from twofa_sim.providers.authy.exceptions import (
    AuthyApiError,
    AuthyFormatError,
    AuthyServerError,
    AuthyUnavailable,
)
from twofa_sim.providers.authy.handlers import AuthyService
from twofa_sim.providers.authy.models import (
    ApprovalRequest,
    ApprovalStatus,
    AuthyBackend,
    Callback,
    Device,
    User,
)
from twofa_sim.providers.authy.signature import sign, verify
from twofa_sim.providers.authy.tokens import authy_token

__all__ = [
    "ApprovalRequest",
    "ApprovalStatus",
    "AuthyApiError",
    "AuthyBackend",
    "AuthyClient",
    "AuthyFormatError",
    "AuthyServerError",
    "AuthyService",
    "AuthyUnavailable",
    "Callback",
    "Device",
    "TokenDelivery",
    "User",
    "authy_token",
    "sign",
    "verify",
]

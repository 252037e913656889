"""Fake SMS (Twilio Messages), Authy and Twilio Verify providers that answer their real HTTP APIs.

Each provider is a backend (state and logic), a service (HTTP shapes) and routes, mounted on
``requests`` with :func:`mounted`; the ``requests`` clients the reference service uses ship
alongside. See :mod:`twofa_sim.providers._core` for what they share.
"""

from __future__ import annotations

from twofa_sim.core.seeding import SeededRandom
from twofa_sim.providers._core import (
    FAULT_KINDS,
    Exchange,
    FakeService,
    FaultRule,
    Faults,
    Reply,
    Request,
    Route,
)
from twofa_sim.providers.authy import AuthyApiError, AuthyClient, AuthyService, AuthyUnavailable
from twofa_sim.providers.mount import mounted
from twofa_sim.providers.network import Delivery, Sms, SmsNetwork
from twofa_sim.providers.twilio import (
    TwilioApiError,
    TwilioClient,
    TwilioError,
    TwilioService,
    TwilioUnavailable,
)
from twofa_sim.providers.verify import (
    VerifyApiError,
    VerifyClient,
    VerifyService,
    VerifyUnavailable,
)

__all__ = [
    "FAULT_KINDS",
    "AuthyApiError",
    "AuthyClient",
    "AuthyService",
    "AuthyUnavailable",
    "Delivery",
    "Exchange",
    "FakeService",
    "FaultRule",
    "Faults",
    "Reply",
    "Request",
    "Route",
    "SeededRandom",
    "Sms",
    "SmsNetwork",
    "TwilioApiError",
    "TwilioClient",
    "TwilioError",
    "TwilioService",
    "TwilioUnavailable",
    "VerifyApiError",
    "VerifyClient",
    "VerifyService",
    "VerifyUnavailable",
    "mounted",
]

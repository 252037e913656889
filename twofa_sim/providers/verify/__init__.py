"""A fake Twilio Verify API v2 (moto's layout): verifications by SMS, voice and e-mail, TOTP and
push factors, challenges.

``models`` is the account's state and logic (and the phone's side of push), ``handlers`` the HTTP
face (:class:`VerifyService`, on ``https://verify.twilio.com``), ``urls`` the routing data,
``exceptions`` Verify's error codes, ``client`` the ``requests`` client production code (the
reference service) uses. The official ``twilio`` helper library runs against it
unchanged once it is mounted with :func:`~twofa_sim.providers.mount.mounted`.

>>> from twofa_sim.core.clock import VirtualClock
>>> from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
>>> clock = VirtualClock("2024-05-01T12:00:00Z")
>>> rng = SeededRandom(7)
>>> network = SmsNetwork(clock, rng.stream("network"))
>>> verify = VerifyService(clock, rng.stream("verify"), network)
>>> service = verify.backend.create_service("ACME")
>>> import requests
>>> with mounted(verify):
...     started = requests.post(
...         f"https://verify.twilio.com/v2/Services/{service.sid}/Verifications",
...         data={"To": "+14155550100", "Channel": "sms"},
...         auth=(verify.account_sid, verify.auth_token),
...     )
...     _ = clock.advance(5)
...     checked = requests.post(
...         f"https://verify.twilio.com/v2/Services/{service.sid}/VerificationCheck",
...         data={"To": "+14155550100", "Code": network.latest_code("+14155550100")},
...         auth=(verify.account_sid, verify.auth_token),
...     )
>>> started.status_code, started.json()["status"], checked.json()["status"]
(201, 'pending', 'approved')
"""

from __future__ import annotations

from twofa_sim.providers.verify.client import (
    ChallengeInfo,
    FactorInfo,
    VerificationInfo,
    VerifyClient,
)
from twofa_sim.providers.verify.exceptions import (
    VerifyApiError,
    VerifyError,
    VerifyUnavailable,
)
from twofa_sim.providers.verify.handlers import VerifyService
from twofa_sim.providers.verify.models import (
    Challenge,
    Entity,
    Factor,
    OutOfBand,
    Service,
    Verification,
    VerifyBackend,
)

__all__ = [
    "Challenge",
    "ChallengeInfo",
    "Entity",
    "Factor",
    "FactorInfo",
    "OutOfBand",
    "Service",
    "Verification",
    "VerificationInfo",
    "VerifyApiError",
    "VerifyBackend",
    "VerifyClient",
    "VerifyError",
    "VerifyService",
    "VerifyUnavailable",
]

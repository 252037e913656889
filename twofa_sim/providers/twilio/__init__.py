"""A fake Twilio Messages API (moto's layout) and the ``requests`` client that talks to it.

``models`` is the account's state and logic, ``handlers`` the HTTP face
(:class:`TwilioService`), ``urls`` the routing data, ``exceptions`` Twilio's error codes,
``client`` what production code uses.

>>> from twofa_sim.core.clock import VirtualClock
>>> from twofa_sim.providers import SeededRandom, SmsNetwork, mounted
>>> clock = VirtualClock("2024-05-01T12:00:00Z")
>>> rng = SeededRandom(7)
>>> network = SmsNetwork(clock, rng.stream("network"))  # delivers after 2 s by default
>>> twilio = TwilioService(clock, rng.stream("twilio"), network)
>>> client = TwilioClient(twilio.account_sid, twilio.auth_token)
>>> with mounted(twilio):
...     sent = client.send_sms("+14155550100", "+15005550006", "Your code is 123456")
>>> sent.status, network.inbox("+14155550100")
('queued', [])
>>> _ = clock.advance(5)
>>> network.latest_code("+14155550100"), twilio.backend.status(sent.sid)
('123456', 'delivered')
"""

from __future__ import annotations

from twofa_sim.providers.twilio.client import SentMessage, TwilioClient
from twofa_sim.providers.twilio.exceptions import TwilioApiError, TwilioError, TwilioUnavailable
from twofa_sim.providers.twilio.handlers import TwilioService
from twofa_sim.providers.twilio.models import Message, MessageStatus, TwilioBackend

__all__ = [
    "Message",
    "MessageStatus",
    "SentMessage",
    "TwilioApiError",
    "TwilioBackend",
    "TwilioClient",
    "TwilioError",
    "TwilioService",
    "TwilioUnavailable",
]

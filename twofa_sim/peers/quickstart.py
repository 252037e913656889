"""``pyotp-quickstart``: the app a developer writes from pyotp's and Twilio's quick starts.

It is :mod:`pyotp-naive <twofa_sim.scenario.targets.naive>` (``pyotp.TOTP(secret).verify(code,
valid_window=1)``, SMS codes in a dict) with its SMS sent the way Twilio's Python quick start
does: the official ``twilio`` helper library, ``Client(account_sid, auth_token).messages.create(
to=..., from_=..., body=...)``, so the request that reaches the fake Twilio is the library's own
(its URL, form encoding, auth and error handling), not ours. A scenario's provider faults reach
it as the library raises them (:class:`~twilio.base.exceptions.TwilioRestException`, or the
connection error underneath), and it turns them into "SMS unavailable", as the quick start's
``try``/``except`` would.

Needs the ``twilio`` package (``pip install 'twofa-sim[django]'`` or ``'twofa-sim[test]'``);
without it the target refuses with an :class:`~twofa_sim.errors.InputError` naming the extra.
"""

from __future__ import annotations

from typing import Any, ClassVar

from twofa_sim.errors import ProviderUnavailableError
from twofa_sim.peers.djangoapp import package_versions, require_packages
from twofa_sim.scenario.target import TargetContext
from twofa_sim.scenario.targets.naive import NaiveTarget

__all__ = ["QuickstartTarget"]


class QuickstartTarget(NaiveTarget):
    """pyotp-naive sending its SMS through the official ``twilio`` library."""

    name = "pyotp-quickstart"
    packages: ClassVar[tuple[str, ...]] = ("twilio",)

    def __init__(self, context: TargetContext) -> None:
        require_packages(self.name, self.packages)
        from twilio.rest import Client

        super().__init__(context)
        self.client: Any = Client(context.twilio_account_sid, context.twilio_auth_token)

    @classmethod
    def versions(cls) -> dict[str, str]:
        """The packages this target tests: pyotp's verify and the twilio library's client."""
        require_packages(cls.name, cls.packages)
        from importlib import metadata

        return {**package_versions(cls.packages), "pyotp": metadata.version("pyotp")}

    def send_code_sms(self, to: str, code: str) -> None:
        """Twilio's quick start: ``client.messages.create(to=, from_=, body=)``."""
        import requests
        from twilio.base.exceptions import TwilioException

        try:
            self.client.messages.create(
                to=to, from_=self.context.sms_from, body=f"Your code is {code}"
            )
        except (TwilioException, requests.RequestException) as exc:
            raise ProviderUnavailableError("SMS", type(exc).__name__) from exc

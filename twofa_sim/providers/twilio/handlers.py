"""The Twilio fake's HTTP face: requests in, backend calls, Twilio's exact JSON out.

Decisions where Twilio's behaviour had to be chosen (evidence in ``exceptions.py``):

- The path's ``AccountSid`` is checked before the credentials: a SID that is not this account's
  answers 404 (20404, "The requested resource <path> was not found"), as the live API answered
  an unknown account SID. Then HTTP Basic ``AccountSid:AuthToken``: missing or wrong is 401
  (20003 "Authenticate", with ``detail``). Subaccounts and API keys (``SK...``) are not modelled.
- Test credentials are not modelled as a separate mode: the magic numbers always apply, and
  reading messages back (which test credentials cannot do) is allowed.
- ``date_sent`` equals ``date_created`` (standards.md 6.2's example); ``price`` and
  ``price_unit`` stay null.
- Dispatch, faults (429 -> 20429, 500 -> 20500, 503 -> 20503) and the exchange log are
  :class:`~twofa_sim.providers._core.FakeService`'s.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlencode

from twofa_sim.core.clock import VirtualClock, to_datetime
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import InputError
from twofa_sim.providers._core import FakeService, Handler, Reply, Request, Route
from twofa_sim.providers.envelope import account_credentials
from twofa_sim.providers.network import SmsNetwork
from twofa_sim.providers.twilio import urls
from twofa_sim.providers.twilio.exceptions import (
    AuthenticationFailed,
    InternalServerError,
    ResourceNotFound,
    ServiceUnavailable,
    TooManyRequests,
    TwilioApiError,
)
from twofa_sim.providers.twilio.models import (
    DEFAULT_FROM_NUMBERS,
    Message,
    TwilioBackend,
)

__all__ = ["TwilioService", "message_resource", "rfc2822"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def rfc2822(unix: float) -> str:
    """Twilio's date format: ``Thu, 24 Aug 2023 05:01:45 +0000`` (whole seconds)."""
    return format_datetime(to_datetime(float(int(unix // 1))))


def message_resource(message: Message, now: float, *, created: bool = False) -> dict[str, object]:
    """The Message resource as Twilio renders it at virtual time ``now`` (standards.md 6.2).

    ``created``: the 201 answer to the create request, which always reports the message as just
    queued ("accepted" via a Messaging Service), whatever the network has done since.
    """
    at = message.created_at if created else now
    status = ("accepted" if message.via_service else "queued") if created else message.status_at(at)
    updated = message.created_at if created else message.updated_at(at)
    error = None if created else message.error_at(at)
    path = urls.messages_path(message.account_sid, message.sid)
    return {
        "account_sid": message.account_sid,
        "api_version": urls.API_VERSION,
        "body": message.body,
        "date_created": rfc2822(message.created_at),
        "date_sent": rfc2822(message.created_at),
        "date_updated": rfc2822(updated),
        "direction": "outbound-api",
        "error_code": error[0] if error else None,
        "error_message": error[1] if error else None,
        "from": message.sender_at(at),
        "num_media": str(message.num_media),
        "num_segments": str(message.num_segments),
        "price": None,
        "price_unit": None,
        "messaging_service_sid": message.messaging_service_sid,
        "sid": message.sid,
        "status": status,
        "subresource_uris": {"media": path.removesuffix(".json") + "/Media.json"},
        "to": message.to,
        "uri": path,
    }


class TwilioService(FakeService):
    """The Twilio Messages API (2010-04-01) on ``https://api.twilio.com``, backed by one account.

    ``account_sid`` (``AC`` + 32 hex) and ``auth_token`` are drawn from ``rng`` when not given;
    ``from_numbers`` are the account's SMS-capable numbers (default: the test number
    +15005550006). ``backend`` is the state to inspect; ``network`` carries the messages.
    """

    name = "twilio"
    base_urls = urls.BASE_URLS

    def __init__(
        self,
        clock: VirtualClock,
        rng: SeededRandom,
        network: SmsNetwork,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_numbers: Sequence[str] = DEFAULT_FROM_NUMBERS,
    ) -> None:
        super().__init__(clock, rng)
        account_sid, auth_token = account_credentials(rng, account_sid, auth_token)
        if isinstance(from_numbers, str):
            raise InputError("give a sequence of numbers, not one string", where="from_numbers")
        self.network = network
        self.backend = TwilioBackend(
            clock,
            rng.stream("messages"),
            network,
            account_sid=account_sid,
            auth_token=auth_token,
            from_numbers=from_numbers,
        )
        self._routes = tuple(
            Route(method, pattern, self._answering(getattr(self, handler)), endpoint)
            for method, pattern, handler, endpoint in urls.ROUTES
        ) + tuple(
            Route(method, pattern, self._answering(self.not_found, authorize=False), endpoint)
            for method, pattern, _, endpoint in urls.CATCH_ALL
        )

    @property
    def account_sid(self) -> str:
        return self.backend.account_sid

    @property
    def auth_token(self) -> str:
        return self.backend.auth_token

    # FakeService ------------------------------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        return self._routes

    def error_reply(self, status: int, kind: str) -> Reply:
        error: TwilioApiError
        if status == 404:
            error = ResourceNotFound()
        elif status == 413:  # a body over the served fake's cap
            error = TwilioApiError(20413, "Request Entity Too Large", 413)
        elif status == 429:
            error = TooManyRequests()
        elif status == 503:
            error = ServiceUnavailable()
        else:
            error = InternalServerError(status=status)
        return Reply(error.status, error.envelope())

    def reset_backend(self) -> None:
        self.backend.reset()

    # Endpoints --------------------------------------------------------------------------------

    def create_message(self, request: Request) -> Reply:
        """``POST .../Messages.json``: 201 and the new message, or an error envelope."""
        form = request.form
        media = [v for k, v in parse_qsl(request.body, keep_blank_values=True) if k == "MediaUrl"]
        message = self.backend.create_message(
            to=form.get("To"),
            sender=form.get("From"),
            body=form.get("Body"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            media_urls=[url for url in media if url],
        )
        return Reply(201, message_resource(message, self.clock.now(), created=True))

    def fetch_message(self, request: Request) -> Reply:
        """``GET .../Messages/{MessageSid}.json``: the message with its status as of now."""
        message = self.backend.find(request.params["MessageSid"])
        if message is None:
            raise ResourceNotFound.at(request.path)
        return Reply(200, message_resource(message, self.clock.now()))

    def list_messages(self, request: Request) -> Reply:
        """``GET .../Messages.json``: newest first, filtered by ``To``/``From``, paged by
        ``PageSize`` (1-1000, default 50) and ``Page``.
        """
        to, sender = request.form.get("To"), request.form.get("From")
        size = min(max(_integer(request.form.get("PageSize"), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        page = max(_integer(request.form.get("Page"), 0), 0)
        now = self.clock.now()
        chosen = [
            m
            for m in reversed(self.backend.messages)
            if (to is None or m.to == to) and (sender is None or m.sender_at(now) == sender)
        ]
        start = page * size
        shown = chosen[start : start + size]
        path = urls.messages_path(self.backend.account_sid)
        filters = [(k, v) for k, v in (("To", to), ("From", sender)) if v is not None]

        def uri(number: int, token: str | None = None) -> str:
            query = [*filters, ("PageSize", str(size)), ("Page", str(number))]
            if token:
                query.append(("PageToken", token))
            return f"{path}?{urlencode(query)}"

        more = start + size < len(chosen)
        return Reply(
            200,
            {
                "end": start + max(len(shown) - 1, 0),
                "first_page_uri": uri(0),
                "messages": [message_resource(m, now) for m in shown],
                "next_page_uri": uri(page + 1, "PA" + shown[-1].sid) if more and shown else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page > 0 else None,
                "start": start,
                "uri": uri(page),
            },
        )

    def not_found(self, request: Request) -> Reply:
        """Any other path on the host: Twilio's 404."""
        raise ResourceNotFound.at(request.path)

    # Shared checks ----------------------------------------------------------------------------

    def _answering(self, handler: Callable[[Request], Reply], *, authorize: bool = True) -> Handler:
        """Wrap an endpoint: account and credentials first, Twilio errors as envelopes."""

        def answer(request: Request) -> Reply:
            try:
                if authorize:
                    self._authorize(request)
                return handler(request)
            except TwilioApiError as error:
                return Reply(error.status, error.envelope())

        return answer

    def _authorize(self, request: Request) -> None:
        if request.params.get("AccountSid") != self.backend.account_sid:
            raise ResourceNotFound.at(request.path)
        credentials = _basic_credentials(request.header("Authorization"))
        if credentials is None or not self.backend.authenticate(*credentials):
            raise AuthenticationFailed.credentials()


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(username, password)`` from an HTTP Basic ``Authorization`` header, if it is one."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (non-ASCII text too), or not UTF-8
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def _integer(value: str | None, default: int) -> int:
    """A paging parameter: a whole number up to a million, else the default."""
    if value is None or not (value.isascii() and value.isdigit() and len(value) <= 6):
        return default
    return int(value)

"""A plain ``requests`` client for Twilio's Messages API, as production code would use it.

It speaks the real API (same URL, HTTP Basic ``AccountSid:AuthToken``, form fields ``To``,
``From``, ``Body``), so it runs unchanged against ``api.twilio.com`` or, mounted with
:func:`~twofa_sim.providers.mount.mounted`, against the fake. It never retries: whether and when
to retry is the caller's policy (``TwilioApiError.retryable`` helps decide).

Errors: an error envelope raises :class:`~twofa_sim.providers.twilio.exceptions.TwilioApiError`
(the subclass for its code); a timeout or connection failure raises
:class:`~twofa_sim.providers.twilio.exceptions.TwilioUnavailable` from the ``requests``
exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import requests

from twofa_sim.providers.twilio.exceptions import TwilioApiError, TwilioUnavailable
from twofa_sim.providers.twilio.urls import API_VERSION, BASE_URLS

__all__ = ["SentMessage", "TwilioClient"]


@dataclass(frozen=True)
class SentMessage:
    """A Message resource as Twilio returned it (dates as aware datetimes, counts as ints)."""

    sid: str
    status: str
    to: str
    from_: str | None
    body: str
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None
    error_code: int | None
    error_message: str | None
    num_segments: int
    num_media: int
    messaging_service_sid: str | None
    account_sid: str
    uri: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SentMessage:
        """Read Twilio's JSON; ``ValueError`` (or ``KeyError``, ``TypeError``) if it is not one."""
        sent = data.get("date_sent")
        error_code = data.get("error_code")
        return cls(
            sid=str(data["sid"]),
            status=str(data["status"]),
            to=str(data["to"]),
            from_=None if data.get("from") is None else str(data["from"]),
            body=str(data.get("body") or ""),
            date_created=parsedate_to_datetime(data["date_created"]),
            date_updated=parsedate_to_datetime(data["date_updated"]),
            date_sent=None if sent is None else parsedate_to_datetime(sent),
            error_code=None if error_code is None else int(error_code),
            error_message=data.get("error_message"),
            num_segments=int(data.get("num_segments") or 0),
            num_media=int(data.get("num_media") or 0),
            messaging_service_sid=data.get("messaging_service_sid"),
            account_sid=str(data["account_sid"]),
            uri=str(data.get("uri") or ""),
        )


class TwilioClient:
    """Send and read SMS through Twilio's REST API.

    ``session``: a ``requests.Session`` to use (the client makes and owns one otherwise; close it
    with :meth:`close` or a ``with`` block). ``timeout``: seconds for each request.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str = BASE_URLS[0],
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._auth = (account_sid, auth_token)
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session

    def __repr__(self) -> str:  # never shows the token
        return f"TwilioClient({self.account_sid!r}, base_url={self.base_url!r})"

    # Messages -----------------------------------------------------------------------------------

    def send_sms(self, to: str, from_: str, body: str) -> SentMessage:
        """Create a message (``POST .../Messages.json``); Twilio answers 201, status "queued"."""
        data = self._call(
            "POST", self._messages_path(), data={"To": to, "From": from_, "Body": body}
        )
        return self._message(data, 201)

    def fetch(self, sid: str) -> SentMessage:
        """The message ``sid`` with its current status (``GET .../Messages/{sid}.json``)."""
        return self._message(self._call("GET", self._messages_path(sid)), 200)

    def list_messages(
        self, *, to: str | None = None, from_: str | None = None, page_size: int = 50
    ) -> list[SentMessage]:
        """Every message (newest first), optionally only those to/from a number; follows pages."""
        return list(self._iter_messages(to=to, from_=from_, page_size=page_size))

    def _iter_messages(
        self, *, to: str | None, from_: str | None, page_size: int
    ) -> Iterator[SentMessage]:
        params = {"PageSize": str(page_size)}
        if to is not None:
            params["To"] = to
        if from_ is not None:
            params["From"] = from_
        page = self._call("GET", self._messages_path(), params=params)
        while True:
            for item in page.get("messages") or []:
                yield self._message(item, 200)
            following = page.get("next_page_uri")
            if not isinstance(following, str) or not following:
                return
            page = self._call("GET", following)

    # Lifecycle ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the session if the client made it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # HTTP ---------------------------------------------------------------------------------------

    def _messages_path(self, sid: str | None = None) -> str:
        base = f"/{API_VERSION}/Accounts/{quote(self.account_sid, safe='')}/Messages"
        return f"{base}/{quote(sid, safe='')}.json" if sid is not None else f"{base}.json"

    def _call(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self.session.request(
                method,
                url,
                data=data,
                params=params,
                auth=self._auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.exceptions.Timeout as error:
            raise TwilioUnavailable(
                f"Twilio did not answer within {self.timeout:g} s: {method} {url}", url=url
            ) from error
        except requests.exceptions.ConnectionError as error:
            raise TwilioUnavailable(f"could not reach Twilio: {method} {url}", url=url) from error
        try:
            body: object = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise TwilioApiError.from_envelope(body, status=response.status_code)
        if not isinstance(body, dict):
            raise TwilioApiError(None, f"not a JSON object: {body!r:.200}", response.status_code)
        return body

    @staticmethod
    def _message(data: object, status: int) -> SentMessage:
        if not isinstance(data, Mapping):
            raise TwilioApiError(None, f"not a message: {data!r:.200}", status)
        try:
            return SentMessage.from_json(data)
        except (KeyError, TypeError, ValueError) as error:
            raise TwilioApiError(None, f"unreadable message: {error}", status) from error

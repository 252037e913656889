"""What every fake provider shares: seeded randomness, fault injection, the exchange log, dispatch.

A fake provider is three layers, as in moto: a *backend* (plain state and logic, no HTTP), a
*service* (this module's :class:`FakeService`: turns HTTP requests into backend calls and back
into the provider's exact JSON), and its *routes* (pure data: method, path pattern, handler).
:func:`twofa_sim.providers.mount.mounted` puts services behind ``requests`` with ``responses``.

Time is the world's :class:`~twofa_sim.core.clock.VirtualClock`: latency moves it, deadlines
are read from it. Randomness is a :class:`~twofa_sim.core.seeding.SeededRandom` stream of the
world's one seed.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import requests

from twofa_sim.core.clock import VirtualClock
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import InputError

__all__ = [
    "Exchange",
    "FakeService",
    "FaultKind",
    "FaultRule",
    "Faults",
    "Reply",
    "Request",
    "Route",
]


# --- requests and replies, as the handlers see them --------------------------------------------


@dataclass(frozen=True)
class Request:
    """One HTTP request as a handler sees it: path parameters, form or query fields, headers."""

    method: str
    url: str
    path: str
    params: Mapping[str, str]
    """The path's named groups (``{AccountSid}`` ...)."""
    form: Mapping[str, str]
    """Form fields (POST body) or, for GET, the query string; the first of repeated fields."""
    headers: Mapping[str, str]
    body: str
    timeout: float | None
    """The client's read timeout, when it set one (``requests``' ``timeout=``)."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class Reply:
    """What a handler answers: status, JSON body (or text) and extra headers."""

    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[int, dict[str, str], str]:
        """Status, headers and text; JSON written as the providers write it: compact, UTF-8."""
        if isinstance(self.body, str):
            text, content_type = self.body, "text/plain; charset=utf-8"
        else:
            text = json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)
            content_type = "application/json; charset=utf-8"
        return self.status, {"Content-Type": content_type, **self.headers}, text


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``pattern``, a regex with named groups, must match the whole path."""

    method: str
    pattern: str
    handler: Handler
    endpoint: str
    """A short name used by fault rules and the exchange log (``messages.create``)."""

    def match(self, path: str) -> dict[str, str] | None:
        found = re.fullmatch(self.pattern, path)
        return None if found is None else found.groupdict()


@dataclass(frozen=True)
class Exchange:
    """One request a fake answered (or failed), stamped with virtual time, for inspection."""

    at: float
    provider: str
    endpoint: str
    method: str
    url: str
    request: Mapping[str, str]
    status: int | None
    """None when the request failed without a response (timeout, dropped connection)."""
    response: object
    fault: str | None = None


# --- fault injection ---------------------------------------------------------------------------

FaultKind = Literal["http_500", "http_503", "rate_limit", "timeout", "connection_error", "latency"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "http_500",
    "http_503",
    "rate_limit",
    "timeout",
    "connection_error",
    "latency",
)


@dataclass
class FaultRule:
    """A fault a provider injects while it is active.

    ``endpoint``: only requests to that endpoint (``None``: all). ``start``/``until``: the virtual
    time window (``None``: open). ``probability``: chance per matching request, from the
    provider's seeded stream. ``times``: at most this many injections (``None``: unlimited).
    ``seconds``: the delay a ``latency`` fault adds (virtual time passes; past the client's
    timeout it becomes a timeout).
    """

    kind: FaultKind
    endpoint: str | None = None
    start: float | None = None
    until: float | None = None
    probability: float = 1.0
    times: int | None = None
    seconds: float = 0.0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise InputError(
                f"unknown fault {self.kind!r}",
                where="fault",
                hint=f"one of {', '.join(FAULT_KINDS)}",
            )
        if not 0.0 <= self.probability <= 1.0:
            raise InputError(f"probability {self.probability} is outside 0-1", where="probability")
        if self.kind == "latency" and self.seconds <= 0:
            raise InputError("a latency fault needs seconds > 0", where="seconds")

    def active(self, endpoint: str, now: float) -> bool:
        return (
            (self.endpoint is None or self.endpoint == endpoint)
            and (self.start is None or now >= self.start)
            and (self.until is None or now < self.until)
            and (self.times is None or self.fired < self.times)
        )


class Faults:
    """The fault rules of one provider; switch them on and off as virtual time passes."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, kind: FaultKind, **options: Any) -> FaultRule:
        rule = FaultRule(kind, **options)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def draw(self, endpoint: str, now: float, rng: SeededRandom) -> list[FaultRule]:
        """The rules that fire for this request (each counted as fired)."""
        fired = []
        for rule in self.rules:
            if rule.active(endpoint, now) and (
                rule.probability >= 1.0 or rng.random() < rule.probability
            ):
                rule.fired += 1
                fired.append(rule)
        return fired


# --- the service: HTTP in, backend calls, HTTP out -----------------------------------------------


class FakeService(ABC):
    """Base of a fake provider's HTTP face. Subclasses set ``name``, ``base_urls`` and ``routes()``
    and render their provider's error envelope in ``error_reply()``.
    """

    name: str = "fake"
    base_urls: tuple[str, ...] = ()

    def __init__(self, clock: VirtualClock, rng: SeededRandom) -> None:
        self.clock = clock
        self.rng = rng
        self.faults = Faults()
        self.exchanges: list[Exchange] = []

    # Subclasses -------------------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> Sequence[Route]:
        """The provider's endpoints."""

    @abstractmethod
    def error_reply(self, status: int, kind: str) -> Reply:
        """The provider's own error body for an injected fault or an unknown path."""

    @abstractmethod
    def reset_backend(self) -> None:
        """Clear the backend's state (messages, users ...)."""

    # Shared -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: backend state, the exchange log, fault rules."""
        self.reset_backend()
        self.exchanges.clear()
        self.faults.clear()

    def dispatch(
        self, prepared: requests.PreparedRequest
    ) -> tuple[int, dict[str, str], str] | Exception:
        """Answer one intercepted request (the ``responses`` callback).

        Faults decide first. ``connection_error`` fails before the provider sees the request;
        ``timeout`` (and ``latency`` past the client's timeout) let the provider do the work and
        lose the answer, so "was the SMS sent?" is as ambiguous as it is in production.
        """
        request = _read(prepared)
        route, params = self._route(request.method, request.path)
        endpoint = route.endpoint if route else "unknown"
        request = _with_params(request, params)
        outcome = self._inject(request, endpoint, self.clock.now())
        if isinstance(outcome, tuple):
            reply, kind = outcome
            self._log(endpoint, request, reply.status, reply.body, fault=kind)
            return reply.encoded()
        if isinstance(outcome, requests.exceptions.ConnectionError) and not isinstance(
            outcome, requests.exceptions.Timeout
        ):
            self._log(endpoint, request, None, None, fault="connection_error")
            return outcome
        reply, bug = self._answer(route, request)
        if isinstance(outcome, requests.exceptions.Timeout):
            fault = bug or "answer lost (timeout)"
            self._log(endpoint, request, reply.status, reply.body, fault=fault)
            self.clock.advance(request.timeout or 30.0)
            return outcome
        self._log(endpoint, request, reply.status, reply.body, fault=bug)
        return reply.encoded()

    def _answer(self, route: Route | None, request: Request) -> tuple[Reply, str | None]:
        """The handler's reply. A fake's own bug answers 500, as a real server would; the second
        value then says what broke, for the exchange log."""
        if route is None:
            return self.error_reply(404, "not_found"), None
        try:
            return route.handler(request), None
        except Exception as exc:
            return self.error_reply(500, "http_500"), f"fake error: {type(exc).__name__}: {exc}"

    def _route(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes():
            if route.method == method:
                params = route.match(path)
                if params is not None:
                    return route, params
        return None, {}

    def _inject(
        self, request: Request, endpoint: str, now: float
    ) -> tuple[Reply, str] | requests.exceptions.RequestException | None:
        for rule in self.faults.draw(endpoint, now, self.rng):
            if rule.kind == "latency":
                if request.timeout is not None and rule.seconds >= request.timeout:
                    return requests.exceptions.ReadTimeout(
                        f"{self.name}: no answer within {request.timeout} s (injected latency)"
                    )
                self.clock.advance(rule.seconds)
            elif rule.kind == "timeout":
                return requests.exceptions.ReadTimeout(f"{self.name}: read timed out (injected)")
            elif rule.kind == "connection_error":
                return requests.exceptions.ConnectionError(
                    f"{self.name}: connection reset (injected)"
                )
            else:
                status = {"http_500": 500, "http_503": 503, "rate_limit": 429}[rule.kind]
                return self.error_reply(status, rule.kind), rule.kind
        return None

    def _log(
        self,
        endpoint: str,
        request: Request,
        status: int | None,
        body: object,
        *,
        fault: str | None,
    ) -> None:
        self.exchanges.append(
            Exchange(
                at=self.clock.now(),
                provider=self.name,
                endpoint=endpoint,
                method=request.method,
                url=request.url,
                request=dict(request.form),
                status=status,
                response=body,
                fault=fault,
            )
        )


def _read(prepared: requests.PreparedRequest) -> Request:
    url = prepared.url or ""
    parts = urlsplit(url)
    raw = prepared.body
    if isinstance(raw, bytes):
        body = raw.decode("utf-8", "replace")
    elif isinstance(raw, str):
        body = raw
    else:  # no body, or a stream (our clients never stream)
        body = ""
    # Form fields from the body (or a JSON object's top-level fields), then the query string
    # (clients put some parameters there).
    fields = _json_fields(body, prepared.headers.get("Content-Type")) or parse_qsl(
        body, keep_blank_values=True
    )
    fields += parse_qsl(parts.query, keep_blank_values=True)
    form: dict[str, str] = {}
    for key, value in fields:
        form.setdefault(key, value)
    kwargs = getattr(prepared, "req_kwargs", {}) or {}
    timeout = kwargs.get("timeout")
    if isinstance(timeout, tuple):
        timeout = timeout[-1]
    return Request(
        method=prepared.method or "GET",
        url=url,
        path=parts.path,
        params={},
        form=form,
        headers={
            k: v.decode("latin-1") if isinstance(v, bytes) else v
            for k, v in prepared.headers.items()
        },
        body=body,
        timeout=float(timeout) if timeout is not None else None,
    )


def _json_fields(body: str, content_type: str | bytes | None) -> list[tuple[str, str]]:
    """A JSON object body's top-level fields as text (nested values as compact JSON)."""
    kind = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    if not kind or "json" not in kind.lower():
        return []
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    return [
        (str(k), v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
        for k, v in data.items()
    ]


def _with_params(request: Request, params: Mapping[str, str]) -> Request:
    return Request(
        request.method,
        request.url,
        request.path,
        dict(params),
        request.form,
        request.headers,
        request.body,
        request.timeout,
    )

"""The control API: JSON under ``/_twofa``, to read and steer the served world.

Read inboxes, the exchange log and Authy pushes; approve or deny pushes; move the virtual clock;
add and clear faults; reset. Every route is one row of :data:`ROUTES` (the OpenAPI document in
:mod:`twofa_sim.serve.openapi` is drawn from the same rows, so the two cannot drift apart).

With a token, every route but the OpenAPI document needs ``Authorization: Bearer TOKEN``.
Errors are ``{"error": {"status", "message", "where", "hint"}}``. Nothing here talks to a real
provider: the world's fakes are the only thing it touches.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from twofa_sim.errors import InputError
from twofa_sim.providers.authy import AuthyServerError
from twofa_sim.providers.authy.exceptions import ApprovalRequestClosed
from twofa_sim.providers.verify import VerifyApiError
from twofa_sim.providers.verify.exceptions import ChallengeAlreadyResponded, ChallengeExpired
from twofa_sim.serve import views
from twofa_sim.serve.state import ServedWorld

__all__ = ["PREFIX", "ROUTES", "ControlApi", "ControlReply", "ControlRoute"]

PREFIX = "/_twofa"


@dataclass(frozen=True)
class ControlReply:
    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One control request: path parameters, query, JSON body (an object, ``{}`` if none)."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, object]


Action = Callable[[ServedWorld, Call], object]


@dataclass(frozen=True)
class ControlRoute:
    """``path`` uses ``{name}`` for a path parameter (one segment)."""

    method: str
    path: str
    action: Action
    summary: str
    request: str | None = None
    """The request body's schema name in the OpenAPI document, if it takes one."""
    response: str = "Object"
    query: tuple[str, ...] = ()
    status: int = 200

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)))


# --- actions (each runs under the world's lock) ------------------------------------------------


def _limit(call: Call) -> int | None:
    text = call.query.get("limit")
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 7):
        raise InputError(f"limit must be a whole number, not {text!r}", where="limit")
    return int(text)


def _approve(state: ServedWorld, call: Call) -> object:
    state.respond(call.params["uuid"], True)
    return views.approval(state.world, call.params["uuid"])


def _deny(state: ServedWorld, call: Call) -> object:
    state.respond(call.params["uuid"], False)
    return views.approval(state.world, call.params["uuid"])


def _challenge(state: ServedWorld, call: Call, *, approve: bool) -> object:
    state.respond_challenge(call.params["sid"], approve)
    return views.challenge(state.verify, state.world.now(), call.params["sid"])


ROUTES: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET",
        "/world",
        lambda s, c: s.describe(),
        "The fakes' credentials, the phones, the seed and the clock.",
        response="World",
    ),
    ControlRoute("GET", "/clock", lambda s, c: s.clock_view(), "The clock.", response="Clock"),
    ControlRoute(
        "POST",
        "/clock/advance",
        lambda s, c: s.advance(c.body.get("by")),
        "Move the virtual clock by a duration (seconds or '90s', '1h30m'; negative goes back).",
        request="Advance",
        response="Clock",
    ),
    ControlRoute(
        "POST",
        "/clock/set",
        lambda s, c: s.set_time(c.body.get("to")),
        "Set the virtual clock to an instant (Unix seconds or ISO-8601).",
        request="SetTime",
        response="Clock",
    ),
    ControlRoute(
        "GET",
        "/sms",
        lambda s, c: {"numbers": views.numbers(s.world)},
        "Every number with a phone or a message: counts and the latest code.",
        response="Numbers",
    ),
    ControlRoute(
        "GET",
        "/sms/{number}",
        lambda s, c: views.inbox(s.world, c.params["number"]),
        "The SMS delivered to a number by now (the phone's screen), oldest first.",
        response="Inbox",
    ),
    ControlRoute(
        "GET",
        "/exchanges",
        lambda s, c: {"exchanges": views.exchanges(s.services, c.query.get("provider"), _limit(c))},
        "Every request a fake answered (or failed), in virtual-time order; limit keeps the last.",
        response="Exchanges",
        query=("provider", "limit"),
    ),
    ControlRoute(
        "GET",
        "/authy/approvals",
        lambda s, c: {"approval_requests": views.approvals(s.world, c.query.get("status"))},
        "Authy OneTouch pushes (status: pending, approved, denied, expired).",
        response="Approvals",
        query=("status",),
    ),
    ControlRoute(
        "GET",
        "/authy/approvals/{uuid}",
        lambda s, c: views.approval(s.world, c.params["uuid"]),
        "One Authy push.",
        response="Approval",
    ),
    ControlRoute(
        "POST",
        "/authy/approvals/{uuid}/approve",
        _approve,
        "Tap Approve on the phone (409 once the push is no longer pending).",
        response="Approval",
    ),
    ControlRoute(
        "POST",
        "/authy/approvals/{uuid}/deny",
        _deny,
        "Tap Deny on the phone (409 once the push is no longer pending).",
        response="Approval",
    ),
    ControlRoute(
        "GET",
        "/verify/verifications",
        lambda s, c: {
            "verifications": views.verifications(s.verify, s.world.now(), c.query.get("status"))
        },
        "Twilio Verify verifications (status: pending, approved, canceled, expired ...).",
        response="Verifications",
        query=("status",),
    ),
    ControlRoute(
        "POST",
        "/verify/push-factors",
        lambda s, c: s.enroll_push(c.body),
        "The phone's Verify Push app enrolls for an identity (what the Push SDK does): a "
        "verified push factor the service's challenges go to.",
        request="PushEnrollment",
        response="Factor",
        status=201,
    ),
    ControlRoute(
        "GET",
        "/verify/challenges",
        lambda s, c: {
            "challenges": views.challenges(s.verify, s.world.now(), c.query.get("status"))
        },
        "Twilio Verify push challenges (status: pending, approved, denied, expired).",
        response="Challenges",
        query=("status",),
    ),
    ControlRoute(
        "GET",
        "/verify/challenges/{sid}",
        lambda s, c: views.challenge(s.verify, s.world.now(), c.params["sid"]),
        "One Verify push challenge.",
        response="Challenge",
    ),
    ControlRoute(
        "POST",
        "/verify/challenges/{sid}/approve",
        lambda s, c: _challenge(s, c, approve=True),
        "Approve a Verify push on the phone (409 once no longer pending).",
        response="Challenge",
    ),
    ControlRoute(
        "POST",
        "/verify/challenges/{sid}/deny",
        lambda s, c: _challenge(s, c, approve=False),
        "Deny a Verify push on the phone (409 once no longer pending).",
        response="Challenge",
    ),
    ControlRoute(
        "GET", "/faults", lambda s, c: {"faults": s.faults()}, "Fault rules.", response="Faults"
    ),
    ControlRoute(
        "POST",
        "/faults",
        lambda s, c: s.add_fault(c.body),
        "Add a fault rule; start and until are durations from now.",
        request="FaultRequest",
        response="Fault",
        status=201,
    ),
    ControlRoute(
        "DELETE",
        "/faults",
        lambda s, c: {"cleared": s.clear_faults(c.query.get("provider"))},
        "Clear the fault rules (of one provider, or all).",
        response="Cleared",
        query=("provider",),
    ),
    ControlRoute(
        "POST",
        "/reset",
        lambda s, c: s.reset(),
        "A fresh world from the same description and seed (same credentials, clock at start).",
        response="Clock",
    ),
)


class ControlApi:
    """Answers control requests on one served world."""

    def __init__(
        self,
        state: ServedWorld,
        token: str | None = None,
        openapi: Mapping[str, object] | None = None,
    ) -> None:
        self.state = state
        self.token = token
        self.openapi = openapi

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> ControlReply:
        """``path`` is below :data:`PREFIX` (``/clock``)."""
        if path == "/openapi.json" and method == "GET" and self.openapi is not None:
            return ControlReply(200, self.openapi)
        if self.token is not None and not _bearer_matches(headers, self.token):
            return ControlReply(
                401,
                _error(401, "the control API needs Authorization: Bearer <token>", "token"),
                {"WWW-Authenticate": 'Bearer realm="twofa-sim"'},
            )
        allowed: list[str] = []
        for route in ROUTES:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            return self._run(route, found.groupdict(), query, body)
        if allowed:
            return ControlReply(
                405,
                _error(405, f"{method} is not allowed on {PREFIX}{path}", hint=", ".join(allowed)),
                {"Allow": ", ".join(allowed)},
            )
        return ControlReply(
            404, _error(404, f"no control route {PREFIX}{path}", hint=f"see {PREFIX}/openapi.json")
        )

    def _run(
        self, route: ControlRoute, params: Mapping[str, str], query: Mapping[str, str], raw: bytes
    ) -> ControlReply:
        try:
            call = Call({k: unquote(v) for k, v in params.items()}, query, _json_object(raw))
            with self.state.locked():
                answer = route.action(self.state, call)
        except InputError as exc:
            return ControlReply(400, _error(400, exc.what, exc.where, exc.hint))
        except ApprovalRequestClosed as exc:
            return ControlReply(409, _error(409, exc.message, "uuid"))
        except AuthyServerError as exc:
            return ControlReply(exc.status, _error(exc.status, exc.message))
        except (ChallengeAlreadyResponded, ChallengeExpired) as exc:
            return ControlReply(409, _error(409, exc.message, "sid"))
        except VerifyApiError as exc:
            return ControlReply(exc.status, _error(exc.status, exc.message))
        except OSError as exc:  # the clock hook refused, or the faketime file is unwritable
            reason = exc.strerror if exc.strerror and not isinstance(exc, ConnectionError) else exc
            return ControlReply(502, _error(502, f"the clock was not moved: {reason}", "clock"))
        return ControlReply(route.status, answer)


def _json_object(raw: bytes) -> Mapping[str, object]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputError("the body is not JSON", where="body", hint="send a JSON object") from None
    if not isinstance(data, dict):
        raise InputError("the body must be a JSON object", where="body")
    return data


def _bearer_matches(headers: Mapping[str, str], token: str) -> bool:
    given = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, value = given.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode("utf-8", "replace"), token.encode("utf-8")
    )


def _error(status: int, message: str, where: str = "", hint: str = "") -> dict[str, object]:
    return {"error": {"status": status, "message": message, "where": where, "hint": hint}}

"""``twofa-sim demo``: the seed document's story told in a simulated world, step by step.

A user signs up, verifies a phone number (a code by SMS, or by Authy: a token in the app or a
push), turns two-factor on, generates a QR code, scans it with an authenticator app, confirms
it, comes back later, logs in with a code from the app, and then someone replays that code:
the reference service must reject it. Every step says what the policy expects; the report is
``ok`` only if every step went that way. Secrets and codes are never shown, only masked.
With ``provider="verify"`` the same story goes through Twilio Verify: the SMS code is a Verify
verification, the QR is a Verify TOTP factor's URI, the logins are Verify challenges.

>>> report = run_demo(seed=3)
>>> report.ok, sorted(report.as_json())
(True, ['events', 'seed'])
>>> report.text().splitlines()[-1]
'all 13 steps went as the policy says'
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from twofa_sim.core.appcompat import profile
from twofa_sim.core.clock import format_duration, format_instant, parse_duration
from twofa_sim.core.keyuri import parse_uri
from twofa_sim.core.phone import parse_e164
from twofa_sim.core.secret import HIDDEN, mask_codes, mask_phone, redact_uri
from twofa_sim.errors import InputError, StoryStopped, TwofaSimError
from twofa_sim.providers import Exchange
from twofa_sim.reference import (
    MemoryStore,
    Outcome,
    ReferenceService,
    SecurityPolicy,
    SqliteStore,
    Store,
)
from twofa_sim.world import PROVIDERS, World
from twofa_sim.world.apps import AppAccount, Phone

__all__ = ["APPS", "CHANNELS", "STORES", "DemoReport", "demo_world", "run_demo"]

Channel = Literal["sms", "authy-app", "authy-push"]
AppName = Literal["google-authenticator", "authy", "freeotp"]
StoreKind = Literal["memory", "sqlite"]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
STORES: tuple[StoreKind, ...] = get_args(StoreKind)
APPS: dict[AppName, str] = {
    "google-authenticator": "google-authenticator-2024",
    "authy": "authy-2018",
    "freeotp": "freeotp-2018",
}
"""The ``--app`` names and the :mod:`~twofa_sim.core.appcompat` profile each one runs."""

START = "2026-03-01T09:00:00Z"
PHONE = "+15551230001"
USER = "alice"
_PASSWORD = "correct horse battery staple"
_MAX_OFFSET = 366 * 86400.0
_PHONE_FIELDS = frozenset({"to", "from", "user[cellphone]", "cellphone", "phone_number"})
_SECRET_WORDS = ("token", "code", "secret", "number", "password", "key", "otp", "pin", "payload")
_HARMLESS_FIELDS = frozenset({"user[country_code]", "country_code"})


@dataclass(frozen=True)
class DemoReport:
    """What happened: ``events`` in order (each a JSON object), ``ok`` if every step went as
    the policy says. Events with an ``expected`` key are the judged steps."""

    seed: int
    events: tuple[Mapping[str, Any], ...]
    ok: bool

    @property
    def failed_step(self) -> str | None:
        """The id of the first step that did not go as the policy says, or None."""
        return next((str(e["step"]) for e in self.events if e.get("ok") is False), None)

    def as_json(self) -> dict[str, Any]:
        """``{"seed": int, "events": [...]}``, ready for :func:`json.dumps`."""
        return {"seed": self.seed, "events": [dict(event) for event in self.events]}

    def text(self) -> str:
        """The story, one line per event, and a last line with the verdict."""
        lines = [_line(event) for event in self.events]
        judged = [e for e in self.events if "expected" in e]
        failed = next((e for e in judged if e["ok"] is False), None)
        if failed is None and self.ok:
            lines.append(f"all {len(judged)} steps went as the policy says")
        elif failed is not None:
            lines.append(
                f"step {judged.index(failed) + 1} ({failed['step']}) did not go as the policy "
                f"says: expected {failed['expected']}, got {failed['outcome']}"
            )
        else:  # pragma: no cover - ok is False only with a failed step
            lines.append("the story did not go as the policy says")
        return "\n".join(lines)


def _line(event: Mapping[str, Any]) -> str:
    action = event["action"]
    request = event.get("request")
    if request:
        action += " {" + ", ".join(f"{k}: {v}" for k, v in request.items()) + "}"
    text = f"{event['t']}  {event['actor']:<7} {action} -> {event['outcome']}"
    steps = event.get("steps_off")
    if steps:
        text += f" (the code was {abs(steps)} step{'s' * (abs(steps) != 1)} "
        text += "ahead)" if steps > 0 else "behind)"
    if "saw" in event:
        text += f' (sees "{event["saw"]}")'
    if "uri" in event:
        text += f" <{event['uri']}>"
    if "expected" in event:
        text += "  [as expected]" if event["ok"] else f"  [FAILED: expected {event['expected']}]"
    return text


# --- arguments ---------------------------------------------------------------------------------


def _choice(value: object, allowed: tuple[str, ...] | list[str], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(
            f"unknown {where} {value!r}", where=where, hint=f"one of {', '.join(allowed)}"
        )
    return value


def _offset(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{value!r} is not a duration", where="device_offset")
    try:
        seconds = parse_duration(value)
    except InputError as exc:
        raise exc.at("device_offset") from None
    if not math.isfinite(seconds) or abs(seconds) > _MAX_OFFSET:
        raise InputError(
            f"{value!r} is not an offset a phone clock could have",
            where="device_offset",
            hint="a finite duration within a year, like 40s or -2m",
        )
    return seconds


def demo_world(
    *,
    channel: Channel = "sms",
    app: AppName = "google-authenticator",
    device_offset: float | str = 0.0,
    seed: int = 0,
    provider: str = "messages",
) -> World:
    """The world the demo runs in: one phone (an Authy user for the Authy channels) running
    ``app``, its clock ``device_offset`` seconds off. :func:`run_demo` builds it; pass your own
    (``world=``) to look inside it afterwards."""
    _choice(channel, CHANNELS, "channel")
    _choice(app, list(APPS), "app")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be a whole number, not {seed!r}", where="seed")
    _choice(provider, PROVIDERS, "provider")
    if provider == "verify" and channel != "sms":
        raise InputError(
            f"channel {channel} is Authy's; with Verify the code comes by SMS",
            where="channel",
            hint="use channel sms with provider verify",
        )
    return World(
        {
            "seed": seed,
            "start": START,
            "provider": provider,
            "phones": [
                {
                    "number": PHONE,
                    "offset": _offset(device_offset),
                    "apps": [APPS[app]],
                    "authy": channel != "sms",
                }
            ],
        }
    )


# --- the story ---------------------------------------------------------------------------------


class _Story:
    """Tells the story in ``world`` against ``service``, recording one event per happening."""

    def __init__(
        self,
        world: World,
        service: ReferenceService,
        policy: SecurityPolicy,
        channel: Channel,
        restart: Callable[[], ReferenceService] | None,
    ) -> None:
        self.world, self.service, self.policy = world, service, policy
        self.channel, self.restart = channel, restart
        self.phone: Phone = world.phone(PHONE)
        self.events: list[dict[str, Any]] = []
        self.ok = True
        self.hidden: set[str] = {_PASSWORD}
        """Every secret and code the story handled: none may reach the report."""
        self._seen = [0, 0, 0]
        self._notes = 0

    # --- recording ----------------------------------------------------------------------------

    def emit(self, actor: str, action: str, outcome: str, **extra: Any) -> None:
        now = format_instant(self.world.now())
        self.events.append(
            {"t": now, "actor": actor, "action": action, "outcome": outcome, **extra}
        )

    def judge(
        self, step: str, actor: str, action: str, outcome: str, expected: str, **extra: Any
    ) -> list[str]:
        """A step the policy has a say on: record it, what the providers received and what the
        user was told (returns the notifications' kinds); stop the story if it went wrong."""
        ok = outcome == expected
        self.emit(actor, action, outcome, step=step, expected=expected, ok=ok, **extra)
        self.providers()
        kinds = self.notifications()
        if not ok:
            self.ok = False
            raise StoryStopped(step)
        return kinds

    def providers(self) -> None:
        """What the fake providers received since last asked (bodies redacted)."""
        fresh: list[Exchange] = []
        services = (self.world.authy, self.world.twilio, self.world.verify)
        for index, service in enumerate(services):
            fresh.extend(service.exchanges[self._seen[index] :])
            self._seen[index] = len(service.exchanges)
        # A stable sort: same-instant requests stay Authy first, the order the service makes
        # them in (it asks Authy whether the number is an Authy user before sending any SMS).
        for exchange in sorted(fresh, key=lambda e: e.at):
            self.emit(
                exchange.provider,
                f"receives {exchange.method} {exchange.endpoint}",
                "no answer" if exchange.status is None else str(exchange.status),
                endpoint=exchange.endpoint,
                method=exchange.method,
                status=exchange.status,
                request={k: _redact_field(k, v) for k, v in exchange.request.items()},
                **({"fault": exchange.fault} if exchange.fault else {}),
            )

    def notifications(self) -> list[str]:
        """Messages the service sent the user since last asked (their kinds)."""
        fresh = self.service.notifications[self._notes :]
        self._notes = len(self.service.notifications)
        for note in fresh:
            self.emit("service", f'e-mails the user: "{note.message}"', note.kind)
        return [note.kind for note in fresh]

    def attempt(self, step: str, action: str, expected: str, call: Callable[[], Any]) -> Any:
        """The user's ``call`` to the service; a typed error fails the step with its message."""
        try:
            return call()
        except TwofaSimError as exc:
            self.judge(step, "user", action, f"error: {exc}", expected)
            raise  # pragma: no cover - judge raised StoryStopped already

    def answer(
        self,
        step: str,
        action: str,
        expected: str,
        call: Callable[[], Outcome],
        welcome: str,
        *,
        totp: bool = False,
    ) -> list[str]:
        """The user submits something the service answers with an :class:`Outcome`."""
        outcome: Outcome = self.attempt(step, action, expected, call)
        extra = self._steps_off() if totp else {}
        saw = welcome if outcome.ok else _said(outcome)
        return self.judge(step, "user", action, outcome.reason, expected, saw=saw, **extra)

    def _steps_off(self) -> dict[str, Any]:
        """How far the app's code was from the service's time step (the audit log says)."""
        for entry in reversed(self.service.audit_log()):
            if entry.event in ("totp.confirm", "login.totp"):
                offset = entry.details.get("offset")
                return {} if offset is None else {"steps_off": offset}
        return {}  # pragma: no cover - a TOTP check is always audited

    # --- the steps ----------------------------------------------------------------------------

    def tell(self, app: AppName, store: StoreKind, offset: float) -> None:
        label = self.phone.app().profile.label
        authy = ", the Authy app (an Authy user)" if self.phone.authy is not None else ""
        if self.world.spec.provider == "verify":
            self.emit("service", "uses Twilio Verify for codes, the QR and logins", "verify")
        self.emit(
            "phone",
            f"{parse_e164(PHONE).masked()} runs {label}{authy}; its clock is {_skew(offset)}",
            "ready",
            channel=self.channel,
            app=app,
            app_profile=APPS[app],
            device_offset=offset,
            store=store,
        )
        with contextlib.suppress(StoryStopped):
            action = f"signs up as {USER} (password {HIDDEN})"
            self.attempt("register", action, "registered", self._register)
            self.judge("register", "user", action, "registered", "registered")
            request_id = self.verify_phone()
            typed = self.receive_code()
            self.save_changes(request_id, typed)
            account = self.scan(self.generate_qr())
            self.confirm_app(account)
            self.come_back()
            code = self.login(account)
            self.replay(code)
            self.audit()

    def _register(self) -> None:
        self.service.register(USER, _PASSWORD)

    def verify_phone(self) -> str:
        action = f'enters {parse_e164(PHONE).masked()} and clicks "Verify Phone Number"'
        method = "push" if self.channel == "authy-push" else "app"
        challenge = self.attempt(
            "verify-phone",
            action,
            self.channel,
            lambda: self.service.start_phone_verification(USER, PHONE, authy_method=method),
        )
        saw = {
            "sms": f"We sent a code to {challenge.destination} by SMS",
            "authy-app": "Enter the code your Authy app shows",
            "authy-push": "Approve the request in your Authy app, then type the number it shows",
        }.get(challenge.channel, challenge.channel)
        self.judge("verify-phone", "user", action, challenge.channel, self.channel, saw=saw)
        return str(challenge.request_id)

    def receive_code(self) -> str | None:
        """The user reads the SMS, opens the Authy app, or approves the push; returns what the
        user will type (for an Authy token, nothing yet: it is read when typed)."""
        self.world.advance("5s")
        if self.channel == "sms":
            inbox, code = self.phone.inbox(), self.phone.latest_code()
            self.hidden |= {code} if code is not None else set()
            action = "waits for an SMS"
            if inbox:
                sender, body = mask_phone(inbox[-1].sender), mask_codes(inbox[-1].body)
                action = f'gets an SMS from {sender}: "{body}"'
            outcome = "nothing arrived" if code is None else "code received"
            self.judge("receive-code", "phone", action, outcome, "code received")
            return code
        authy = self.phone.authy
        assert authy is not None  # the world makes the phone an Authy user for these channels
        if self.channel == "authy-app":
            self.hidden.add(authy.token())
            action = f"the user opens the Authy app: it shows a token {HIDDEN}"
            self.judge("receive-code", "app", action, "token shown", "token shown", app="Authy")
            return None
        pending = authy.pending()
        if not pending:
            self.judge("receive-code", "app", "no push arrives", "no push", "approved", app="Authy")
        push = pending[-1]
        number = push.details.get("Number")
        shown = f" with the number {HIDDEN}" if number is not None else ""
        authy.approve(push.uuid)
        action = f'Authy shows the push "{push.message}"{shown}; the user taps Approve'
        self.judge("receive-code", "app", action, "approved", "approved", app="Authy")
        return number

    def save_changes(self, request_id: str, typed: str | None) -> None:
        what = "number" if self.channel == "authy-push" else "code"
        self.world.advance("10s")
        if self.channel == "authy-app" and self.phone.authy is not None:
            # Authy tokens change every 10 s: the user types the one shown now.
            typed = self.phone.authy.token()
            self.hidden.add(typed)
        self.answer(
            "save-changes",
            f'types the {what} {HIDDEN} and clicks "Save Changes"',
            "accepted",
            lambda: self.service.confirm_phone(USER, request_id, typed),
            "Two-factor authentication is on",
        )

    def generate_qr(self) -> bytes:
        action = 'clicks "Click here to generate"'
        expected = "pending confirmation" if self.policy.confirm_totp else "active"
        self.world.advance("5s")
        enrollment = self.attempt(
            "generate-qr", action, expected, lambda: self.service.generate_qr(USER)
        )
        self.hidden.add(parse_uri(enrollment.uri).secret)
        state = "active" if enrollment.confirmed else "pending confirmation"
        saw = f"a QR code ({len(enrollment.png)}-byte PNG)"
        uri = redact_uri(enrollment.uri)
        self.judge("generate-qr", "user", action, state, expected, saw=saw, uri=uri)
        return bytes(enrollment.png)

    def scan(self, png: bytes) -> AppAccount:
        app = self.phone.app()
        self.world.advance("10s")
        result = app.scan(png)
        extra: dict[str, Any] = {"app": app.profile.label}
        if result.account is not None:
            extra["account"] = f"{result.account.issuer}:{result.account.name}"
            extra["ignored"] = list(result.account.ignored)
        outcome = "added" if result.accepted else f"refused: {result.reason}"
        action = f"{app.profile.label} scans the QR code"
        self.judge("scan-qr", "app", action, outcome, "added", **extra)
        assert result.account is not None  # added, so there is an account
        return result.account

    def app_code(self, account: AppAccount) -> str:
        code = self.phone.app().code(account.issuer, account.name)
        self.hidden.add(code)
        return code

    def confirm_app(self, account: AppAccount) -> None:
        if not self.policy.confirm_totp:
            self.emit("service", "asks for no code: the secret is active once shown", "skipped")
            return
        self.world.advance("10s")
        code = self.app_code(account)
        self.answer(
            "confirm-app",
            f"types the app's code {HIDDEN} to confirm it",
            "accepted",
            lambda: self.service.confirm_totp(USER, code),
            "Your authenticator app is set up",
            totp=True,
        )

    def come_back(self) -> None:
        self.world.advance("1h")
        self.emit("user", "comes back an hour later", "+1h")
        if self.restart is None:
            return
        self.service, self._notes = self.restart(), 0
        factors = self.service.record(USER).factors
        kept = "enrollment kept" if "totp" in factors else "enrollment lost"
        action = "restarts on the same SQLite file"
        self.judge("restart", "service", action, kept, "enrollment kept", factors=list(factors))

    def password(self, step: str, action: str) -> str:
        result = self.attempt(
            step, action, "second_factor", lambda: self.service.login(USER, _PASSWORD)
        )
        saw = f"Enter a code ({', '.join(result.factors)})" if result.factors else result.reason
        self.judge(step, "user", action, result.status, "second_factor", saw=saw)
        return str(result.login_id)

    def login(self, account: AppAccount) -> str:
        login_id = self.password("login-password", "logs in with the password")
        self.world.advance("10s")
        code = self.app_code(account)
        self.answer(
            "login-totp",
            f"types the app's code {HIDDEN}",
            "accepted",
            lambda: self.service.verify_login(USER, login_id, "totp", code),
            f"Welcome back, {USER}",
            totp=True,
        )
        return code

    def replay(self, code: str) -> None:
        """The demo's point: the same code, again, for a new login."""
        self.world.advance("5s")
        action = "logs in again (as anyone who watched the first login could)"
        login_id = self.password("replay-password", action)
        totp = self.policy.totp
        expected = "replayed" if totp.replay_protection or totp.track_drift else "accepted"
        kinds = self.answer(
            "replay-totp",
            f"submits the same code {HIDDEN} again",
            expected,
            lambda: self.service.verify_login(USER, login_id, "totp", code),
            "Logged in",
        )
        if expected == "replayed":
            told = "user told" if "replay" in kinds else "user not told"
            action = "tells the user about the replay"
            self.judge("notify-replay", "service", action, told, "user told")

    def audit(self) -> None:
        entries = self.service.audit_log()
        text = json.dumps([e.as_dict() for e in entries], ensure_ascii=False)
        if not self.service.audit_intact():
            outcome = "chain broken"
        elif any(value in text for value in self.hidden):
            outcome = "holds a code or secret"
        else:
            outcome = "intact, no code or secret"
        action = f"checks its audit log ({len(entries)} entries)"
        expected = "intact, no code or secret"
        self.judge("audit", "service", action, outcome, expected, entries=len(entries))


def _skew(offset: float) -> str:
    if offset == 0:
        return "right"
    return f"{format_duration(abs(offset))} {'fast' if offset > 0 else 'slow'}"


_SAYS = {
    "wrong_code": "That code is not right",
    "outside_window": "That code is not right",
    "replayed": "That code was already used",
    "stale": "That code was already used",
    "throttled": "Too many tries: wait a moment",
    "locked": "Too many failed codes: the account is locked",
}
"""What the page tells the user for a refusal (a wrong and a skewed code look the same)."""


def _said(outcome: Outcome) -> str:
    return _SAYS.get(outcome.reason) or outcome.detail or outcome.reason.replace("_", " ")


def _redact_field(key: str, value: str) -> str:
    """A provider request field as the report may show it: phone numbers masked, anything that
    may be a code or secret hidden, codes in free text masked."""
    lowered = key.lower()
    if lowered in _PHONE_FIELDS:
        return mask_phone(value)
    if lowered not in _HARMLESS_FIELDS and any(word in lowered for word in _SECRET_WORDS):
        return HIDDEN
    return mask_codes(value)


# --- the entry point ---------------------------------------------------------------------------


@contextlib.contextmanager
def _store(kind: StoreKind, workdir: Path | None) -> Iterator[tuple[Store, Path | None]]:
    """The store to start with, and the SQLite file (for restarts) if any."""
    if kind == "memory":
        yield MemoryStore(), None
        return
    with contextlib.ExitStack() as stack:
        if workdir is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="twofa-sim-")))
        else:
            directory = Path(workdir)
            if not directory.is_dir():
                raise InputError(f"{str(directory)!r} is not a directory", where="workdir")
        # A fresh file each run: a workdir may hold earlier runs' databases.
        handle, name = tempfile.mkstemp(prefix="demo-", suffix=".sqlite3", dir=directory)
        os.close(handle)
        yield SqliteStore(name), Path(name)


def run_demo(
    *,
    channel: Channel = "sms",
    app: AppName = "google-authenticator",
    device_offset: float | str = 0.0,
    store: StoreKind = "memory",
    seed: int = 0,
    workdir: Path | None = None,
    policy: SecurityPolicy | None = None,
    world: World | None = None,
    provider: str = "messages",
) -> DemoReport:
    """Tell the seed's story in a simulated world and report every step.

    ``channel``: how the phone-verification code arrives (``sms``; ``authy-app``, a token in the
    Authy app; ``authy-push``, a OneTouch push with number matching). ``app``: the authenticator
    app that scans the QR code. ``device_offset``: how far the phone's clock is off (seconds, or
    a duration such as ``"40s"``, ``"-2m"``); it moves the Authy app's clock too. ``store``:
    ``memory``, or ``sqlite`` (in ``workdir``, a temporary directory by default, removed after;
    the service restarts on it before the login). ``policy``: the service's policy (tests pass a
    cheaper one). ``world``: one from :func:`demo_world` with the same arguments, to inspect it
    afterwards. ``provider``: ``messages`` (Twilio Messages + Authy) or ``verify`` (Twilio
    Verify; the channel is then ``sms``). Bad arguments raise :class:`InputError` naming the
    argument.
    """
    _choice(channel, CHANNELS, "channel")
    _choice(app, list(APPS), "app")
    _choice(store, STORES, "store")
    offset = _offset(device_offset)
    if world is None:
        world = demo_world(
            channel=channel, app=app, device_offset=offset, seed=seed, provider=provider
        )
    elif PHONE not in world.phones or APPS[app] not in world.phone(PHONE).apps:
        raise InputError("the world must come from demo_world()", where="world")
    if policy is None:
        policy = SecurityPolicy()
    profile(APPS[app])  # a missing profile is a packaging error: say so before the story
    with _store(store, workdir) as (first, path), world:
        stores = [first]

        def restart() -> ReferenceService:
            stores[-1].close()
            stores.append(SqliteStore(str(path)))
            return world.reference_service(store=stores[-1], policy=policy)

        try:
            story = _Story(
                world,
                world.reference_service(store=first, policy=policy),
                policy,
                channel,
                restart if path is not None else None,
            )
            story.tell(app, store, offset)
        finally:
            stores[-1].close()
    spec_seed = world.spec.seed
    report = DemoReport(
        spec_seed if isinstance(spec_seed, int) else seed, tuple(story.events), story.ok
    )
    _refuse_leaks(report, story.hidden)
    return report


def _refuse_leaks(report: DemoReport, hidden: set[str]) -> None:
    """The last guard: a report that would show a secret or a code is a bug, never printed."""
    shown = json.dumps(report.as_json(), ensure_ascii=False) + report.text()
    if any(len(value) >= 4 and value in shown for value in hidden):
        raise TwofaSimError("the demo report would show a secret or a code; refusing to print it")

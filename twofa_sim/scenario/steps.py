"""The step library: every step a scenario may write, its fields, an example, and what it does.

A step is a one-key mapping, ``- name: fields`` (``- advance: 30s`` for the steps that take one
value). Actions (``kind`` ``user`` and ``service``) accept ``expect:`` (see :data:`EXPECT`);
without it an action must succeed. ``twofa-sim steps`` prints this library.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from twofa_sim.clock import format_duration, parse_duration, parse_instant
from twofa_sim.scenario.context import (
    DEFAULT_PASSWORD,
    Result,
    Run,
    StepError,
    StepFailed,
    UserState,
    answer_of,
)
from twofa_sim.scenario.target import REASONS
from twofa_sim.secret import mask_codes, mask_phone, redact_uri

__all__ = ["EXPECT", "EXPECT_WORDS", "REGISTRY", "StepSpec", "check_expect"]

StepFn = Callable[[Run, dict[str, Any]], "Result | None"]
_F = TypeVar("_F", bound=Callable[..., Any])

DURATION: dict[str, Any] = {
    "type": ["string", "number"],
    "description": "a duration: 30s, 5m, 1h30m, 250ms, or seconds; negative moves back",
}
USER: dict[str, Any] = {"type": "string", "description": "a user from given.users"}
PHONE: dict[str, Any] = {"type": "string", "description": "a phone number from given.phones"}
APP: dict[str, Any] = {
    "type": "string",
    "description": "an app on the phone: google-authenticator, authy, freeotp or a profile id",
}
CODE: dict[str, Any] = {
    "type": ["string", "integer"],
    "description": "what the user types; omit it to type what the user's phone shows",
}
CAPTURE: dict[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
    "description": "save the value as {name} for later steps",
}
FACTOR: dict[str, Any] = {"enum": ["totp", "sms", "authy-app", "authy-push", "recovery"]}
LOGIN_STATUS = ("logged_in", "second_factor", "refused")
EXPECT_WORDS: tuple[str, ...] = ("accepted", "rejected", *LOGIN_STATUS, *REASONS)
EXPECT: dict[str, Any] = {
    "description": "accepted, rejected, a reason (replayed, locked, ...) or a mapping",
    "anyOf": [
        {"enum": list(dict.fromkeys(EXPECT_WORDS))},
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "result": {"enum": ["accepted", "rejected"]},
                "reason": {"enum": list(REASONS)},
                "status": {"enum": list(LOGIN_STATUS)},
                "retry_after": DURATION,
                "ignored": {"type": "array", "items": {"type": "string"}},
            },
        },
    ],
}


@dataclass(frozen=True)
class StepSpec:
    """One step: its name, kind, fields (JSON Schema each), example and implementation."""

    name: str
    kind: str
    summary: str
    example: str
    fields: Mapping[str, Mapping[str, Any]]
    required: tuple[str, ...]
    shorthand: str | None
    run: StepFn
    action: bool

    def schema(self, *, for_editors: bool = False) -> dict[str, Any]:
        """The JSON Schema of this step's value (a mapping; or its shorthand scalar)."""
        properties = {name: dict(spec) for name, spec in self.fields.items()}
        if self.action:
            properties["expect"] = {"$ref": "#/$defs/expect"} if for_editors else EXPECT
        mapping: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "required": list(self.required),
        }
        if not for_editors:
            return mapping
        alternatives: list[dict[str, Any]] = [mapping]
        if self.shorthand is not None:
            alternatives.append(dict(self.fields[self.shorthand]))
        if not self.required:
            alternatives.append({"type": "null"})
        schema: dict[str, Any] = (
            {"anyOf": alternatives} if len(alternatives) > 1 else alternatives[0]
        )
        schema["description"] = f"{self.summary}\n\nExample:\n{self.example}"
        return schema

    def normalise(self, value: Any) -> Any:
        """Shorthand and empty forms turned into the field mapping."""
        if value is None and not self.required:
            return {}
        if self.shorthand is not None and not isinstance(value, Mapping):
            return {self.shorthand: value}
        return value


REGISTRY: dict[str, StepSpec] = {}


def step(
    name: str,
    kind: str,
    summary: str,
    example: str,
    *,
    fields: Mapping[str, Mapping[str, Any]] | None = None,
    required: tuple[str, ...] = (),
    shorthand: str | None = None,
) -> Callable[[_F], _F]:
    def register(run: _F) -> _F:
        REGISTRY[name] = StepSpec(
            name,
            kind,
            summary,
            example.strip("\n"),
            dict(fields or {}),
            required,
            shorthand,
            run,
            kind in ("user", "service"),
        )
        return run

    return register


def check_expect(expected: Any, result: Result) -> None:
    """Raise :class:`StepFailed` unless ``result`` is what ``expected`` says."""
    actual = result.describe()
    if isinstance(expected, str):
        if expected == "accepted":
            good = result.ok
        elif expected == "rejected":
            good = not result.ok
        elif expected in LOGIN_STATUS:
            good = result.status == expected
        else:
            good = not result.ok and result.reason == expected
        if not good:
            raise StepFailed(f"expected {expected}, got {actual}", expected=expected, actual=actual)
        return
    wanted: list[str] = []
    problems: list[str] = []
    if "result" in expected:
        wanted.append(expected["result"])
        if result.ok != (expected["result"] == "accepted"):
            problems.append("result")
    if "reason" in expected:
        wanted.append(f"reason {expected['reason']}")
        if result.reason != expected["reason"]:
            problems.append("reason")
    if "status" in expected:
        wanted.append(f"status {expected['status']}")
        if result.status != expected["status"]:
            problems.append("status")
    if "retry_after" in expected:
        limit = parse_duration(expected["retry_after"])
        wanted.append(f"retry after {format_duration(limit)}")
        if result.retry_after is None or abs(result.retry_after - limit) > 1e-6:
            problems.append("retry_after")
    if "ignored" in expected:
        wanted.append(f"ignores {', '.join(expected['ignored']) or 'nothing'}")
        if sorted(result.data.get("ignored", ())) != sorted(expected["ignored"]):
            problems.append("ignored")
            actual += f", ignores {', '.join(result.data.get('ignored', ())) or 'nothing'}"
    if problems:
        text = ", ".join(wanted)
        raise StepFailed(f"expected {text}, got {actual}", expected=text, actual=actual)


# --- clock ------------------------------------------------------------------------------------


@step(
    "advance",
    "clock",
    "Move the virtual clock (and every phone's) forward.",
    "- advance: 30s",
    fields={"by": DURATION},
    required=("by",),
    shorthand="by",
)
def _advance(run: Run, args: dict[str, Any]) -> None:
    by = parse_duration(args["by"])
    if by < 0:
        raise StepError("advance moves forward; use set_time to go back")
    run.world.advance(by)


@step(
    "set_time",
    "clock",
    "Set the virtual clock to an instant (ISO 8601 or Unix seconds).",
    "- set_time: 2026-03-01T09:00:00Z",
    fields={"to": {"type": ["string", "number"]}},
    required=("to",),
    shorthand="to",
)
def _set_time(run: Run, args: dict[str, Any]) -> None:
    run.world.clock.set(parse_instant(args["to"]))


@step(
    "set_device_clock",
    "clock",
    "Change how wrong a phone's clock is from now on: its offset and/or drift.",
    "- set_device_clock: {phone: '+15551230001', offset: 40s, drift_ppm: 20}",
    fields={"phone": PHONE, "offset": DURATION, "drift_ppm": {"type": "number"}},
)
def _set_device_clock(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.clock import DeviceClock

    phone = run.phone(args)
    clock = cast(DeviceClock, phone.clock)
    now = run.world.now()
    clock.offset = parse_duration(args["offset"]) if "offset" in args else clock.error()
    clock.reference = now
    if "drift_ppm" in args:
        clock.drift_ppm = float(args["drift_ppm"])


# --- providers --------------------------------------------------------------------------------

_PROVIDER = {"enum": ["twilio", "authy"]}


@step(
    "provider_fault",
    "provider",
    "Make a provider fail: http_500, http_503, rate_limit (429), timeout (the work is done, "
    "the answer lost), connection_error, or latency; for a while, a number of times, or until "
    "provider_recover.",
    "- provider_fault: {provider: twilio, kind: http_500, times: 1}",
    fields={
        "provider": _PROVIDER,
        "kind": {
            "enum": ["http_500", "http_503", "rate_limit", "timeout", "connection_error", "latency"]
        },
        "times": {"type": "integer", "minimum": 1},
        "for": DURATION,
        "endpoint": {"type": "string"},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "seconds": {"type": "number", "exclusiveMinimum": 0},
    },
    required=("provider", "kind"),
)
def _provider_fault(run: Run, args: dict[str, Any]) -> None:
    service = run.world.twilio if args["provider"] == "twilio" else run.world.authy
    until = run.world.now() + parse_duration(args["for"]) if "for" in args else None
    service.faults.add(
        args["kind"],
        endpoint=args.get("endpoint"),
        until=until,
        probability=float(args.get("probability", 1.0)),
        times=args.get("times"),
        seconds=float(args.get("seconds", 0.0)),
    )


@step(
    "provider_recover",
    "provider",
    "Clear every fault of one provider (or of both).",
    "- provider_recover: twilio",
    fields={"provider": _PROVIDER},
    shorthand="provider",
)
def _provider_recover(run: Run, args: dict[str, Any]) -> None:
    for service in run.world.services:
        if args.get("provider") in (None, service.name):
            service.faults.clear()


@step(
    "sms_delivery",
    "provider",
    "Change how the phone network delivers SMS from now on: delay, jitter, loss, duplicates.",
    "- sms_delivery: {delay: 11m}",
    fields={
        "delay": DURATION,
        "jitter": DURATION,
        "loss": {"type": "number", "minimum": 0, "maximum": 1},
        "duplicate": {"type": "number", "minimum": 0, "maximum": 1},
    },
)
def _sms_delivery(run: Run, args: dict[str, Any]) -> None:
    from dataclasses import replace

    network = run.world.network
    changes: dict[str, float] = {}
    for name in ("delay", "jitter"):
        if name in args:
            changes[name] = parse_duration(args[name])
    for name in ("loss", "duplicate"):
        if name in args:
            changes[name] = float(args[name])
    network.delivery = replace(network.delivery, **changes)


# --- user actions -----------------------------------------------------------------------------


@step(
    "register",
    "user",
    "Sign a user up (given.users are signed up already).",
    "- register: {user: bob, password: hunter22}",
    fields={"user": USER, "password": {"type": "string"}},
    required=("user",),
)
def _register(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    user.password = str(args.get("password", user.password))
    with answer_of(run) as box:
        run.target.register(user.name, user.password)
        box.append(Result(True, "registered"))
    return box[0]


def _challenge_result(run: Run, user: UserState, call: Callable[[], Any]) -> Result:
    with answer_of(run) as box:
        challenge = call()
        user.challenge = challenge
        run.show("challenge", channel=challenge.channel, to=challenge.destination)
        box.append(
            Result(True, "sent", status=challenge.channel, data={"channel": challenge.channel})
        )
    return box[0]


@step(
    "submit_phone",
    "user",
    'Type a phone number and click "Verify Phone Number": a code goes out by SMS, or by Authy '
    "(a push, or a token in the app with method: app) if the number is an Authy user.",
    "- submit_phone: {user: alice, phone: '+15551230001'}",
    fields={"user": USER, "phone": PHONE, "method": {"enum": ["push", "app"]}},
)
def _submit_phone(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    number = str(args.get("phone") or user.phone or "")
    if not number:
        raise StepError("which phone? give phone: or a phone for the user in given.users")
    return _challenge_result(
        run,
        user,
        lambda: run.target.start_phone_verification(user.name, number, args.get("method", "push")),
    )


@step(
    "change_phone",
    "user",
    "Start replacing the verified phone number (the new one must be verified).",
    "- change_phone: {user: alice, phone: '+15551230002'}",
    fields={"user": USER, "phone": PHONE, "method": {"enum": ["push", "app"]}},
    required=("phone",),
)
def _change_phone(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    return _challenge_result(
        run,
        user,
        lambda: run.target.change_phone(user.name, str(args["phone"]), args.get("method", "push")),
    )


def _what_the_phone_shows(run: Run, user: UserState, channel: str, args: dict[str, Any]) -> str:
    """The code a user would type for ``channel``, read from their phone."""
    if channel == "sms":
        phone = run.phone(args, user)
        code = phone.latest_code()
        run.show_sms(phone, 1)
        if code is None:
            raise StepFailed(
                "no SMS with a code has arrived",
                expected="an SMS with a code",
                actual=f"{len(phone.inbox())} SMS in the inbox",
            )
        return code
    if channel == "authy-app":
        phone = run.phone(args, user)
        if phone.authy is None:
            raise StepError(f"phone {mask_phone(phone.number)} has no Authy app")
        return phone.authy.token()
    if channel == "authy-push":
        phone = run.phone(args, user)
        number = run.push_numbers.get(phone.number)
        if number is None:
            raise StepFailed(
                "no approved push to take the number from", expected="an approved push first"
            )
        return number
    if channel == "totp":
        phone = run.phone(args, user)
        return run.app(args, phone).code(run.issuer, user.name)
    if channel == "recovery":
        if not user.recovery:
            raise StepError("no recovery codes: regenerate_recovery_codes first")
        if "index" in args:
            return user.recovery[int(args["index"])]
        unused = [i for i in range(len(user.recovery)) if i not in user.recovery_used]
        if not unused:
            raise StepError("every recovery code has been used: regenerate_recovery_codes")
        return user.recovery[unused[0]]
    raise StepError(f"no code to read for {channel}")


@step(
    "enter_code",
    "user",
    'Type the verification code and click "Save Changes". Without code: what the phone shows '
    "(the SMS code, the Authy token, or the number of the push just approved).",
    "- enter_code: {user: alice, code: '{code}', expect: accepted}",
    fields={"user": USER, "phone": PHONE, "code": CODE},
)
def _enter_code(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    if user.challenge is None:
        raise StepError("no verification in progress: submit_phone first")
    code = args.get("code")
    if code is None:
        code = _what_the_phone_shows(run, user, user.challenge.channel, args)
    code = str(code)
    run.secret(code)
    with answer_of(run) as box:
        outcome = run.target.confirm_phone(user.name, user.challenge.request_id, code)
        box.append(_outcome(outcome))
    return box[0]


def _push_step(run: Run, args: dict[str, Any], approve: bool) -> Result:
    phone = run.phone(args)
    if phone.authy is None:
        raise StepError(f"phone {mask_phone(phone.number)} has no Authy app")
    pending = phone.authy.pending()
    if not pending:
        return Result(False, "nothing_pending", data={"detail": "no push waiting on the phone"})
    request = pending[-1]
    (phone.authy.approve if approve else phone.authy.deny)(request.uuid)
    number = request.details.get("Number")
    if number is not None and approve:
        run.push_numbers[phone.number] = number
        run.secret(number)
        if "capture" in args:
            run.captures[args["capture"]] = number
    run.show("push", message=request.message, answer="approved" if approve else "denied")
    return Result(True, "approved" if approve else "denied")


@step(
    "approve_push",
    "user",
    "On the phone's Authy app, approve the newest push (and remember the number it shows).",
    "- approve_push: {phone: '+15551230001'}",
    fields={"phone": PHONE, "user": USER, "capture": CAPTURE},
)
def _approve_push(run: Run, args: dict[str, Any]) -> Result:
    return _push_step(run, args, True)


@step(
    "deny_push",
    "user",
    "On the phone's Authy app, deny the newest push.",
    "- deny_push: {phone: '+15551230001'}",
    fields={"phone": PHONE, "user": USER},
)
def _deny_push(run: Run, args: dict[str, Any]) -> Result:
    return _push_step(run, args, False)


@step(
    "generate_qr",
    "user",
    '"Click here to generate": a new authenticator secret as a QR code. Evidence: the PNG, the '
    "URI with its secret masked, and its lint findings.",
    "- generate_qr: {user: alice}",
    fields={"user": USER},
)
def _generate_qr(run: Run, args: dict[str, Any]) -> Result:
    from twofa_sim.keyuri import lint_uri, parse_uri

    user = run.user(args)
    with answer_of(run) as box:
        enrollment = run.target.generate_qr(user.name)
        user.enrollment = enrollment
        with contextlib.suppress(Exception):
            run.secret(parse_uri(enrollment.uri).secret)
        findings = [f"{f.severity} {f.rule}" for f in lint_uri(enrollment.uri)]
        run.show(
            "qr",
            png=base64.b64encode(enrollment.png).decode("ascii"),
            uri=redact_uri(enrollment.uri),
            lint=findings,
        )
        box.append(Result(True, "generated", data={"confirmed": enrollment.confirmed}))
    return box[0]


def _scan(run: Run, args: dict[str, Any], png: bytes) -> Result:
    phone = run.phone(args)
    app = run.app(args, phone)
    scanned = app.scan(png)
    if not scanned.accepted or scanned.account is None:
        run.show("scan", app=app.profile.label, result=mask_codes(scanned.reason))
        return Result(False, "refused", data={"detail": mask_codes(scanned.reason)})
    account = scanned.account
    ignored = list(account.ignored)
    run.show("scan", app=app.profile.label, result="added", ignored=ignored)
    return Result(True, "added", data={"ignored": ignored})


@step(
    "scan_qr",
    "user",
    "Scan the user's newest QR code with an app on a phone (a real decode of the PNG).",
    "- scan_qr: {user: alice, phone: '+15551230001', app: google-authenticator}",
    fields={"user": USER, "phone": PHONE, "app": APP},
)
def _scan_qr(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    if user.enrollment is None:
        raise StepError("no QR code yet: generate_qr first")
    return _scan(run, args, user.enrollment.png)


@step(
    "scan_uri",
    "user",
    "Render an otpauth URI as a QR code and scan it with an app (what an app does with "
    "parameters it ignores: algorithm, digits, period).",
    "- scan_uri:\n"
    "    app: google-authenticator\n"
    "    uri: 'otpauth://totp/X:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256'\n"
    "    expect: {ignored: [algorithm]}",
    fields={"phone": PHONE, "app": APP, "uri": {"type": "string"}},
    required=("uri",),
)
def _scan_uri(run: Run, args: dict[str, Any]) -> Result:
    from twofa_sim.keyuri import lint_uri
    from twofa_sim.qr import render_png

    uri = str(args["uri"])
    png = render_png(uri)
    run.show(
        "qr",
        png=base64.b64encode(png).decode("ascii"),
        uri=redact_uri(uri),
        lint=[f"{f.severity} {f.rule}" for f in lint_uri(uri)],
    )
    return _scan(run, args, png)


@step(
    "confirm_app",
    "user",
    "Type the app's current code to confirm the new authenticator (without code: what the app "
    "shows now, at the phone's own clock).",
    "- confirm_app: {user: alice, expect: accepted}",
    fields={"user": USER, "phone": PHONE, "app": APP, "code": CODE},
)
def _confirm_app(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    code = args.get("code")
    if code is None:
        code = _what_the_phone_shows(run, user, "totp", args)
    code = str(code)
    run.secret(code)
    with answer_of(run) as box:
        box.append(_outcome(run.target.confirm_totp(user.name, code)))
    return box[0]


@step(
    "read_code",
    "user",
    "Read what the user's phone shows and save it: the latest SMS code, the app's TOTP code, "
    "or the Authy token.",
    "- read_code: {user: alice, from: sms, capture: code}",
    fields={
        "user": USER,
        "phone": PHONE,
        "app": APP,
        "from": {"enum": ["sms", "totp", "authy-app"]},
        "capture": CAPTURE,
    },
    required=("from", "capture"),
)
def _read_code(run: Run, args: dict[str, Any]) -> None:
    user = run.user(args) if run.users else None
    if user is None:
        raise StepError("read_code needs a user")
    code = _what_the_phone_shows(run, user, args["from"], args)
    run.secret(code)
    run.captures[args["capture"]] = code


@step(
    "login",
    "user",
    "Log in with the password: logged_in (no second factor), second_factor, or refused.",
    "- login: {user: alice, expect: second_factor}",
    fields={"user": USER, "password": {"type": "string"}},
)
def _login(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    password = str(args.get("password", user.password))
    with answer_of(run) as box:
        result = run.target.login(user.name, password)
        user.login_id = result.login_id
        ok = result.status != "refused"
        box.append(
            Result(
                ok,
                result.reason or result.status,
                status=result.status,
                retry_after=getattr(result, "retry_after", None),
                data={"factors": list(result.factors)},
            )
        )
    return box[0]


@step(
    "request_code",
    "user",
    "During a login, have the second-factor code sent: by SMS, or as an Authy push.",
    "- request_code: {user: alice, channel: sms}",
    fields={"user": USER, "channel": {"enum": ["sms", "authy-push"]}},
    required=("channel",),
)
def _request_code(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    login_id = _login_id(user)
    return _challenge_result(
        run, user, lambda: run.target.send_login_code(user.name, login_id, args["channel"])
    )


@step(
    "submit_code",
    "user",
    "During a login, enter the second factor (without code: what the phone shows).",
    "- submit_code: {user: alice, factor: totp, code: '{old}', expect: replayed}",
    fields={
        "user": USER,
        "factor": FACTOR,
        "code": CODE,
        "phone": PHONE,
        "app": APP,
        "index": {"type": "integer", "minimum": 0},
    },
    required=("factor",),
)
def _submit_code(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    login_id = _login_id(user)
    code = args.get("code")
    if code is None:
        code = _what_the_phone_shows(run, user, args["factor"], args)
    code = str(code)
    run.secret(code)
    with answer_of(run) as box:
        box.append(_outcome(run.target.verify_login(user.name, login_id, args["factor"], code)))
    if box[0].ok and args["factor"] == "recovery" and code in user.recovery:
        user.recovery_used.add(user.recovery.index(code))
    return box[0]


@step(
    "login_with",
    "user",
    "A whole login: the password, then the factor as a user would do it (SMS: request, wait, "
    "read, type; push: request, approve on the phone, type the number; app or token: type what "
    "the phone shows; recovery: the first unused code).",
    "- login_with: {user: alice, factor: sms, expect: accepted}",
    fields={
        "user": USER,
        "factor": FACTOR,
        "password": {"type": "string"},
        "phone": PHONE,
        "app": APP,
        "wait": DURATION,
        "index": {"type": "integer", "minimum": 0},
    },
    required=("factor",),
)
def _login_with(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    first = _login(run, {k: v for k, v in args.items() if k in ("user", "password")})
    if first.status != "second_factor":
        return first
    factor = args["factor"]
    if factor in ("sms", "authy-push"):
        sent = _request_code(run, {"user": user.name, "channel": factor})
        if not sent.ok:
            return sent
        run.world.advance(parse_duration(args.get("wait", 5)))
        if factor == "authy-push":
            approved = _push_step(run, {"phone": args.get("phone") or user.phone}, True)
            if not approved.ok:
                return approved
    elif "wait" in args:
        run.world.advance(parse_duration(args["wait"]))
    return _submit_code(run, {k: v for k, v in args.items() if k != "wait"})


@step(
    "regenerate_recovery_codes",
    "user",
    "Make new recovery codes (the old ones stop working); save them as {name[0]}, {name[1]}, ...",
    "- regenerate_recovery_codes: {user: alice, capture: recovery}",
    fields={"user": USER, "capture": CAPTURE},
)
def _recovery(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    run.require("recovery")
    with answer_of(run) as box:
        user.recovery = list(run.target.generate_recovery_codes(user.name))
        user.recovery_used = set()
        run.secret(*user.recovery)
        if "capture" in args:
            run.captures[args["capture"]] = list(user.recovery)
        run.show("recovery_codes", count=len(user.recovery))
        box.append(Result(True, "generated", data={"count": len(user.recovery)}))
    return box[0]


@step(
    "disable_two_factor",
    "user",
    "Turn two-factor off (with the password again).",
    "- disable_two_factor: {user: alice, expect: accepted}",
    fields={"user": USER, "password": {"type": "string"}},
)
def _disable(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    with answer_of(run) as box:
        outcome = run.target.disable_two_factor(user.name, str(args.get("password", user.password)))
        box.append(_outcome(outcome))
    return box[0]


@step(
    "restart",
    "service",
    "Restart the service on the same storage (what survives is what it persisted).",
    "- restart:",
)
def _restart(run: Run, args: dict[str, Any]) -> Result:
    run.require("restart")
    run.target.restart()
    return Result(True, "restarted")


# --- expectations -----------------------------------------------------------------------------


@step(
    "expect",
    "expect",
    "Check the previous action's answer: accepted, rejected, a reason, a login status, or a "
    "mapping of result/reason/status/retry_after.",
    "- expect: replayed",
    fields={"that": EXPECT},
    required=("that",),
    shorthand="that",
)
def _expect(run: Run, args: dict[str, Any]) -> None:
    if run.last is None:
        raise StepError("nothing to check yet: expect follows an action")
    check_expect(args["that"], run.last)


def _compare(what: str, expected: Any, actual: Any) -> None:
    if expected != actual:
        raise StepFailed(
            f"{what}: expected {expected!r}, got {actual!r}",
            expected=repr(expected),
            actual=repr(actual),
        )


@step(
    "expect_account",
    "expect",
    "Check the account as the profile page shows it: two-factor on, its factors, the verified "
    "phone, locked.",
    "- expect_account: {user: alice, two_factor: true, factors: [sms, totp], locked: false}",
    fields={
        "user": USER,
        "two_factor": {"type": "boolean"},
        "factors": {"type": "array", "items": FACTOR, "uniqueItems": True},
        "phone": {"type": ["string", "null"]},
        "locked": {"type": "boolean"},
    },
)
def _expect_account(run: Run, args: dict[str, Any]) -> None:
    user = run.user(args)
    account = run.target.account(user.name)
    run.show(
        "account",
        two_factor=account.two_factor,
        factors=list(account.factors),
        locked=account.locked,
        phone=mask_phone(account.phone) if account.phone else None,
    )
    if "two_factor" in args:
        _compare("two-factor", args["two_factor"], account.two_factor)
    if "factors" in args:
        _compare("factors", sorted(args["factors"]), sorted(account.factors))
    if "phone" in args:
        from twofa_sim.phone import parse_e164

        wanted = None if args["phone"] is None else parse_e164(str(args["phone"])).e164
        if wanted != account.phone:
            raise StepFailed(
                "the verified phone is not the expected one",
                expected=mask_phone(wanted) if wanted else "none",
                actual=mask_phone(account.phone) if account.phone else "none",
            )
    if "locked" in args:
        _compare("locked", args["locked"], account.locked)


@step(
    "expect_inbox",
    "expect",
    "Check a phone's SMS inbox: how many messages, and what the newest one says (codes in it "
    "are masked in the evidence, not in the check).",
    "- expect_inbox: {phone: '+15551230001', count: 1, last_contains: verification code}",
    fields={
        "phone": PHONE,
        "user": USER,
        "count": {"type": "integer", "minimum": 0},
        "last_contains": {"type": "string"},
        "codes": {"type": "integer", "minimum": 0, "description": "messages holding a code"},
    },
)
def _expect_inbox(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.providers.network import extract_code

    phone = run.phone(args)
    inbox = phone.inbox()
    run.show_sms(phone)
    if "count" in args:
        _compare("SMS in the inbox", args["count"], len(inbox))
    if "codes" in args:
        _compare("SMS with a code", args["codes"], sum(1 for m in inbox if extract_code(m.body)))
    if "last_contains" in args:
        if not inbox:
            raise StepFailed("the inbox is empty", expected=args["last_contains"], actual="none")
        if args["last_contains"] not in inbox[-1].body:
            raise StepFailed(
                "the newest SMS does not say what was expected",
                expected=repr(args["last_contains"]),
                actual=repr(mask_codes(inbox[-1].body)),
            )


@step(
    "expect_push",
    "expect",
    "Check the pushes sent to a phone's Authy app: how many, and the newest one's state.",
    "- expect_push: {phone: '+15551230001', count: 3, state: pending}",
    fields={
        "phone": PHONE,
        "user": USER,
        "count": {"type": "integer", "minimum": 0},
        "state": {"enum": ["pending", "approved", "denied", "expired"]},
    },
)
def _expect_push(run: Run, args: dict[str, Any]) -> None:
    phone = run.phone(args)
    if phone.authy is None:
        raise StepError(f"phone {mask_phone(phone.number)} has no Authy app")
    backend = run.world.authy.backend
    mine = [r for r in backend.requests.values() if r.authy_id == phone.authy.authy_id]
    run.show("pushes", count=len(mine), states=[backend.status(r.uuid) for r in mine[-3:]])
    if "count" in args:
        _compare("pushes", args["count"], len(mine))
    if "state" in args:
        if not mine:
            raise StepFailed("no push was sent", expected=args["state"], actual="none")
        _compare("the newest push", args["state"], backend.status(mine[-1].uuid))


@step(
    "expect_audit",
    "expect",
    "Check the audit log: how many events of a kind (with an outcome, reason, user), and that the "
    "chain is intact. count: 0 checks an event is absent.",
    "- expect_audit: {event: replay.rejected, user: alice, count: 1}",
    fields={
        "event": {"type": "string"},
        "outcome": {"type": "string"},
        "reason": {"type": "string"},
        "user": USER,
        "count": {"type": "integer", "minimum": 0},
        "at_least": {"type": "integer", "minimum": 0},
        "intact": {"type": "boolean"},
        "no_secrets": {"type": "boolean"},
    },
)
def _expect_audit(run: Run, args: dict[str, Any]) -> None:
    run.require("audit")
    events = list(run.target.audit_events())
    found = [
        e
        for e in events
        if ("event" not in args or e.event == args["event"])
        and ("outcome" not in args or e.outcome == args["outcome"])
        and ("reason" not in args or e.details.get("reason") == args["reason"])
        and ("user" not in args or e.user == args["user"])
    ]
    run.show(
        "audit",
        entries=[
            {"at": e.at, "event": e.event, "user": e.user, "outcome": e.outcome}
            | {k: mask_codes(str(v)) for k, v in e.details.items() if k in ("reason", "channel")}
            for e in (found or events)[-5:]
        ],
    )
    what = " ".join(f"{k}={args[k]}" for k in ("event", "outcome", "reason", "user") if k in args)
    if "count" in args:
        _compare(f"audit events {what}".strip(), args["count"], len(found))
    if "at_least" in args and len(found) < args["at_least"]:
        raise StepFailed(
            f"too few audit events {what}".strip(),
            expected=f"at least {args['at_least']}",
            actual=str(len(found)),
        )
    if args.get("intact"):
        intact = getattr(run.target, "audit_intact", None)
        if intact is None:
            raise StepFailed("the target cannot prove its audit chain", expected="intact chain")
        _compare("audit chain intact", True, intact())
    if args.get("no_secrets"):
        import json

        text = json.dumps([[e.event, e.outcome, dict(e.details)] for e in events], default=str)
        leaked = sorted(s for s in run.secrets_seen if s and s in text)
        if leaked:
            raise StepFailed(
                f"{len(leaked)} code(s) or secret(s) appear in the audit log",
                expected="no code or secret",
                actual=f"{len(leaked)} found",
            )


@step(
    "expect_notification",
    "expect",
    "Check the messages sent to the user (factor changes, replays, lockouts).",
    "- expect_notification: {user: alice, kind: replay, count: 1}",
    fields={"user": USER, "kind": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
)
def _expect_notification(run: Run, args: dict[str, Any]) -> None:
    run.require("notifications")
    user = run.user(args)
    notes = [n for n in run.target.notifications() if n.user == user.name]
    found = [n for n in notes if "kind" not in args or n.kind == args["kind"]]
    run.show("notifications", messages=[f"{n.kind}: {mask_codes(n.message)}" for n in notes[-5:]])
    if "count" in args:
        _compare(f"notifications {args.get('kind', '')}".strip(), args["count"], len(found))
    elif not found:
        raise StepFailed(
            f"no {args.get('kind', '')} notification".replace("  ", " "),
            expected="at least one",
            actual="none",
        )


@step(
    "expect_logged_in",
    "expect",
    "Check whether the user's current login completed.",
    "- expect_logged_in: {user: alice, logged_in: false}",
    fields={"user": USER, "logged_in": {"type": "boolean"}},
    required=("logged_in",),
)
def _expect_logged_in(run: Run, args: dict[str, Any]) -> None:
    user = run.user(args)
    done = user.login_id is not None and run.target.logged_in(user.name, user.login_id)
    _compare("logged in", args["logged_in"], done)


@step(
    "expect_qr",
    "expect",
    "Check the user's newest QR code: both decoders read it and agree with the URI, and its lint "
    "findings (clean: no error or warning; has/lacks: rule ids).",
    "- expect_qr: {user: alice, decoders_agree: true, clean: true}",
    fields={
        "user": USER,
        "decoders_agree": {"type": "boolean"},
        "clean": {"type": "boolean"},
        "has": {"type": "array", "items": {"type": "string"}},
        "lacks": {"type": "array", "items": {"type": "string"}},
    },
)
def _expect_qr(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.keyuri import lint_uri
    from twofa_sim.qr import decode_image

    user = run.user(args)
    if user.enrollment is None:
        raise StepError("no QR code yet: generate_qr first")
    uri = user.enrollment.uri
    findings = lint_uri(uri)
    rules = {f.rule for f in findings}
    run.show("lint", findings=[f"{f.severity} {f.rule}: {mask_codes(f.message)}" for f in findings])
    if "decoders_agree" in args:
        decoded = decode_image(user.enrollment.png, name="qr")
        agree = decoded.agree and decoded.text == uri
        run.show("decoders", zbar=decoded.zbar is not None, zxing=decoded.zxing is not None)
        _compare("both decoders read the URI", args["decoders_agree"], agree)
    if "clean" in args:
        serious = sorted(f.rule for f in findings if f.severity in ("error", "warning"))
        _compare("lint-clean", args["clean"], not serious)
    for rule in args.get("has", []):
        if rule not in rules:
            raise StepFailed(
                f"lint did not report {rule}",
                expected=rule,
                actual=", ".join(sorted(rules)) or "none",
            )
    for rule in args.get("lacks", []):
        if rule in rules:
            raise StepFailed(f"lint reported {rule}", expected=f"no {rule}", actual=rule)


@step(
    "expect_stored",
    "expect",
    "Search what the service keeps at rest (its database) for every one-time code, recovery code "
    "and password the scenario has seen: none may be there in clear (TOTP secrets are exempt: "
    "a verifier must keep them).",
    "- expect_stored: {no_codes: true}",
    fields={"no_codes": {"const": True}},
    required=("no_codes",),
)
def _expect_stored(run: Run, args: dict[str, Any]) -> None:
    import re

    run.require("storage")
    stored = run.target.stored_bytes().decode("latin-1")  # type: ignore[attr-defined]
    passwords = {u.password for u in run.users.values()}
    looked_for = (run.secrets_seen | passwords) - run.totp_secrets
    found = []
    for value in sorted(looked_for):
        variants = {value, value.replace("-", "")}
        for variant in variants:
            token = rf"(?<![0-9A-Za-z]){re.escape(variant)}(?![0-9A-Za-z])"
            if len(variant) >= 4 and re.search(token, stored):
                found.append(value)
                break
    run.show("stored", searched=len(looked_for), size=len(stored), found=len(found))
    if found:
        kinds = sorted({"password" if v in passwords else "code" for v in found})
        raise StepFailed(
            f"{len(found)} {' and '.join(kinds)}(s) stored in clear",
            expected="only hashes of codes and passwords at rest",
            actual=f"{len(found)} found in clear",
        )


# --- control ----------------------------------------------------------------------------------


@step(
    "repeat",
    "control",
    "Run steps several times ({i} is the round, from 1): an attacker guessing codes, say.",
    "- repeat:\n"
    "    times: 10\n"
    "    steps:\n"
    "      - submit_code: {factor: totp, code: '00000{i}', expect: rejected}",
    fields={
        "times": {"type": "integer", "minimum": 1, "maximum": 10000},
        "steps": {"type": "array", "minItems": 1},
    },
    required=("times", "steps"),
)
def _repeat(run: Run, args: dict[str, Any]) -> None:
    raise AssertionError("the runner runs repeat itself")  # pragma: no cover


# --- helpers ----------------------------------------------------------------------------------


def _login_id(user: UserState) -> str:
    if user.login_id is None:
        raise StepFailed(
            "no login in progress", expected="a login at the second factor", actual="none"
        )
    return user.login_id


def _outcome(outcome: Any) -> Result:
    return Result(
        bool(outcome.ok),
        str(outcome.reason),
        retry_after=getattr(outcome, "retry_after", None),
    )


def default_password() -> str:
    return DEFAULT_PASSWORD

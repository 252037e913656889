"""User and service actions: sign up, verify a phone, scan a QR code, log in, enter codes,
approve pushes, recovery codes, turning two-factor off, restarting the service."""

from __future__ import annotations

import base64
import contextlib
import functools
from collections.abc import Callable
from typing import Any

from twofa_sim.core.clock import parse_duration
from twofa_sim.core.secret import mask_codes, mask_phone, redact_uri
from twofa_sim.errors import StepError, StepFailed
from twofa_sim.scenario.context import Result, Run, UserState, answer_of
from twofa_sim.scenario.steps.fields import (
    APP,
    CAPTURE,
    CODE,
    DURATION,
    FACTOR,
    PHONE,
    TYPED_PHONE,
    USER,
)
from twofa_sim.scenario.steps.spec import StepSpec, step

__all__ = ["STEPS"]


@step(
    "register",
    "user",
    "Sign a user up (given.users are signed up already).",
    "- register: {user: bob, password: hunter22}",
    fields={"user": USER, "password": {"type": "string"}},
    required=("user",),
)
def register(run: Run, args: dict[str, Any]) -> Result:
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
    "- submit_phone: {user: alice, phone: '+12015550110'}",
    fields={"user": USER, "phone": TYPED_PHONE, "method": {"enum": ["push", "app"]}},
)
def submit_phone(run: Run, args: dict[str, Any]) -> Result:
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
    "- change_phone: {user: alice, phone: '+12015550120'}",
    fields={"user": USER, "phone": TYPED_PHONE, "method": {"enum": ["push", "app"]}},
    required=("phone",),
)
def change_phone(run: Run, args: dict[str, Any]) -> Result:
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
def enter_code(run: Run, args: dict[str, Any]) -> Result:
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
    "- approve_push: {phone: '+12015550110'}",
    fields={"phone": PHONE, "user": USER, "capture": CAPTURE},
)
def approve_push(run: Run, args: dict[str, Any]) -> Result:
    return _push_step(run, args, True)


@step(
    "deny_push",
    "user",
    "On the phone's Authy app, deny the newest push.",
    "- deny_push: {phone: '+12015550110'}",
    fields={"phone": PHONE, "user": USER},
)
def deny_push(run: Run, args: dict[str, Any]) -> Result:
    return _push_step(run, args, False)


@step(
    "generate_qr",
    "user",
    '"Click here to generate": a new authenticator secret as a QR code. Evidence: the PNG, the '
    "URI with its secret masked, and its lint findings.",
    "- generate_qr: {user: alice}",
    fields={"user": USER},
)
def generate_qr(run: Run, args: dict[str, Any]) -> Result:
    from twofa_sim.core.keyuri import lint_uri, parse_uri

    user = run.user(args)
    with answer_of(run) as box:
        enrollment = run.target.generate_qr(user.name)
        user.enrollment = enrollment
        with contextlib.suppress(Exception):
            run.secret(parse_uri(enrollment.uri).secret)
        findings = [f"{f.severity} {f.rule}" for f in lint_uri(enrollment.uri)]
        run.show(
            "qr",
            png=_masked_png(enrollment.uri),
            uri=redact_uri(enrollment.uri, reveal=0),
            lint=findings,
            masked=True,
        )
        box.append(Result(True, "generated", data={"confirmed": enrollment.confirmed}))
    return box[0]


def _scan(run: Run, args: dict[str, Any], png: bytes) -> Result:
    phone = run.phone(args)
    app = run.app(args, phone)
    scanned = app.scan(png)
    if not scanned.accepted or scanned.account is None:
        run.show("scan", app=app.profile.label, result=mask_codes(scanned.reason, reveal=0))
        return Result(False, "refused", data={"detail": mask_codes(scanned.reason, reveal=0)})
    account = scanned.account
    ignored = list(account.ignored)
    run.show("scan", app=app.profile.label, result="added", ignored=ignored)
    return Result(True, "added", data={"ignored": ignored})


@step(
    "scan_qr",
    "user",
    "Scan the user's newest QR code with an app on a phone (a real decode of the PNG).",
    "- scan_qr: {user: alice, phone: '+12015550110', app: google-authenticator}",
    fields={"user": USER, "phone": PHONE, "app": APP},
)
def scan_qr(run: Run, args: dict[str, Any]) -> Result:
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
def scan_uri(run: Run, args: dict[str, Any]) -> Result:
    from twofa_sim.core.keyuri import lint_uri
    from twofa_sim.core.qr import render_png

    uri = str(args["uri"])
    png = render_png(uri)
    run.show(
        "qr",
        png=_masked_png(uri),
        masked=True,
        uri=redact_uri(uri, reveal=0),
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
def confirm_app(run: Run, args: dict[str, Any]) -> Result:
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
def read_code(run: Run, args: dict[str, Any]) -> None:
    user = run.user(args) if run.users else None
    if user is None:
        raise StepError("read_code needs a user")
    code = _what_the_phone_shows(run, user, args["from"], args)
    run.secret(code)
    run.captures[args["capture"]] = code


def _log_in(run: Run, args: dict[str, Any]) -> Result:
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
    "login",
    "user",
    "Log in with the password: logged_in (no second factor), second_factor, or refused.",
    "- login: {user: alice, expect: second_factor}",
    fields={"user": USER, "password": {"type": "string"}},
)
def login(run: Run, args: dict[str, Any]) -> Result:
    return _log_in(run, args)


def _send_login_code(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    login_id = _login_id(user)
    return _challenge_result(
        run, user, lambda: run.target.send_login_code(user.name, login_id, args["channel"])
    )


@step(
    "request_code",
    "user",
    "During a login, have the second-factor code sent: by SMS, or as an Authy push.",
    "- request_code: {user: alice, channel: sms}",
    fields={"user": USER, "channel": {"enum": ["sms", "authy-push"]}},
    required=("channel",),
)
def request_code(run: Run, args: dict[str, Any]) -> Result:
    return _send_login_code(run, args)


def wrong_code(code: str) -> str:
    """``code`` with its last character changed (a digit to the next digit, a letter to the
    next letter): the same shape, surely not the code."""
    if not code:
        return "0"
    last = code[-1]
    if last.isdigit():
        changed = str((int(last) + 1) % 10)
    elif last.isalpha():
        base = "A" if last.isupper() else "a"
        changed = chr((ord(last) - ord(base) + 1) % 26 + ord(base))
    else:
        changed = "0"
    return code[:-1] + changed


def _enter_second_factor(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    login_id = _login_id(user)
    code = args.get("code")
    if code is None:
        code = _what_the_phone_shows(run, user, args["factor"], args)
        if args.get("wrong"):
            code = wrong_code(str(code))
    code = str(code)
    run.secret(code)
    with answer_of(run) as box:
        box.append(_outcome(run.target.verify_login(user.name, login_id, args["factor"], code)))
    if box[0].ok and args["factor"] == "recovery" and code in user.recovery:
        user.recovery_used.add(user.recovery.index(code))
    return box[0]


@step(
    "submit_code",
    "user",
    "During a login, enter the second factor (without code: what the phone shows; wrong: true "
    "types that with its last character changed, a guess that is surely wrong).",
    "- submit_code: {user: alice, factor: totp, code: '{old}', expect: replayed}",
    fields={
        "user": USER,
        "factor": FACTOR,
        "code": CODE,
        "phone": PHONE,
        "app": APP,
        "index": {"type": "integer", "minimum": 0},
        "wrong": {
            "type": "boolean",
            "description": "type what the phone shows with its last character changed",
        },
    },
    required=("factor",),
)
def submit_code(run: Run, args: dict[str, Any]) -> Result:
    return _enter_second_factor(run, args)


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
def login_with(run: Run, args: dict[str, Any]) -> Result:
    user = run.user(args)
    first = _log_in(run, {k: v for k, v in args.items() if k in ("user", "password")})
    if first.status != "second_factor":
        return first
    factor = args["factor"]
    if factor in ("sms", "authy-push"):
        sent = _send_login_code(run, {"user": user.name, "channel": factor})
        if not sent.ok:
            return sent
        run.world.advance(parse_duration(args.get("wait", 5)))
        if factor == "authy-push":
            approved = _push_step(run, {"phone": args.get("phone") or user.phone}, True)
            if not approved.ok:
                return approved
    elif "wait" in args:
        run.world.advance(parse_duration(args["wait"]))
    return _enter_second_factor(run, {k: v for k, v in args.items() if k != "wait"})


@step(
    "regenerate_recovery_codes",
    "user",
    "Make new recovery codes (the old ones stop working); save them as {name[0]}, {name[1]}, ...",
    "- regenerate_recovery_codes: {user: alice, capture: recovery}",
    fields={"user": USER, "capture": CAPTURE},
)
def regenerate_recovery_codes(run: Run, args: dict[str, Any]) -> Result:
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
def disable_two_factor(run: Run, args: dict[str, Any]) -> Result:
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
def restart(run: Run, args: dict[str, Any]) -> Result:
    run.require("restart")
    run.target.restart()
    return Result(True, "restarted")


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


def _masked_png(uri: str) -> str:
    """The QR code as evidence: re-drawn from the URI with its secret masked (base64 PNG).

    The image the user scanned holds the secret; a report must not (a phone could read it).
    The run itself checks the real image (scan_qr decodes it; expect_qr compares both
    decoders with the real URI)."""
    return _drawn(redact_uri(uri, reveal=0))


@functools.lru_cache(maxsize=64)
def _drawn(masked_uri: str) -> str:
    """A masked URI's QR code, base64: drawn once per masked URI (secrets differ from user to
    user, their masks do not, and drawing was half of a run's QR time)."""
    from twofa_sim.core.qr import render_png

    return base64.b64encode(render_png(masked_uri)).decode("ascii")


STEPS: tuple[StepSpec, ...] = (
    register,
    submit_phone,
    change_phone,
    enter_code,
    approve_push,
    deny_push,
    generate_qr,
    scan_qr,
    scan_uri,
    confirm_app,
    read_code,
    login,
    request_code,
    submit_code,
    login_with,
    regenerate_recovery_codes,
    disable_two_factor,
    restart,
)

"""Expectation steps: check the previous answer, the account, the inbox, pushes, the audit log,
notifications, the QR code, what is stored at rest, and the policy's TOTP window."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from typing import Any

from twofa_sim.core.clock import format_duration, parse_duration
from twofa_sim.core.secret import mask_codes, mask_phone
from twofa_sim.errors import StepError, StepFailed
from twofa_sim.scenario.context import Result, Run
from twofa_sim.scenario.declared import BOUNDS, POLICY_FIELDS
from twofa_sim.scenario.steps.fields import (
    DURATION,
    EXPECT,
    FACTOR,
    LOGIN_STATUS,
    OFFSET,
    PHONE,
    USER,
)
from twofa_sim.scenario.steps.spec import StepSpec, step

__all__ = ["STEPS", "check_expect", "sqlite_cells"]


Reported = bool | Collection[str]
"""What a target says about its refusals (its ``reports_reasons``): every reason (True), none
(False: yes or no), or the reasons it tells apart (any other refusal may carry any reason)."""


def check_expect(expected: Any, result: Result, *, reasons: Reported = True) -> str:
    """Raise :class:`StepFailed` unless ``result`` is what ``expected`` says; a mapping's
    ``reason`` may be a list (any of them: ``[locked, throttled]``), and its ``or_refused``
    lists reasons a refusal may give instead (``{result: accepted, or_refused: [throttled]}``).

    ``reasons`` is what the target reports (:data:`Reported`). An expected reason is compared
    when the target reports every reason allowed; otherwise a refusal that carries no reason the
    target reports passes as a refusal (the answer then says the reason was not checked: a note
    for the step's evidence), and one that reports another reason fails: the target said why,
    and it was not this. The answer is empty when everything asked was checked.
    """
    actual = result.describe()
    says = _reported(reasons)
    unchecked = ""
    shorthand = isinstance(expected, str)  # "replayed" reads "expected replayed, got ..."
    if isinstance(expected, str) and expected not in (*LOGIN_STATUS, "accepted", "rejected"):
        expected = {"reason": expected}
    if isinstance(expected, str):
        if expected == "accepted":
            good = result.ok
        elif expected == "rejected":
            good = not result.ok
        else:
            good = result.status == expected
        if not good:
            raise StepFailed(f"expected {expected}, got {actual}", expected=expected, actual=actual)
        return unchecked
    excused = expected.get("or_refused")
    if excused and not result.ok:
        if result.reason in excused:
            return ""
        if not says(result.reason) and not all(says(r) for r in excused):
            # the target refused for a reason the scenario allows (a throttle, as NIST 800-63B
            # 5.2.2 permits), or so it may have: it does not say, and the step says so
            return _unchecked(" or ".join(excused), reasons)
    wanted: list[str] = []
    problems: list[str] = []
    if "result" in expected:
        wanted.append(expected["result"])
        if result.ok != (expected["result"] == "accepted"):
            problems.append("result")
    if "reason" in expected:
        allowed = (
            expected["reason"] if isinstance(expected["reason"], list) else [expected["reason"]]
        )
        told = all(says(r) for r in allowed)
        other = not result.ok and result.reason not in allowed  # refused, for another reason
        untold = other and not told and not says(result.reason)  # it may be an allowed one
        if untold:
            unchecked = _unchecked(" or ".join(allowed), reasons)
        named = " or ".join(allowed) if shorthand else f"reason {' or '.join(allowed)}"
        if told or (other and says(result.reason)):
            wanted.append(named)
        elif "result" not in expected:
            wanted.append("rejected")
        if result.ok and "result" not in expected:
            problems.append("result")
        elif other and not untold:
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
    return unchecked


def _reported(reasons: Reported) -> Callable[[str | None], bool]:
    """Whether the target says a reason, from its ``reports_reasons``."""
    if isinstance(reasons, bool):
        return lambda reason: reasons
    told = frozenset(reasons)
    return lambda reason: reason in told


def _unchecked(reason: str, reasons: Reported) -> str:
    if isinstance(reasons, bool):
        return (
            f"reason {reason} not checked: the target does not report reasons "
            "(reports_reasons false); checked that it refused"
        )
    return (
        f"reason {reason} not checked: the target reports only "
        f"{', '.join(sorted(reasons)) or 'none'} (reports_reasons); checked that it refused"
    )


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
def expect(run: Run, args: dict[str, Any]) -> None:
    if run.last is None:
        raise StepError("nothing to check yet: expect follows an action")
    unchecked = check_expect(
        args["that"], run.last, reasons=getattr(run.target, "reports_reasons", True)
    )
    if unchecked:
        run.show("reason_not_checked", note=unchecked)


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
def expect_account(run: Run, args: dict[str, Any]) -> None:
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
        from twofa_sim.core.phone import parse_e164

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
    "- expect_inbox: {phone: '+12015550110', count: 1, last_contains: verification code}",
    fields={
        "phone": PHONE,
        "user": USER,
        "count": {"type": "integer", "minimum": 0},
        "count_at_most": {
            "type": "integer",
            "minimum": 0,
            "description": "at most this many messages: a limit is kept, whatever its number",
        },
        "last_contains": {"type": "string"},
        "codes": {"type": "integer", "minimum": 0, "description": "messages holding a code"},
        "code_digits_at_least": {
            "type": "integer",
            "minimum": 1,
            "description": "every code in the inbox has at least this many digits",
        },
    },
)
def expect_inbox(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.providers.network import extract_code

    phone = run.phone(args)
    inbox = phone.inbox()
    run.show_sms(phone)
    if "count" in args:
        _compare("SMS in the inbox", args["count"], len(inbox))
    if "count_at_most" in args and len(inbox) > args["count_at_most"]:
        most = args["count_at_most"]
        raise StepFailed(
            f"SMS in the inbox: expected at most {most}, got {len(inbox)}",
            expected=f"at most {most}",
            actual=str(len(inbox)),
        )
    if "codes" in args:
        _compare("SMS with a code", args["codes"], sum(1 for m in inbox if extract_code(m.body)))
    if "code_digits_at_least" in args:
        least = args["code_digits_at_least"]
        codes = [code for m in inbox if (code := extract_code(m.body))]
        if not codes:
            raise StepFailed("no SMS in the inbox holds a code", expected="a code", actual="none")
        short = [code for code in codes if len(code) < least]
        if short:
            raise StepFailed(
                f"{len(short)} of {len(codes)} codes are shorter than {least} digits",
                expected=f"codes of at least {least} digits",
                actual=", ".join(f"{len(code)} digits" for code in short),
            )
    if "last_contains" in args:
        if not inbox:
            raise StepFailed("the inbox is empty", expected=args["last_contains"], actual="none")
        if args["last_contains"] not in inbox[-1].body:
            raise StepFailed(
                "the newest SMS does not say what was expected",
                expected=repr(args["last_contains"]),
                actual=repr(mask_codes(inbox[-1].body, reveal=0)),
            )


@step(
    "expect_push",
    "expect",
    "Check the pushes sent to a phone's Authy app: how many, and the newest one's state.",
    "- expect_push: {phone: '+12015550110', count: 3, state: pending}",
    fields={
        "phone": PHONE,
        "user": USER,
        "count": {
            "description": "how many: a number, or {policy.NAME} (e.g. {policy.push_limit})",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^\\{policy\\.[A-Za-z0-9_.]+\\}$"},
            ],
        },
        "state": {"enum": ["pending", "approved", "denied", "expired"]},
    },
)
def expect_push(run: Run, args: dict[str, Any]) -> None:
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
def expect_audit(run: Run, args: dict[str, Any]) -> None:
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
            | {
                k: mask_codes(str(v), reveal=0)
                for k, v in e.details.items()
                if k in ("reason", "channel")
            }
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
def expect_notification(run: Run, args: dict[str, Any]) -> None:
    run.require("notifications")
    user = run.user(args)
    notes = [n for n in run.target.notifications() if n.user == user.name]
    found = [n for n in notes if "kind" not in args or n.kind == args["kind"]]
    run.show(
        "notifications",
        messages=[f"{n.kind}: {mask_codes(n.message, reveal=0)}" for n in notes[-5:]],
    )
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
def expect_logged_in(run: Run, args: dict[str, Any]) -> None:
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
def expect_qr(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.core.keyuri import lint_uri
    from twofa_sim.core.qr import decode_image

    user = run.user(args)
    if user.enrollment is None:
        raise StepError("no QR code yet: generate_qr first")
    uri = user.enrollment.uri
    findings = lint_uri(uri)
    rules = {f.rule for f in findings}
    run.show(
        "lint",
        findings=[f"{f.severity} {f.rule}: {mask_codes(f.message, reveal=0)}" for f in findings],
    )
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


def sqlite_cells(data: bytes) -> list[str] | None:
    """Every value of every table of an SQLite database image, as text (None when ``data`` is
    not one). Read cell by cell, a code is found even where the file packs it against the
    letters and digits of the next column (as a record does), which no search of the raw bytes
    can tell from chance."""
    import sqlite3
    import tempfile
    from pathlib import Path

    if not data.startswith(b"SQLite format 3\x00"):
        return None
    with tempfile.TemporaryDirectory(prefix="twofa-sim-stored-") as folder:
        path = Path(folder) / "stored.sqlite3"
        path.write_bytes(data)
        cells: list[str] = []
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                tables = [
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                ]
                for table in tables:
                    quoted = '"' + table.replace('"', '""') + '"'
                    for row in connection.execute(f"SELECT * FROM {quoted}"):
                        for value in row:
                            if isinstance(value, bytes):
                                cells.append(value.decode("latin-1"))
                            elif value is not None:
                                cells.append(str(value))
            finally:
                connection.close()
        except sqlite3.DatabaseError:
            return None
    return cells


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
def expect_stored(run: Run, args: dict[str, Any]) -> None:
    import re

    run.require("storage")
    raw = run.target.stored_bytes()  # type: ignore[attr-defined]
    stored = raw.decode("latin-1")
    cells = sqlite_cells(raw) or []
    passwords = {u.password for u in run.users.values()}
    looked_for = (run.secrets_seen | passwords) - run.totp_secrets
    found = []
    for value in sorted(looked_for):
        variants = {value, value.replace("-", "")}
        for variant in variants:
            if len(variant) < 4:
                continue
            token = re.compile(rf"(?<![0-9A-Za-z]){re.escape(variant)}(?![0-9A-Za-z])")
            if token.search(stored) or any(cell == variant or token.search(cell) for cell in cells):
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


@step(
    "expect_acceptance",
    "expect",
    "Measure the TOTP window: the probability that a code from a phone `offset` ahead (typed "
    "`entry_delay` after it was read) is accepted, over where in its 30 seconds it was read. "
    "The target is driven with real codes (a fresh probe user per measurement, enrolled with a "
    "code of its own) at every phase where the answer can change, and the measured probability "
    "must match `probability` and the closed form of the window the target declares "
    "(twofa-sim skew computes the same curve).",
    "- expect_acceptance: {offset: 40s, probability: 0.667, tolerance: 0.001}",
    fields={
        "offset": OFFSET,
        "entry_delay": DURATION,
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "tolerance": {"type": "number", "minimum": 0, "maximum": 1},
    },
    required=("offset", "probability"),
)
def expect_acceptance(run: Run, args: dict[str, Any]) -> None:
    from twofa_sim.labs.skew import acceptance

    offset = parse_duration(args["offset"])
    delay = parse_duration(args.get("entry_delay", 0))
    period = 30.0
    pieces = _phase_pieces(offset, delay, period)
    answers = [_probe(run, phase, offset, delay) for _start, _end, phase in pieces]
    measured = sum((end - start) for (start, end, _), ok in zip(pieces, answers, strict=True) if ok)
    measured /= period
    window = _declared_window(run)
    exact = (
        None
        if window is None
        else acceptance(
            offset,
            period=period,
            steps_back=window[0],
            steps_forward=window[1],
            entry_delay=delay,
        )
    )
    run.show(
        "acceptance",
        offset_s=offset,
        entry_delay_s=delay,
        phases=[
            {"from_s": round(start, 6), "to_s": round(end, 6), "accepted": ok}
            for (start, end, _), ok in zip(pieces, answers, strict=True)
        ],
        measured=round(measured, 6),
        steps_back=None if window is None else window[0],
        steps_forward=None if window is None else window[1],
        declared=None if exact is None else round(exact, 6),
    )
    tolerance = float(args.get("tolerance", 0.001))
    if abs(measured - float(args["probability"])) > tolerance:
        raise StepFailed(
            f"acceptance at {offset:g} s: expected {args['probability']} (±{tolerance:g}), "
            f"measured {measured:.4f} with real codes",
            expected=f"{args['probability']} ± {tolerance:g}",
            actual=f"{measured:.4f}",
        )
    if exact is not None and abs(measured - exact) > 1e-6:
        assert window is not None
        raise StepFailed(
            f"acceptance at {offset:g} s: the declared window ({window[0]} back, {window[1]} "
            f"ahead) gives {exact:.4f}, the target measured {measured:.4f}",
            expected=f"{exact:.4f}",
            actual=f"{measured:.4f}",
        )


def _phase_pieces(offset: float, delay: float, period: float) -> list[tuple[float, float, float]]:
    """Where in a time step a code can be read, cut at the phases where the verdict can change:
    (start, end, a phase inside). The step of the code read (phone ``offset`` ahead) and the step
    it is checked in (``delay`` later) change at two phases, so at most three pieces."""
    cuts = sorted({0.0, period, (-offset) % period, (-delay) % period})
    return [(a, b, (a + b) / 2) for a, b in itertools.pairwise(cuts) if b - a > 1e-9]


def _declared_window(run: Run) -> tuple[int, int] | None:
    """The TOTP window the target declares: its ``policy.totp``, else its declared policy."""
    window = getattr(getattr(run.target, "policy", None), "totp", None)
    if window is not None:
        return int(window.steps_back), int(window.steps_forward)
    values = run.declared.values if run.declared is not None else {}
    back, forward = values.get("totp.steps_back"), values.get("totp.steps_forward")
    if isinstance(back, int) and isinstance(forward, int):
        return back, forward
    return None


def _probe(run: Run, phase: float, offset: float, delay: float) -> bool:
    """One measurement: a fresh user enrolls an authenticator (confirmed with the code of the
    moment), then, five minutes later at ``phase`` into a time step, logs in and types the code
    a phone ``offset`` ahead shows, ``delay`` after reading it. Whether it was accepted."""
    import math

    from twofa_sim.core.keyuri import parse_uri
    from twofa_sim.core.otp import totp
    from twofa_sim.scenario.context import DEFAULT_PASSWORD

    run.probes += 1
    name = f"acceptance-probe-{run.probes}"
    target = run.target
    target.register(name, DEFAULT_PASSWORD)
    enrollment = target.generate_qr(name)
    uri = parse_uri(enrollment.uri)
    period = uri.period or 30

    def code(at: float) -> str:
        value = totp(uri.secret, at, digits=uri.digits, algorithm=uri.algorithm, period=period)
        run.secret(value)
        return value

    confirmed = target.confirm_totp(name, code(run.world.now()))
    if not confirmed.ok:
        raise StepError(f"the probe user's authenticator was not confirmed: {confirmed.reason}")
    read_at = math.ceil(run.world.now() / period) * period + 300 + phase
    run.world.advance(read_at - run.world.now())
    typed = code(read_at + offset)
    login = target.login(name, DEFAULT_PASSWORD)
    if login.status != "second_factor" or login.login_id is None:
        raise StepError(f"the probe user's login did not ask for a second factor: {login.status}")
    run.world.advance(delay)
    return bool(target.verify_login(name, login.login_id, "totp", typed).ok)


@step(
    "expect_policy",
    "expect",
    "Check a number the target declares against a standard's bound (its default_policy with the "
    "scenario's overrides): the declared SMS code lifetime is at most 10 minutes, say. A target "
    "that declares none passes when the standard bounds the setting (the scenario's "
    "{policy.NAME} numbers then use the bound itself, which the behaviour is checked against).",
    "- expect_policy: {setting: sms_code_ttl, at_most: 10m}",
    fields={
        "setting": {"enum": list(POLICY_FIELDS), "description": "a reference policy field"},
        "at_most": {**DURATION, "description": "the largest value allowed (a number or duration)"},
        "at_least": {**DURATION, "description": "the smallest value allowed"},
    },
    required=("setting",),
)
def expect_policy(run: Run, args: dict[str, Any]) -> None:
    setting = str(args["setting"])
    declared = None if run.declared is None else run.declared.values.get(setting)
    bound = BOUNDS.get(setting)
    run.show(
        "policy",
        setting=setting,
        declared=declared,
        bound=bound.describe() if bound is not None else None,
    )
    if declared is None or isinstance(declared, bool):
        if bound is not None and declared is None:
            return
        raise StepFailed(
            f"the target declares no number for {setting}",
            expected=f"a declared {setting}",
            actual="none" if declared is None else repr(declared),
        )
    value = parse_duration(declared) if isinstance(declared, str) else float(declared)
    for key in ("at_most", "at_least"):
        if key in args:
            limit = parse_duration(args[key])
            if (value > limit) if key == "at_most" else (value < limit):
                word = key.replace("_", " ")
                raise StepFailed(
                    f"{setting}: the target declares {value:g}, expected {word} {limit:g}",
                    expected=f"{word} {limit:g}",
                    actual=f"{value:g}",
                )


STEPS: tuple[StepSpec, ...] = (
    expect,
    expect_account,
    expect_inbox,
    expect_push,
    expect_audit,
    expect_notification,
    expect_logged_in,
    expect_qr,
    expect_stored,
    expect_acceptance,
    expect_policy,
)

"""``http://...``: a 2FA service in any language, driven through the HTTP target contract.

``twofa-sim run --target http://127.0.0.1:3000/twofa-test`` (or ``pytest --twofa-target ...``)
runs the library against a service that adds a thin, test-only JSON layer mirroring the
:class:`~twofa_sim.scenario.target.Target` protocol (the contract:
``twofa_sim/data/target-contract.openapi.json`` and the README's "The HTTP target contract"):

* ``GET BASE/`` (discovery): what the service declares, as a Python adapter's class
  attributes do: ``features``, ``policy_settings``, ``providers``, ``reports_reasons``,
  ``default_policy``; and how it reads time, ``time``: ``faketime`` (it runs under libfaketime
  and names its ``faketime_file``) or ``hook`` (it takes ``POST BASE/clock``).
* ``POST BASE/reset`` before every scenario: where the served fakes are (a fresh world per
  scenario, served on a loopback port for its duration), their credentials, the scenario's
  policy overrides, store and seed, and the virtual time. The service forgets every user.
* ``POST BASE/<operation>`` for each operation of the protocol, with its arguments as a JSON
  object; the answer is the result as JSON, or ``{"refused": {...}}`` for what a Python adapter
  raises (a cooldown, a provider down, bad input).

Time moves through the served world's virtual clock: every move is written to the service's
faketime file (libfaketime's absolute form with microseconds: a stopped clock at exactly the
virtual time) or POSTed to its clock hook, before the move happens.

Anything outside the contract (no answer within the timeout, a refused connection, an error
status, not JSON, a wrong shape) is a :class:`~twofa_sim.errors.TargetProtocolError` naming the
request: the step errs with that message, and the run goes on to the next scenario.

The spec may list several instances of the same service, comma-separated
(``http://127.0.0.1:3001,http://127.0.0.1:3002``): each scenario takes one for itself (a lock
file per instance), so ``--jobs 2`` runs two scenarios at once, one per instance. One instance
under ``--jobs N`` is safe too: scenarios then wait their turn.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import http.client
import json
import math
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from twofa_sim.core.clock import format_instant, to_datetime
from twofa_sim.core.secret import mask_codes
from twofa_sim.errors import (
    InputError,
    ProviderUnavailableError,
    RetryLaterError,
    TargetProtocolError,
)
from twofa_sim.files import write_atomically
from twofa_sim.scenario.target import (
    FEATURES,
    REASONS,
    AccountView,
    AuditView,
    Challenge,
    Enrollment,
    LoginResult,
    Notification,
    Outcome,
    TargetContext,
)

__all__ = [
    "CONTRACT",
    "DEFAULT_TIMEOUT",
    "OPERATIONS",
    "HttpTarget",
    "HttpTargetFactory",
    "Instance",
    "http_target",
    "is_http_spec",
]

CONTRACT = "twofa-sim-target/1"
"""What discovery's ``contract`` field must say."""

DEFAULT_TIMEOUT = 20.0
"""Seconds the runner waits for one answer of the service (``?timeout=S`` changes it)."""

OPERATIONS: tuple[str, ...] = (
    "reset",
    "clock",
    "register",
    "start_phone_verification",
    "confirm_phone",
    "change_phone",
    "generate_qr",
    "confirm_totp",
    "login",
    "send_login_code",
    "verify_login",
    "logged_in",
    "generate_recovery_codes",
    "disable_two_factor",
    "account",
    "audit_events",
    "notifications",
    "restart",
    "stored_bytes",
    "audit_intact",
)
"""Every ``POST BASE/<name>`` of the contract (``clock``: hook mode only; ``audit_intact``:
only when discovery lists it in ``extras``)."""

TIME_MODES = ("faketime", "hook")
_EXTRAS = frozenset({"audit_intact"})
_MAX_ANSWER = 16 * 1024 * 1024
_LOOPBACK = ("localhost", "::1")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""No proxy from the environment: the service is on loopback."""


def is_http_spec(spec: str) -> bool:
    """Whether a ``--target`` names a service over HTTP."""
    return spec.startswith(("http://", "https://"))


# --- talking to one instance --------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One running copy of the service: its contract base URL and the answer timeout."""

    base: str
    timeout: float = DEFAULT_TIMEOUT

    def url(self, operation: str) -> str:
        return f"{self.base}/{operation}" if operation else f"{self.base}/"

    def call(self, operation: str, body: Mapping[str, Any] | None = None) -> Any:
        """``POST BASE/operation`` (``GET BASE/`` for discovery, ``operation`` empty) and its
        JSON answer; anything else is a :class:`TargetProtocolError` naming the request."""
        method = "GET" if body is None else "POST"
        where = f"{method} {self.url(operation)}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.url(operation),
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                raw = _read_limited(response, where)
        except urllib.error.HTTPError as exc:
            snippet = _snippet(_read_limited(exc, where, quiet=True))
            exc.close()
            raise TargetProtocolError(
                f"{where}: answered HTTP {exc.code}" + (f": {snippet}" if snippet else "")
            ) from None
        except TimeoutError:
            raise TargetProtocolError(
                f"{where}: no answer within {self.timeout:g} s",
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise TargetProtocolError(f"{where}: no answer within {self.timeout:g} s") from None
            raise TargetProtocolError(f"{where}: cannot connect ({reason})") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TargetProtocolError(f"{where}: the connection failed ({exc!r})") from None
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise TargetProtocolError(
                f"{where}: the answer is not JSON: {_snippet(raw)!r}",
            ) from None


def _read_limited(response: IO[bytes], where: str, *, quiet: bool = False) -> bytes:
    try:
        raw = response.read(_MAX_ANSWER + 1)
    except (OSError, http.client.HTTPException) as exc:
        if quiet:
            return b""
        if isinstance(exc, TimeoutError):
            raise TargetProtocolError(f"{where}: the answer stopped mid-way (timeout)") from None
        raise TargetProtocolError(f"{where}: the answer broke off ({exc!r})") from None
    if len(raw) > _MAX_ANSWER and not quiet:
        raise TargetProtocolError(f"{where}: the answer is over {_MAX_ANSWER // 2**20} MiB")
    return raw


def _snippet(raw: bytes, limit: int = 120) -> str:
    """The start of an answer, for a message: codes masked, one line."""
    text = raw[:limit].decode("utf-8", "replace").replace("\n", " ").strip()
    return mask_codes(text, reveal=0) + ("…" if len(raw) > limit else "")


# --- reading answers ----------------------------------------------------------------------------


class _Shape:
    """Checks one answer's fields; every problem names the request and the field."""

    def __init__(self, where: str, data: Any) -> None:
        self.where = where
        if not isinstance(data, dict):
            raise TargetProtocolError(f"{where}: expected a JSON object, got {_kind(data)}")
        self.data: dict[str, Any] = data

    def fail(self, field: str, wanted: str) -> TargetProtocolError:
        value = self.data.get(field)
        got = _kind(value) if field in self.data else "nothing"
        if isinstance(value, str):
            got = mask_codes(repr(value[:40]), reveal=0)
        return TargetProtocolError(f"{self.where}: field {field!r} must be {wanted}, got {got}")

    def text(self, field: str, default: str | None = None) -> str:
        value = self.data.get(field, default)
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            raise self.fail(field, "a string")
        return value

    def optional_text(self, field: str) -> str | None:
        value = self.data.get(field)
        if value is not None and not isinstance(value, str):
            raise self.fail(field, "a string or null")
        return value

    def flag(self, field: str, default: bool | None = None) -> bool:
        value = self.data.get(field, default)
        if not isinstance(value, bool):
            raise self.fail(field, "true or false")
        return value

    def number(
        self, field: str, default: float | None = None, *, null: float | None = None
    ) -> float:
        value = self.data.get(field, default)
        if value is None and null is not None:
            return null
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(field, "a number")
        return float(value)

    def optional_number(self, field: str) -> float | None:
        value = self.data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(field, "a number or null")
        return float(value)

    def texts(self, field: str, default: Sequence[str] | None = None) -> list[str]:
        value = self.data.get(field, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "a list of strings")
        return list(value)

    def objects(self, field: str) -> list[Any]:
        value = self.data.get(field)
        if not isinstance(value, list):
            raise self.fail(field, "a list")
        return value

    def mapping(self, field: str) -> dict[str, Any] | None:
        value = self.data.get(field)
        if value is not None and not isinstance(value, dict):
            raise self.fail(field, "an object or null")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _outcome(where: str, data: Any) -> Outcome:
    shape = _Shape(where, data)
    return Outcome(
        shape.flag("ok"),
        shape.text("reason"),
        retry_after=shape.optional_number("retry_after"),
        detail=shape.text("detail", ""),
        rule=shape.text("rule", ""),
    )


def _challenge(where: str, data: Any) -> Challenge:
    shape = _Shape(where, data)
    return Challenge(
        shape.text("request_id"),
        shape.text("channel"),
        shape.number("expires_at", null=math.inf),
        shape.text("destination", ""),
    )


# --- the factory: discovery, declarations ------------------------------------------------------


@dataclass(frozen=True)
class _Discovery:
    name: str
    features: frozenset[str]
    policy_settings: frozenset[str] | None
    providers: frozenset[str]
    reports_reasons: bool | frozenset[str]
    default_policy: dict[str, Any] | None
    time: str
    faketime_file: str | None
    extras: frozenset[str]
    profiles: frozenset[str]
    versions: dict[str, str | None] | None


def _discover(instance: Instance) -> _Discovery:
    where = f"GET {instance.url('')}"
    shape = _Shape(where, instance.call(""))
    contract = shape.data.get("contract")
    if contract != CONTRACT:
        raise TargetProtocolError(
            f"{where}: contract must be {CONTRACT!r}, got {contract!r} (is this the service's "
            "test layer? see the README's 'The HTTP target contract')"
        )
    features = frozenset(shape.texts("features", ()))
    unknown = sorted(features - FEATURES)
    if unknown:
        raise TargetProtocolError(
            f"{where}: unknown feature {unknown[0]!r} (features: {', '.join(sorted(FEATURES))})"
        )
    settings = shape.data.get("policy_settings")
    policy_settings = None if settings is None else frozenset(shape.texts("policy_settings"))
    providers = frozenset(shape.texts("providers", ("messages",)))
    if not providers or not providers <= {"messages", "verify"}:
        raise shape.fail("providers", "a non-empty list of 'messages', 'verify'")
    time = shape.text("time")
    if time not in TIME_MODES:
        raise shape.fail("time", "'faketime' or 'hook'")
    faketime_file = shape.optional_text("faketime_file")
    if time == "faketime" and not faketime_file:
        raise TargetProtocolError(
            f"{where}: time is 'faketime' but no faketime_file is named (the path in the "
            "service's FAKETIME_TIMESTAMP_FILE)"
        )
    extras = frozenset(shape.texts("extras", ())) & _EXTRAS
    versions = shape.mapping("versions")
    if versions is not None and not all(isinstance(v, str | type(None)) for v in versions.values()):
        raise shape.fail("versions", "an object of strings")
    return _Discovery(
        name=shape.text("name", "http"),
        features=features,
        policy_settings=policy_settings,
        providers=providers,
        reports_reasons=_reported_reasons(shape),
        default_policy=shape.mapping("default_policy"),
        time=time,
        faketime_file=faketime_file,
        extras=extras,
        profiles=frozenset(shape.texts("profiles", ())),
        versions=versions,
    )


def _instances(spec: str) -> list[Instance]:
    instances = []
    for part in spec.split(","):
        text = part.strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"{text!r} is not an http(s) URL",
                where="--target",
                hint="like http://127.0.0.1:3000/twofa-test",
            )
        host = parts.hostname
        if not (host.startswith("127.") or host in _LOOPBACK):
            raise InputError(
                f"{host} is not a loopback address: the served fakes listen on 127.0.0.1, "
                "where a service on another host cannot reach them",
                where="--target",
                hint="run the service on this machine (127.0.0.1)",
            )
        timeout = DEFAULT_TIMEOUT
        query = parse_qs(parts.query)
        if "timeout" in query:
            try:
                timeout = float(query["timeout"][-1])
            except ValueError:
                timeout = -1.0
            if not 0 < timeout <= 600:
                raise InputError(
                    f"timeout must be seconds between 0 and 600, not {query['timeout'][-1]!r}",
                    where="--target",
                )
        base = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
        instances.append(Instance(base, timeout))
    return instances


class HttpTargetFactory:
    """What :func:`~twofa_sim.scenario.target.load_target` returns for an ``http(s)://`` spec:
    the service's declarations (read once, at discovery), and one :class:`HttpTarget` per
    scenario when called with its context."""

    reads_system_time = False

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.instances = _instances(spec)
        found = []
        for instance in self.instances:
            try:
                found.append(_discover(instance))
            except TargetProtocolError as exc:
                raise InputError(
                    str(exc),
                    where="--target",
                    hint="start the service (with its test layer) first",
                ) from None
        first = found[0]
        for instance, other in zip(self.instances[1:], found[1:], strict=True):
            if _declarations(other) != _declarations(first):
                raise InputError(
                    f"{instance.base} declares otherwise than {self.instances[0].base}",
                    where="--target",
                    hint="list instances of one service, started alike",
                )
        files = [d.faketime_file for d in found if d.faketime_file]
        if len(set(files)) != len(files):
            raise InputError(
                "two instances read one faketime file: each needs its own clock",
                where="--target",
                hint="start each with its own FAKETIME_TIMESTAMP_FILE",
            )
        self.discoveries = found
        self.name = first.name
        self.features = first.features
        self.policy_settings = first.policy_settings
        self.providers = first.providers
        self.reports_reasons = first.reports_reasons
        self.profiles = first.profiles

    def default_policy(self) -> dict[str, Any] | None:
        """The policy the service says it runs by default (discovery's ``default_policy``)."""
        return self.discoveries[0].default_policy

    def versions(self) -> dict[str, str | None] | None:
        """What the service says it is built on (discovery's ``versions``), for reports."""
        return self.discoveries[0].versions

    def __call__(self, context: TargetContext) -> HttpTarget:
        return HttpTarget(context, self)


def _reported_reasons(shape: _Shape) -> bool | frozenset[str]:
    """Discovery's ``reports_reasons``: true, false, or the reasons the service tells apart."""
    if isinstance(shape.data.get("reports_reasons", True), bool):
        return shape.flag("reports_reasons", True)
    told = frozenset(shape.texts("reports_reasons"))
    unknown = sorted(told - set(REASONS))
    if unknown:
        wanted = f"true, false or a list of reasons ({unknown[0]!r} is not one)"
        raise shape.fail("reports_reasons", wanted)
    return told


def _declarations(found: _Discovery) -> tuple[Any, ...]:
    return (
        found.name,
        found.features,
        found.policy_settings,
        found.providers,
        found.reports_reasons,
        found.time,
        found.extras,
        found.profiles,
    )


_FACTORIES: dict[str, HttpTargetFactory] = {}


def http_target(spec: str) -> HttpTargetFactory:
    """The factory for ``spec`` (discovered once per process: every scenario of a run calls
    ``load_target``)."""
    factory = _FACTORIES.get(spec)
    if factory is None:
        factory = _FACTORIES[spec] = HttpTargetFactory(spec)
    return factory


# --- time ---------------------------------------------------------------------------------------


class _FaketimeWriter:
    """Writes each new virtual time as libfaketime's absolute (stopped) form, to the
    microsecond: ``YYYY-MM-DD hh:mm:ss.ffffff`` (UTC: the service runs with ``TZ=UTC``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, unix: float) -> None:
        stamp = to_datetime(unix).strftime("%Y-%m-%d %H:%M:%S.%f")
        try:
            write_atomically(self.path, stamp + "\n")
        except OSError as exc:
            raise TargetProtocolError(
                f"cannot write the service's faketime file {self.path}: {exc.strerror or exc}"
            ) from None


class _HookCaller:
    """POSTs each new virtual time to ``BASE/clock``, before the move."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def __call__(self, unix: float) -> None:
        self.instance.call("clock", {"now": unix, "iso": format_instant(unix)})


# --- the target ---------------------------------------------------------------------------------


class HttpTarget:
    """One scenario's view of the service: an instance held, the world served, the service
    reset (see the module docstring)."""

    def __init__(self, context: TargetContext, factory: HttpTargetFactory) -> None:
        from twofa_sim.serve.scenario import serve_world

        if context.world is None:
            raise InputError("the HTTP target runs in a world", where="target")
        self.context = context
        self.name = factory.name
        self.features = factory.features
        self.reports_reasons = factory.reports_reasons
        self.policy: Any = None
        self._closers: list[Callable[[], None]] = []
        try:
            index = self._hold(factory)
            self.instance = factory.instances[index]
            found = factory.discoveries[index]
            if "audit_intact" in found.extras:  # expect_audit looks it up
                self.audit_intact = self._audit_intact
            server = serve_world(context.world)
            self._closers.append(server.stop)
            self.fakes = server.base_url
            observer: Callable[[float], None] = (
                _FaketimeWriter(found.faketime_file)
                if found.faketime_file and found.time == "faketime"
                else _HookCaller(self.instance)
            )
            clock = context.world.clock
            observer(clock.now())
            clock.subscribe(observer)
            self._closers.append(lambda: clock.unsubscribe(observer))
            self._reset(context, found)
        except TargetProtocolError as exc:
            self.close()
            raise InputError(str(exc), where="reset") from None
        except BaseException:
            self.close()
            raise

    def _hold(self, factory: HttpTargetFactory) -> int:
        """Lock one instance for this scenario (a free one if any); its index."""
        count = len(factory.instances)
        first = os.getpid() % count
        order = [(first + i) % count for i in range(count)]
        handles = []
        for index in order:
            handle = open(_lock_path(factory.instances[index].base), "a+b")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handles.append(handle)
                continue
            for other in handles:
                other.close()
            self._closers.append(handle.close)
            return index
        for other in handles[1:]:
            other.close()
        fcntl.flock(handles[0], fcntl.LOCK_EX)  # every instance is busy: wait for ours
        self._closers.append(handles[0].close)
        return order[0]

    def _reset(self, context: TargetContext, found: _Discovery) -> None:
        world = context.world
        policy = dict(context.policy)
        digits = policy.get("sms_code_digits", 6)
        service_sid = world.verify_service_sid(
            context.issuer,
            digits if isinstance(digits, int) and not isinstance(digits, bool) else 6,
        )
        now = context.clock.now()
        body = {
            "fakes": {
                "twilio": {
                    "base_url": f"{self.fakes}/twilio",
                    "account_sid": context.twilio_account_sid,
                    "auth_token": context.twilio_auth_token,
                    "from": context.sms_from,
                },
                "authy": {"base_url": f"{self.fakes}/authy", "api_key": context.authy_api_key},
                "verify": {
                    "base_url": f"{self.fakes}/verify",
                    "account_sid": world.verify.account_sid,
                    "auth_token": world.verify.auth_token,
                    "service_sid": service_sid,
                },
                "control": f"{self.fakes}/_twofa",
            },
            "provider": world.spec.provider,
            "policy": policy,
            "store": context.store,
            "issuer": context.issuer,
            "seed": world.spec.seed,
            "random_stream": "target",
            "now": now,
            "iso": format_instant(now),
        }
        where = f"POST {self.instance.url('reset')}"
        shape = _Shape(where, self.instance.call("reset", body))
        told = shape.number("now")
        if abs(told - now) > 1.0:
            how = (
                f"libfaketime (TZ=UTC LD_PRELOAD=...libfaketimeMT.so.1 FAKETIME_NO_CACHE=1 "
                f"FAKETIME_TIMESTAMP_FILE={found.faketime_file})"
                if found.time == "faketime"
                else f"its clock hook ({self.instance.url('clock')})"
            )
            raise TargetProtocolError(
                f"{where}: the service's clock reads {format_instant(told)}, the virtual clock "
                f"{format_instant(now)}: is it following {how}?"
            )
        effective = shape.mapping("policy")
        if effective is not None:
            totp = _Shape(f"{where} policy", effective).mapping("totp")
            if totp is not None:
                window = _Shape(f"{where} policy.totp", totp)
                self.policy = SimpleNamespace(
                    totp=SimpleNamespace(
                        steps_back=int(window.number("steps_back")),
                        steps_forward=int(window.number("steps_forward")),
                    )
                )

    def close(self) -> None:
        """Stop serving the world, stop following its clock, let the instance go."""
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            with contextlib.suppress(Exception):
                closer()

    # --- one call -------------------------------------------------------------------------

    def _call(self, operation: str, **args: Any) -> Any:
        """The answer to ``operation``; ``{"refused": ...}`` raised as a Python adapter would."""
        answer = self.instance.call(operation, args)
        if isinstance(answer, dict) and "refused" in answer:
            _raise_refusal(f"POST {self.instance.url(operation)}", answer["refused"])
        return answer

    def _where(self, operation: str) -> str:
        return f"POST {self.instance.url(operation)}"

    # --- the flow -------------------------------------------------------------------------

    def register(self, user: str, password: str) -> None:
        _Shape(self._where("register"), self._call("register", user=user, password=password))

    def start_phone_verification(self, user: str, phone: str, method: str) -> Challenge:
        answer = self._call("start_phone_verification", user=user, phone=phone, method=method)
        return _challenge(self._where("start_phone_verification"), answer)

    def confirm_phone(self, user: str, request_id: str, code: str | None) -> Outcome:
        answer = self._call("confirm_phone", user=user, request_id=request_id, code=code)
        return _outcome(self._where("confirm_phone"), answer)

    def change_phone(self, user: str, phone: str, method: str) -> Challenge:
        answer = self._call("change_phone", user=user, phone=phone, method=method)
        return _challenge(self._where("change_phone"), answer)

    def generate_qr(self, user: str) -> Enrollment:
        where = self._where("generate_qr")
        shape = _Shape(where, self._call("generate_qr", user=user))
        uri = shape.text("uri")
        encoded = shape.optional_text("png")
        if encoded:
            try:
                png = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise shape.fail("png", "base64") from None
        else:  # the service's page draws the URI itself (a QR library in the browser): so do we
            from twofa_sim.core.qr import render_png

            png = render_png(uri)
        return Enrollment(uri, png, shape.flag("confirmed"))

    def confirm_totp(self, user: str, code: str) -> Outcome:
        return _outcome(
            self._where("confirm_totp"), self._call("confirm_totp", user=user, code=code)
        )

    def login(self, user: str, password: str) -> LoginResult:
        shape = _Shape(self._where("login"), self._call("login", user=user, password=password))
        status = shape.text("status")
        if status not in ("logged_in", "second_factor", "refused"):
            raise shape.fail("status", "'logged_in', 'second_factor' or 'refused'")
        return LoginResult(
            status,
            login_id=shape.optional_text("login_id"),
            factors=tuple(shape.texts("factors", ())),
            reason=shape.text("reason", ""),
            must_enroll=shape.flag("must_enroll", False),
            retry_after=shape.optional_number("retry_after"),
            rule=shape.text("rule", ""),
        )

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        answer = self._call("send_login_code", user=user, login_id=login_id, channel=channel)
        return _challenge(self._where("send_login_code"), answer)

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        answer = self._call("verify_login", user=user, login_id=login_id, factor=factor, code=code)
        return _outcome(self._where("verify_login"), answer)

    def logged_in(self, user: str, login_id: str) -> bool:
        answer = self._call("logged_in", user=user, login_id=login_id)
        return _Shape(self._where("logged_in"), answer).flag("logged_in")

    def generate_recovery_codes(self, user: str) -> list[str]:
        answer = self._call("generate_recovery_codes", user=user)
        return _Shape(self._where("generate_recovery_codes"), answer).texts("codes")

    def disable_two_factor(self, user: str, password: str) -> Outcome:
        answer = self._call("disable_two_factor", user=user, password=password)
        return _outcome(self._where("disable_two_factor"), answer)

    # --- what a scenario may look at ------------------------------------------------------

    def account(self, user: str) -> AccountView:
        shape = _Shape(self._where("account"), self._call("account", user=user))
        return AccountView(
            shape.flag("two_factor"),
            tuple(shape.texts("factors", ())),
            shape.optional_text("phone"),
            shape.flag("locked", False),
        )

    def audit_events(self) -> list[AuditView]:
        where = self._where("audit_events")
        events = []
        for item in _Shape(where, self._call("audit_events")).objects("events"):
            event = _Shape(f"{where} events[]", item)
            events.append(
                AuditView(
                    event.number("at"),
                    event.text("event"),
                    event.text("user", ""),
                    event.text("outcome", ""),
                    event.mapping("details") or {},
                )
            )
        return events

    def notifications(self) -> list[Notification]:
        where = self._where("notifications")
        notes = []
        for item in _Shape(where, self._call("notifications")).objects("notifications"):
            note = _Shape(f"{where} notifications[]", item)
            notes.append(
                Notification(
                    note.number("at"), note.text("user"), note.text("kind"), note.text("message")
                )
            )
        return notes

    def restart(self) -> None:
        _Shape(self._where("restart"), self._call("restart"))

    def stored_bytes(self) -> bytes:
        shape = _Shape(self._where("stored_bytes"), self._call("stored_bytes"))
        try:
            return base64.b64decode(shape.text("base64"), validate=True)
        except (binascii.Error, ValueError):
            raise shape.fail("base64", "base64") from None

    def _audit_intact(self) -> bool:
        answer = self._call("audit_intact")
        return _Shape(self._where("audit_intact"), answer).flag("intact")


def _raise_refusal(where: str, refused: Any) -> None:
    """Raise what a Python adapter would for ``{"refused": {...}}``."""
    shape = _Shape(f"{where} refused", refused)
    kind = shape.text("kind")
    message = shape.text("message", "")
    if kind == "retry_later":
        raise RetryLaterError(
            shape.text("reason", "throttled"),
            shape.number("retry_after", 0.0),
            message or "try again later",
            rule=shape.text("rule", ""),
        )
    if kind == "provider_unavailable":
        detail = shape.text("detail", "") or message or "no answer"
        raise ProviderUnavailableError(shape.text("provider", "provider"), detail)
    if kind == "invalid_input":
        raise InputError(
            message or "refused as invalid",
            where=shape.text("where", ""),
            hint=shape.text("hint", ""),
        )
    raise shape.fail("kind", "'retry_later', 'provider_unavailable' or 'invalid_input'")


def _lock_path(base: str) -> str:
    digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"twofa-sim-target-{digest}.lock")

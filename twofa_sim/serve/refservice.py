"""``twofa-sim serve-reference``: the reference service as a separate process, behind the HTTP
target contract (see :mod:`twofa_sim.scenario.targets.http`).

It is what a team's service looks like to the runner: a process of its own that sends SMS and
Authy and Verify calls over real HTTP to the served fakes named at each ``reset``, and reads the
time either from the system clock (``--clock system``: run it under libfaketime, and the runner
writes the virtual time into its ``FAKETIME_TIMESTAMP_FILE``) or from what its clock hook was
last told (``--clock hook``). Behind the contract is the very
:class:`~twofa_sim.scenario.targets.reference.ReferenceTarget` the in-process runs use, wired to
HTTP clients instead of the in-process world: so the bundled library run black-box against it
must give the in-process verdicts (a test compares them).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from twofa_sim import __version__
from twofa_sim.core.clock import SystemClock
from twofa_sim.core.seeding import SeededRandom
from twofa_sim.errors import (
    InputError,
    ProviderUnavailableError,
    RetryLaterError,
)
from twofa_sim.providers.authy import AuthyClient
from twofa_sim.providers.twilio import TwilioClient
from twofa_sim.providers.verify import VerifyClient
from twofa_sim.reference import ReferenceService, SecurityPolicy, ServiceParts, Store
from twofa_sim.scenario.target import FEATURES, TargetContext
from twofa_sim.scenario.targets.http import OPERATIONS as TARGET_OPERATIONS
from twofa_sim.scenario.targets.reference import ReferenceTarget

__all__ = [
    "CLOCKS",
    "CONTRACT",
    "DEFAULT_PORT",
    "OPERATIONS",
    "ContractService",
    "HookClock",
    "RemoteWorld",
    "main",
    "run",
]

DEFAULT_PORT = 8030
CLOCKS = ("system", "hook")
CONTRACT = "twofa-sim-target/1"
CONTRACT_FILE = "target-contract.openapi.json"
_MAX_BODY = 1024 * 1024
OPERATIONS = frozenset(TARGET_OPERATIONS) - {"reset", "clock"}
"""The contract's operations answered by name (reset and clock have routes of their own)."""


class HookClock:
    """The time the clock hook last told (``POST /clock``); thread-safe."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def set(self, unix: float) -> None:
        with self._lock:
            self._now = unix


class RemoteWorld:
    """Stands for the in-process world where :class:`ReferenceTarget` asks for a service: the
    same wiring as :meth:`World.reference_service`, with HTTP clients on the served fakes."""

    def __init__(self, fakes: Mapping[str, Any], clock: Any, provider: str, timeout: float):
        self.fakes = fakes
        self.clock = clock
        self.provider = provider
        self.timeout = timeout

    def reference_service(
        self,
        *,
        store: Store | None = None,
        sqlite: str | os.PathLike[str] | None = None,
        policy: SecurityPolicy | None = None,
        random: Callable[[int], bytes] | None = None,
        issuer: str = "twofa-sim",
        parts: ServiceParts | None = None,
    ) -> ReferenceService:
        from twofa_sim.reference import SqliteStore

        twilio, authy, verify = self.fakes["twilio"], self.fakes["authy"], self.fakes["verify"]
        verify_client = None
        if self.provider == "verify":
            verify_client = VerifyClient(
                verify["account_sid"],
                verify["auth_token"],
                verify["service_sid"],
                base_url=verify["base_url"],
                timeout=self.timeout,
            )
        return ReferenceService(
            clock=self.clock,
            twilio=TwilioClient(
                twilio["account_sid"],
                twilio["auth_token"],
                base_url=twilio["base_url"],
                timeout=self.timeout,
            ),
            authy=AuthyClient(authy["api_key"], base_url=authy["base_url"], timeout=self.timeout),
            sms_from=twilio["from"],
            store=SqliteStore(sqlite) if sqlite is not None else store,
            policy=policy,
            random=random,
            issuer=issuer,
            parts=parts,
            verify=verify_client,
        )


class ContractService:
    """The contract's operations on one :class:`ReferenceTarget`, rebuilt at each reset."""

    def __init__(self, clock: str = "system", *, provider_timeout: float = 2.0) -> None:
        if clock not in CLOCKS:
            raise InputError(f"unknown clock {clock!r}", where="--clock", hint="system or hook")
        self.clock_mode = clock
        self.faketime_file = os.environ.get("FAKETIME_TIMESTAMP_FILE")
        if clock == "system" and not self.faketime_file:
            raise InputError(
                "FAKETIME_TIMESTAMP_FILE is not set: with --clock system the service reads the "
                "system clock, which only libfaketime can move",
                where="--clock",
                hint="start it under libfaketime (see the README), or use --clock hook",
            )
        self.clock: Any = SystemClock() if clock == "system" else HookClock()
        self.provider_timeout = provider_timeout
        self.lock = threading.Lock()
        """One operation at a time (the reference service is not thread-safe); the clock hook
        never waits for it (a fault may move the clock while an operation waits on a fake)."""
        self.target: ReferenceTarget | None = None
        self.workdir: Path | None = None

    def discovery(self) -> dict[str, Any]:
        return {
            "contract": CONTRACT,
            "name": ReferenceTarget.name,
            "features": sorted(getattr(ReferenceTarget, "features", FEATURES)),
            "policy_settings": None,
            "providers": sorted(ReferenceTarget.providers),
            "reports_reasons": True,
            "profiles": sorted(getattr(ReferenceTarget, "profiles", ())),
            "default_policy": plain(ReferenceTarget.default_policy()),
            "time": "faketime" if self.clock_mode == "system" else "hook",
            "faketime_file": self.faketime_file if self.clock_mode == "system" else None,
            "extras": ["audit_intact"],
            "versions": {"twofa-sim": __version__},
        }

    def set_clock(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self.clock_mode != "hook":
            raise InputError("this service reads the system clock (--clock system)", where="now")
        unix = body.get("now")
        if isinstance(unix, bool) or not isinstance(unix, int | float):
            raise InputError("give now: Unix seconds", where="now")
        self.clock.set(float(unix))
        return {}

    def reset(self, body: Mapping[str, Any]) -> dict[str, Any]:
        fakes = body.get("fakes")
        if not isinstance(fakes, Mapping) or not all(
            isinstance(fakes.get(name), Mapping) for name in ("twilio", "authy", "verify")
        ):
            raise InputError("fakes must name twilio, authy and verify", where="fakes")
        if self.clock_mode == "hook" and isinstance(body.get("now"), int | float):
            self.clock.set(float(body["now"]))
        self._close()
        store = str(body.get("store", "memory"))
        if store == "sqlite":
            self.workdir = Path(tempfile.mkdtemp(prefix="twofa-sim-ref-"))
        seed = body.get("seed", 0)
        if not isinstance(seed, int | str) or isinstance(seed, bool):
            raise InputError("seed must be a whole number or a string", where="seed")
        stream = str(body.get("random_stream", "target"))
        world = RemoteWorld(
            fakes, self.clock, str(body.get("provider", "messages")), self.provider_timeout
        )
        context = TargetContext(
            clock=self.clock,
            twilio_account_sid=fakes["twilio"]["account_sid"],
            twilio_auth_token=fakes["twilio"]["auth_token"],
            authy_api_key=fakes["authy"]["api_key"],
            sms_from=fakes["twilio"]["from"],
            random=SeededRandom(seed).stream(stream).randbytes,
            policy=dict(body.get("policy") or {}),
            store=store,
            workdir=self.workdir,
            issuer=str(body.get("issuer", "twofa-sim")),
            world=world,
        )
        self.target = ReferenceTarget(context)
        window = self.target.policy.totp
        return {
            "now": self.clock.now(),
            "policy": {
                "totp": {"steps_back": window.steps_back, "steps_forward": window.steps_forward}
            },
        }

    def _close(self) -> None:
        if self.target is not None:
            self.target.close()
            self.target = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def operate(self, operation: str, body: Mapping[str, Any]) -> Any:
        """One operation's answer, as the contract writes it."""
        target = self.target
        if target is None:
            raise InputError("no scenario yet: POST /reset first", where=operation)
        try:
            if operation == "stored_bytes":
                import base64

                return {"base64": base64.b64encode(target.stored_bytes()).decode("ascii")}
            if operation == "generate_qr":
                import base64

                enrollment = target.generate_qr(body["user"])
                return {
                    "uri": enrollment.uri,
                    "png": base64.b64encode(enrollment.png).decode("ascii"),
                    "confirmed": enrollment.confirmed,
                }
            if operation in ("audit_events", "notifications", "restart", "audit_intact"):
                result = getattr(target, operation)()
            else:
                result = getattr(target, operation)(**body)
        except RetryLaterError as exc:
            return refusal(
                "retry_later",
                str(exc),
                reason=exc.reason,
                retry_after=exc.retry_after,
                rule=exc.rule,
            )
        except ProviderUnavailableError as exc:
            return refusal(
                "provider_unavailable", str(exc), provider=exc.provider, detail=exc.detail
            )
        except InputError as exc:
            return refusal("invalid_input", exc.what, where=exc.where, hint=exc.hint)
        return _answer(operation, result)

    def close(self) -> None:
        self._close()


def refusal(kind: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"refused": {"kind": kind, "message": message, **plain(fields)}}


def _answer(operation: str, result: Any) -> Any:
    if operation == "logged_in":
        return {"logged_in": bool(result)}
    if operation == "generate_recovery_codes":
        return {"codes": list(result)}
    if operation == "audit_events":
        return {"events": [plain(asdict(event)) for event in result]}
    if operation == "notifications":
        return {"notifications": [plain(asdict(note)) for note in result]}
    if operation == "audit_intact":
        return {"intact": bool(result)}
    if result is None:
        return {}
    if is_dataclass(result) and not isinstance(result, type):
        return plain(asdict(result))
    return plain(result)


def plain(value: Any) -> Any:
    """JSON's own values: tuples as lists, non-finite numbers as null (``expires_at`` never)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return [plain(v) for v in items]
    return value


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "":
            self._reply(200, self.server.service.discovery())
        elif path == "/openapi.json":
            document = Path(__file__).resolve().parents[1] / "data" / CONTRACT_FILE
            self._reply(200, json.loads(document.read_text(encoding="utf-8")))
        else:
            self._reply(404, {"error": f"no such path {path!r}: GET / or POST /<operation>"})

    def do_POST(self) -> None:
        operation = self.path.split("?", 1)[0].strip("/")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._reply(413 if length > _MAX_BODY else 400, {"error": "bad Content-Length"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except (UnicodeDecodeError, ValueError):
            self._reply(400, {"error": "the body is not JSON"})
            return
        if not isinstance(body, dict):
            self._reply(400, {"error": "the body must be a JSON object"})
            return
        service = self.server.service
        try:
            if operation == "clock":
                answer = service.set_clock(body)
            elif operation == "reset":
                with service.lock:
                    answer = service.reset(body)
            elif operation in OPERATIONS:
                with service.lock:
                    answer = service.operate(operation, body)
            else:
                self._reply(404, {"error": f"no operation {operation!r}"})
                return
        except Exception as exc:  # any failure is the service's 500, never a dead connection
            status = 400 if isinstance(exc, InputError) else 500
            with contextlib.suppress(Exception):
                self._reply(status, {"error": f"{type(exc).__name__}: {exc}"})
            return
        self._reply(200, answer)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header from the system clock fails past 2262 under libfaketime: leave it out.
        return (
            "Thu, 01 Jan 1970 00:00:00 GMT"
            if timestamp is None
            else super().date_time_string(timestamp)
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, service: ContractService, host: str, port: int) -> None:
        self.service = service
        super().__init__((host, port), _Handler)


def run(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    clock: str = "system",
    *,
    provider_timeout: float = 2.0,
    out: TextIO | None = None,
    ready: Callable[[str], None] | None = None,
) -> int:
    """Serve until Ctrl-C or SIGTERM; prints the contract's base URL first (exit status 0)."""
    out = out or sys.stdout
    service = ContractService(clock, provider_timeout=provider_timeout)
    try:
        server = _Server(service, host, port)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", where="--port"
        ) from None
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host_name, port_number = str(server.server_address[0]), int(server.server_address[1])
    base = f"http://{host_name}:{port_number}"
    time_note = (
        f"system clock (faketime file {service.faketime_file})"
        if clock == "system"
        else f"clock hook at {base}/clock"
    )
    print(
        f"twofa-sim serve-reference: the reference service on {base} (contract {CONTRACT}; "
        f"{time_note})\nrun the library against it:  twofa-sim run --target {base}",
        file=out,
        flush=True,
    )
    try:
        if ready is not None:
            ready(base)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        service.close()
    print("twofa-sim serve-reference: stopped", file=out, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m twofa_sim.serve.refservice [--port N] [--clock system|hook]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="twofa-sim serve-reference")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--clock", choices=CLOCKS, default="system")
    parser.add_argument("--provider-timeout", type=float, default=2.0)
    options = parser.parse_args(argv)
    try:
        return run(
            options.host, options.port, options.clock, provider_timeout=options.provider_timeout
        )
    except InputError as exc:
        print(f"twofa-sim serve-reference: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

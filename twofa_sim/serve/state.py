"""The world a server serves: one :class:`~twofa_sim.world.World`, one lock, one clock mode.

The fakes are not thread-safe; every request, provider or control, runs under :attr:`lock`.
A served world is never *entered* (entering mounts the fakes on this process's ``requests``):
its services answer only what the HTTP server hands them.

Clock modes: ``virtual`` (time moves only when told: the control API, a latency fault) and
``real`` (the world's clock is set to the wall clock before each request; moving it is refused).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, Literal

from twofa_sim.core.clock import format_instant, parse_duration, parse_instant
from twofa_sim.errors import InputError
from twofa_sim.providers import FAULT_KINDS, FakeService
from twofa_sim.providers.verify import VerifyService
from twofa_sim.serve.faketime import FaketimeFile
from twofa_sim.serve.hook import ClockHook
from twofa_sim.world import World, WorldSpec

__all__ = ["CLOCK_MODES", "ClockMode", "ServedWorld"]

ClockMode = Literal["virtual", "real"]
CLOCK_MODES: tuple[ClockMode, ...] = ("virtual", "real")


class ServedWorld:
    """A world behind a lock, rebuilt from its description on :meth:`reset`.

    ``description``: a world description (``given:`` of a scenario); ``seed`` overrides its seed.
    ``faketime``: written on every move of the clock, and once now. ``hook``: told before
    every move (see :mod:`twofa_sim.serve.hook`).
    """

    def __init__(
        self,
        description: Mapping[str, Any] | None = None,
        *,
        seed: int | str | None = None,
        clock: ClockMode = "virtual",
        faketime: FaketimeFile | None = None,
        hook: ClockHook | None = None,
        world: World | None = None,
    ) -> None:
        """``world``: serve this existing world as it is (a scenario's, built by the runner)
        instead of one built from ``description``."""
        built = description or seed is not None or faketime or hook or clock != "virtual"
        if world is not None and built:
            raise ValueError("an existing world is served as it is: nothing to build it from")
        if clock not in CLOCK_MODES:
            raise InputError(f"unknown clock {clock!r}", where="clock", hint="virtual or real")
        spec = (
            world.spec
            if world is not None
            else WorldSpec.read(dict(description or {}), where="world")
        )
        if spec.freeze_system_time and world is None:
            raise InputError(
                "freeze_system_time freezes the time of the process the world runs in, not of "
                "the service under test",
                where="world.freeze_system_time",
                hint="leave it out; give --faketime-file for a service run under libfaketime",
            )
        if clock == "real" and faketime is not None:
            raise InputError(
                "a faketime file follows the virtual clock; with the wall clock there is "
                "nothing to write",
                where="faketime_file",
                hint="drop --faketime-file, or use --clock virtual",
            )
        if clock == "real" and hook is not None:
            raise InputError(
                "a clock hook follows the virtual clock; the wall clock never moves",
                where="clock_hook",
                hint="drop --clock-hook, or use --clock virtual",
            )
        if seed is not None:
            spec = replace(spec, seed=seed)
        if clock == "real":
            spec = replace(spec, start=time.time())
        self.spec = spec
        self.clock_mode: ClockMode = clock
        self.faketime = faketime
        self.hook = hook
        self.lock = threading.RLock()
        self.world = self._adopt(world if world is not None else World(self.spec))

    def _adopt(self, world: World) -> World:
        """Serve ``world``: its providers, and every move of its clock told to the service."""
        self.services: tuple[FakeService, ...] = world.services
        self.verify: VerifyService = world.verify
        if self.hook is not None:
            world.clock.subscribe(self.hook)
        if self.faketime is not None:
            self.faketime.write(world.now())
            world.clock.subscribe(self.faketime)
        return world

    @contextmanager
    def locked(self) -> Iterator[World]:
        """Hold the world for one request (the wall clock read first in ``real`` mode)."""
        with self.lock:
            if self.clock_mode == "real":
                self.world.clock.set(time.time())
            yield self.world

    # --- the clock --------------------------------------------------------------------------

    def _movable(self) -> None:
        if self.clock_mode == "real":
            raise InputError(
                "the clock is the wall clock (--clock real): time cannot be moved",
                where="clock",
                hint="serve with --clock virtual to move time",
            )

    def advance(self, by: object) -> dict[str, object]:
        duration = _duration(by, "by")
        with self.locked() as world:
            self._movable()
            world.advance(duration)
            return self.clock_view()

    def set_time(self, to: object) -> dict[str, object]:
        if isinstance(to, bool) or not isinstance(to, str | int | float):
            raise InputError("give an instant: Unix seconds or ISO-8601", where="to")
        try:
            instant = parse_instant(to)
        except InputError as exc:
            raise exc.at("to") from None
        with self.locked() as world:
            self._movable()
            world.clock.set(instant)
            return self.clock_view()

    def clock_view(self) -> dict[str, object]:
        now = self.world.now()
        return {"now": now, "iso": format_instant(now), "mode": self.clock_mode}

    def reset(self) -> dict[str, object]:
        """A fresh world from the same description and seed: same credentials, empty inboxes,
        no faults but the description's, the clock back at the start."""
        with self.lock:
            if self.hook is not None:
                self.hook(self.spec.start)  # the service first: if it cannot follow, no reset
                self.world.clock.unsubscribe(self.hook)
            if self.faketime is not None:
                self.world.clock.unsubscribe(self.faketime)
            if self.clock_mode == "real":
                self.spec = replace(self.spec, start=time.time())
            self.world = self._adopt(World(self.spec))
            return self.clock_view()

    # --- what the phone does (call under the lock) ------------------------------------------

    def respond(self, uuid: str, approve: bool) -> None:
        """Tap Approve or Deny on an Authy OneTouch push."""
        self.world.authy.backend.respond(uuid, approve)

    def respond_challenge(self, sid: str, approve: bool) -> None:
        """Tap Approve or Deny on a Verify push challenge."""
        self.verify.backend.respond(sid, approve)

    def enroll_push(self, fields: Mapping[str, object]) -> dict[str, object]:
        """The phone's Verify Push app registers (and verifies) a push factor for an identity."""
        factor = self.verify.backend.enroll_push(
            _text(fields, "service_sid"),
            _text(fields, "identity"),
            _text(fields, "friendly_name", "iPhone"),
        )
        return {
            "sid": factor.sid,
            "service_sid": factor.service_sid,
            "identity": factor.identity,
            "friendly_name": factor.friendly_name,
            "factor_type": factor.factor_type,
            "status": factor.status,
        }

    # --- faults and credentials (call under the lock) ---------------------------------------

    def service(self, name: object) -> FakeService:
        for service in self.services:
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services)
        raise InputError(f"no provider {name!r}", where="provider", hint=f"one of {known}")

    def faults(self) -> list[dict[str, object]]:
        return [
            {"provider": service.name, "index": index, **asdict(rule)}
            for service in self.services
            for index, rule in enumerate(service.faults.rules)
        ]

    def add_fault(self, fields: Mapping[str, object]) -> dict[str, object]:
        """A fault rule from JSON: ``start``/``until`` are durations from now."""
        allowed = {"provider", "kind", "endpoint", "start", "until", "probability", "times"}
        allowed.add("seconds")
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise InputError(
                f"unknown field {unknown[0]!r}", hint=f"allowed: {', '.join(sorted(allowed))}"
            )
        service = self.service(fields.get("provider"))
        kind = fields.get("kind")
        if kind not in FAULT_KINDS:
            raise InputError(
                f"unknown fault kind {kind!r}",
                where="kind",
                hint=f"one of {', '.join(FAULT_KINDS)}",
            )
        endpoint = fields.get("endpoint")
        endpoints = sorted({route.endpoint for route in service.routes()} - {"unknown"})
        if endpoint is not None and endpoint not in endpoints:
            raise InputError(
                f"{service.name} has no endpoint {endpoint!r}",
                where="endpoint",
                hint=f"one of {', '.join(endpoints)}",
            )
        now = self.world.now()
        start = now + _duration(fields["start"], "start") if "start" in fields else None
        until = now + _duration(fields["until"], "until") if "until" in fields else None
        times = fields.get("times")
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise InputError(f"times must be a whole number >= 1, not {times!r}", where="times")
        probability = _number(fields.get("probability", 1.0), "probability")
        seconds = _duration(fields.get("seconds", 0), "seconds")
        rule = service.faults.add(
            kind,
            endpoint=str(endpoint) if endpoint is not None else None,
            start=start,
            until=until,
            probability=probability,
            times=times,
            seconds=seconds,
        )
        return {"provider": service.name, "index": len(service.faults.rules) - 1, **asdict(rule)}

    def clear_faults(self, provider: str | None) -> int:
        services = self.services if provider is None else (self.service(provider),)
        cleared = sum(len(s.faults.rules) for s in services)
        for service in services:
            service.faults.clear()
        return cleared

    def describe(self) -> dict[str, object]:
        """What a client needs to talk to the fakes: credentials, phones, the clock."""
        world = self.world
        phones = []
        for number, phone in world.phones.items():
            phones.append(
                {
                    "number": number,
                    "apps": sorted(phone.apps),
                    "authy_id": phone.authy.authy_id if phone.authy is not None else None,
                }
            )
        return {
            "seed": world.spec.seed,
            "clock": self.clock_view(),
            "providers": {
                "twilio": {
                    "account_sid": world.twilio.account_sid,
                    "auth_token": world.twilio.auth_token,
                    "from_numbers": list(world.twilio.backend.from_numbers),
                },
                "authy": {"api_key": world.authy.api_key},
                "verify": {
                    "account_sid": self.verify.account_sid,
                    "auth_token": self.verify.auth_token,
                    "services": [
                        {"sid": s.sid, "friendly_name": s.friendly_name}
                        for s in self.verify.backend.services.values()
                    ],
                },
            },
            "phones": phones,
        }


def _duration(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"give a duration (30, '90s', '1h30m'), not {value!r}", where=where)
    try:
        return parse_duration(value)
    except InputError as exc:
        raise exc.at(where) from None


def _text(fields: Mapping[str, object], name: str, default: str | None = None) -> str:
    value = fields.get(name, default)
    if not isinstance(value, str) or not value:
        raise InputError(f"give a non-empty string, not {value!r}", where=name)
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a number, not {value!r}", where=where)
    return float(value)

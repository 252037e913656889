"""One simulated world: the clock, the SMS network, the fake providers, the phones, one seed.

A world is built from a plain description (what a scenario file's ``given:`` will hold)::

    world = World({
        "seed": 7,
        "start": "2026-03-01T09:00:00Z",
        "sms": {"delay": "3s", "jitter": "2s"},
        "phones": [
            {"number": "+15551230001", "offset": "40s", "drift_ppm": 20,
             "apps": ["google-authenticator-android-2012"], "authy": True},
        ],
        "faults": {"twilio": [{"kind": "http_503", "start": "10m", "until": "20m"}]},
        "provider": "messages",      # or "verify": the reference service uses Twilio Verify
    })
    with world:                      # the fakes answer on requests; system time frozen if asked
        world.advance("30s")
        world.phone("+15551230001").latest_code()

Entering mounts the fakes on ``requests`` (and, with ``freeze_system_time: true``, starts the
freezegun bridge); leaving unmounts everything, even on error. The same description and seed
build the same world: every ID, secret, code and delay comes from the one seed.

Three fakes are always there: Twilio Messages (``world.twilio``), Authy (``world.authy``) and
Twilio Verify v2 (``world.verify``, on the Twilio account's SID and token, so one ``twilio``
``Client`` reaches both; a default Verify service named after the issuer is created at once).
``provider`` says which the reference service uses: ``messages`` (Messages for SMS codes, Authy
for its users, its own TOTP secrets) or ``verify`` (Verify for all three: see
:meth:`World.reference_service`). A phone with ``verify_push: true`` runs a Verify Push app,
enrolled for the identity the reference service gives its number
(:func:`~twofa_sim.reference.push_identity`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from twofa_sim.core.clock import (
    DeviceClock,
    VirtualClock,
    frozen_system_time,
    parse_duration,
    parse_instant,
)
from twofa_sim.core.phone import parse_e164
from twofa_sim.errors import InputError, TwofaSimError
from twofa_sim.providers import (
    FAULT_KINDS,
    Delivery,
    FakeService,
    FaultRule,
    SeededRandom,
    SmsNetwork,
    mounted,
)
from twofa_sim.providers.authy import AuthyClient, AuthyService
from twofa_sim.providers.authy import urls as authy_urls
from twofa_sim.providers.twilio import TwilioClient, TwilioService
from twofa_sim.providers.twilio import urls as twilio_urls
from twofa_sim.providers.verify import VerifyClient, VerifyService
from twofa_sim.providers.verify import urls as verify_urls
from twofa_sim.reference import (
    ReferenceService,
    SecurityPolicy,
    ServiceParts,
    SqliteStore,
    Store,
    push_identity,
)
from twofa_sim.world.apps import AuthenticatorApp, AuthyApp, Phone, VerifyPushApp

__all__ = ["PROVIDERS", "WORLD_KEYS", "FaultSpec", "PhoneSpec", "World", "WorldSpec"]

WORLD_KEYS: tuple[str, ...] = (
    "seed",
    "start",
    "phones",
    "sms",
    "faults",
    "freeze_system_time",
    "provider",
)
"""The keys a world description may hold (a scenario's ``given:`` holds these and more)."""

PROVIDERS: tuple[str, ...] = ("messages", "verify")
"""What the reference service uses: Twilio Messages + Authy, or Twilio Verify."""

_DEFAULT_START = "2026-01-01T00:00:00Z"
_DEFAULT_ISSUER = "twofa-sim"
SMS_FROM = "+15005550006"
"""The sender the reference service uses: the Twilio test number that passes every check."""


@dataclass(frozen=True)
class PhoneSpec:
    """A phone: its number, how wrong its clock is, and what runs on it."""

    number: str
    offset: float = 0.0
    drift_ppm: float = 0.0
    apps: tuple[str, ...] = ()
    authy: bool = False
    """The number is an Authy user, and the phone runs the Authy app (one registered device)."""
    verify_push: bool = False
    """The phone runs a Verify Push app, enrolled for the number's identity."""


@dataclass(frozen=True)
class FaultSpec:
    """A fault one provider injects; ``start``/``until`` are seconds after the world's start."""

    provider: str
    kind: str
    endpoint: str | None = None
    start: float | None = None
    until: float | None = None
    probability: float = 1.0
    times: int | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class WorldSpec:
    """A validated world description."""

    seed: int | str = 0
    start: float = field(default_factory=lambda: parse_instant(_DEFAULT_START))
    phones: tuple[PhoneSpec, ...] = ()
    delivery: Delivery = field(default_factory=Delivery)
    faults: tuple[FaultSpec, ...] = ()
    freeze_system_time: bool = False
    provider: str = "messages"
    """``messages`` or ``verify``: what the reference service sends codes with."""

    @classmethod
    def read(cls, description: Mapping[str, Any], *, where: str = "given") -> WorldSpec:
        """Validate a plain description; errors name the field (``given.phones[1].offset``)."""
        return _read_spec(description, where)


class World:
    """Builds and owns one simulated world. Use it as a context manager to mount the fakes."""

    def __init__(self, description: Mapping[str, Any] | WorldSpec | None = None) -> None:
        spec = (
            description if isinstance(description, WorldSpec) else WorldSpec.read(description or {})
        )
        self.spec = spec
        self.rng = SeededRandom(spec.seed)
        self.clock = VirtualClock(spec.start)
        self.network = SmsNetwork(self.clock, self.rng.stream("network"), spec.delivery)
        self.twilio = TwilioService(self.clock, self.rng.stream("twilio"), self.network)
        self.authy = AuthyService(self.clock, self.rng.stream("authy"), self.network)
        self.verify = VerifyService(
            self.clock,
            self.rng.stream("verify"),
            self.network,
            account_sid=self.twilio.account_sid,
            auth_token=self.twilio.auth_token,
        )
        self._verify_services: dict[tuple[str, int], str] = {}
        self.verify_service_sid()  # the default service is always there
        self.phones: dict[str, Phone] = {}
        for phone in spec.phones:
            self.phones[phone.number] = self._build_phone(phone)
        for fault in spec.faults:
            self._service(fault.provider).faults.add(
                fault.kind,  # type: ignore[arg-type]
                endpoint=fault.endpoint,
                start=None if fault.start is None else spec.start + fault.start,
                until=None if fault.until is None else spec.start + fault.until,
                probability=fault.probability,
                times=fault.times,
                seconds=fault.seconds,
            )
        self._stack: ExitStack | None = None
        self._services = 0

    # --- building ---------------------------------------------------------------------------

    def _build_phone(self, spec: PhoneSpec) -> Phone:
        clock = DeviceClock(self.clock, offset=spec.offset, drift_ppm=spec.drift_ppm)
        apps = {profile_id: AuthenticatorApp(profile_id, clock) for profile_id in spec.apps}
        authy = None
        if spec.authy:
            backend = self.authy.backend
            number = parse_e164(spec.number)
            user = backend.create_user(
                email=f"{spec.number.lstrip('+')}@phones.twofa-sim.invalid",
                cellphone=number.national_number,
                country_code=number.country_code,
            )
            device = backend.register_device(user.id, name="iphone")
            # The Authy app keeps its token clock in step with Authy's servers, so its tokens
            # follow true time, not the phone's clock (an assumption: see the README).
            authy = AuthyApp(user.id, device, self.clock, backend)
        push = VerifyPushApp(push_identity(spec.number), self.verify.backend)
        if spec.verify_push:
            push.enroll(self.verify_service_sid())
        return Phone(
            spec.number, clock, self.network, apps, authy, push if spec.verify_push else None
        )

    def _service(self, name: str) -> FakeService:
        services: dict[str, FakeService] = {
            "twilio": self.twilio,
            "authy": self.authy,
            "verify": self.verify,
        }
        return services[name]

    def verify_service_sid(self, issuer: str = _DEFAULT_ISSUER, code_length: int = 6) -> str:
        """The SID of the Verify service named ``issuer`` with codes of ``code_length`` digits
        (created on first use; the default one, ``twofa-sim`` with 6 digits, at once)."""
        key = (issuer, code_length)
        sid = self._verify_services.get(key)
        if sid is None or sid not in self.verify.backend.services:
            service = self.verify.backend.create_service(issuer[:32], code_length=code_length)
            sid = self._verify_services[key] = service.sid
        return sid

    # --- using ------------------------------------------------------------------------------

    @property
    def services(self) -> tuple[FakeService, ...]:
        """Every fake: Twilio Messages, Authy, Twilio Verify."""
        return (self.twilio, self.authy, self.verify)

    def reference_service(
        self,
        *,
        store: Store | None = None,
        sqlite: str | os.PathLike[str] | None = None,
        policy: SecurityPolicy | None = None,
        random: Callable[[int], bytes] | None = None,
        issuer: str = "twofa-sim",
        parts: ServiceParts | None = None,
        provider: str | None = None,
    ) -> ReferenceService:
        """A reference service wired to this world's fakes and clock: the one place that wires
        one (a new instance on the same store or file is a restart: it knows only what the
        store kept).

        ``store``: where it keeps its state (a new :class:`~twofa_sim.reference.MemoryStore`
        if neither this nor ``sqlite`` is given); ``sqlite``: a file to open a
        :class:`~twofa_sim.reference.SqliteStore` on instead. ``random``: its random bytes (by
        default the world's stream ``reference/N`` for the N-th service drawing from it).
        ``parts``: the collaborators' classes, for a deliberately broken variant
        (:class:`~twofa_sim.reference.ServiceParts`). ``provider``: ``messages`` or ``verify``
        (default: the world's ``provider``); with ``verify`` the service gets a
        :class:`~twofa_sim.providers.verify.VerifyClient` on the Verify service named after the
        issuer, with the policy's code length, and sends, checks and pushes through it.
        """
        if store is not None and sqlite is not None:
            raise InputError("give a store or an SQLite file, not both", where="store")
        chosen = self.spec.provider if provider is None else provider
        if chosen not in PROVIDERS:
            raise InputError(
                f"unknown provider {chosen!r}", where="provider", hint=" or ".join(PROVIDERS)
            )
        if random is None:
            self._services += 1
            random = self.rng.stream(f"reference/{self._services}").randbytes
        verify = None
        if chosen == "verify":
            digits = (policy or SecurityPolicy()).sms_code_digits
            verify = VerifyClient(
                self.verify.account_sid,
                self.verify.auth_token,
                self.verify_service_sid(issuer, digits),
            )
        return ReferenceService(
            clock=self.clock,
            twilio=TwilioClient(self.twilio.account_sid, self.twilio.auth_token),
            authy=AuthyClient(self.authy.api_key),
            sms_from=SMS_FROM,
            store=SqliteStore(sqlite) if sqlite is not None else store,
            policy=policy,
            random=random,
            issuer=issuer,
            parts=parts,
            verify=verify,
        )

    def phone(self, number: str) -> Phone:
        """The phone with this number."""
        try:
            return self.phones[number]
        except KeyError:
            known = ", ".join(self.phones) or "none"
            raise InputError(
                f"no phone {number!r} in this world", hint=f"phones: {known}"
            ) from None

    def advance(self, by: float | str) -> float:
        """Move the world's clock (and so every phone's) by a duration."""
        return self.clock.advance(by)

    def now(self) -> float:
        return self.clock.now()

    def reset(self) -> None:
        """Forget every provider's state, the network's messages and the exchange logs (the
        default Verify service and the phones' push enrollments are made again)."""
        for service in self.services:
            service.reset()
        self.network.reset()
        self._verify_services.clear()
        for phone in self.phones.values():
            if phone.push is not None:
                phone.push.enroll(self.verify_service_sid())

    def __enter__(self) -> World:
        if self._stack is not None:
            raise TwofaSimError("this world is already entered")
        stack = ExitStack()
        try:
            stack.enter_context(mounted(*self.services))
            if self.spec.freeze_system_time:
                stack.enter_context(frozen_system_time(self.clock))
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def fingerprint(self) -> Iterator[str]:
        """Every value the seed decided, one line each, for comparing two worlds byte for byte.

        It holds secrets and codes (that is the point): compare it, never print it in a report.
        """
        yield f"seed={self.spec.seed!r} start={self.spec.start!r}"
        yield f"twilio={self.twilio.account_sid} {self.twilio.auth_token}"
        yield f"authy={self.authy.api_key}"
        yield f"verify={self.verify.account_sid} services={sorted(self._verify_services.items())}"
        for number, phone in self.phones.items():
            if phone.authy is not None:
                yield f"{number} authy_id={phone.authy.authy_id} device={phone.authy.device.id}"
                yield f"{number} authy_secret={phone.authy.device.secret.hex()}"
            if phone.push is not None:
                yield f"{number} push={phone.push.identity} {phone.push.factor_sid}"
        for service in self.services:
            for exchange in service.exchanges:
                yield f"{exchange.provider} {exchange.at!r} {exchange.endpoint} {exchange.status}"
                yield f"  {exchange.request!r} -> {exchange.response!r}"
        for number in self.phones:
            for sms in self.network.inbox(number):
                yield f"sms {sms!r}"
        for sms in self.network.in_flight():
            yield f"in flight {sms!r}"
        for sms in self.network.lost:
            yield f"lost {sms!r}"
        backend = self.authy.backend
        for token in backend.tokens:
            yield f"authy token {token!r}"
        for request in backend.requests.values():
            yield f"approval {request!r}"
        for callback in backend.callbacks:
            yield f"callback {callback!r}"


# --- reading a description ---------------------------------------------------------------------


def _read_spec(description: Mapping[str, Any], where: str) -> WorldSpec:
    if not isinstance(description, Mapping):
        raise InputError("must be a mapping", where=where)
    _only(description, set(WORLD_KEYS), where)
    seed = description.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise InputError(
            f"seed must be an integer or a string, not {seed!r}", where=f"{where}.seed"
        )
    start = _field(parse_instant, description.get("start", _DEFAULT_START), f"{where}.start")
    phones = tuple(
        _read_phone(item, f"{where}.phones[{index}]")
        for index, item in enumerate(_list(description.get("phones", []), f"{where}.phones"))
    )
    numbers = [p.number for p in phones]
    for number in numbers:
        if numbers.count(number) > 1:
            raise InputError(f"phone {number} is listed twice", where=f"{where}.phones")
    delivery = _read_delivery(description.get("sms", {}), f"{where}.sms")
    faults = _read_faults(description.get("faults", {}), f"{where}.faults")
    freeze = description.get("freeze_system_time", False)
    if not isinstance(freeze, bool):
        raise InputError("must be true or false", where=f"{where}.freeze_system_time")
    provider = description.get("provider", "messages")
    if provider not in PROVIDERS:
        raise InputError(
            f"unknown provider {provider!r}",
            where=f"{where}.provider",
            hint=" or ".join(PROVIDERS),
        )
    return WorldSpec(seed, start, phones, delivery, faults, freeze, str(provider))


def _read_phone(item: object, where: str) -> PhoneSpec:
    if not isinstance(item, Mapping):
        raise InputError("a phone must be a mapping with at least a number", where=where)
    _only(item, {"number", "offset", "drift_ppm", "apps", "authy", "verify_push"}, where)
    number = _field(parse_e164, item.get("number"), f"{where}.number").e164
    offset = _field(parse_duration, item.get("offset", 0), f"{where}.offset")
    drift = item.get("drift_ppm", 0)
    if isinstance(drift, bool) or not isinstance(drift, int | float) or not math.isfinite(drift):
        raise InputError(f"drift_ppm must be a number, not {drift!r}", where=f"{where}.drift_ppm")
    apps = _list(item.get("apps", []), f"{where}.apps")
    from twofa_sim.core.appcompat import load_profiles

    known = {p.id for p in load_profiles()}
    for index, app in enumerate(apps):
        if not isinstance(app, str) or app not in known:
            raise InputError(
                f"unknown app profile {app!r}",
                where=f"{where}.apps[{index}]",
                hint=f"known: {', '.join(sorted(known))}",
            )
    authy = item.get("authy", False)
    if not isinstance(authy, bool):
        raise InputError("must be true or false", where=f"{where}.authy")
    push = item.get("verify_push", False)
    if not isinstance(push, bool):
        raise InputError("must be true or false", where=f"{where}.verify_push")
    return PhoneSpec(number, offset, float(drift), tuple(apps), authy, push)


def _read_delivery(item: object, where: str) -> Delivery:
    if not isinstance(item, Mapping):
        raise InputError("must be a mapping", where=where)
    _only(item, {"delay", "jitter", "loss", "duplicate"}, where)
    options: dict[str, float] = {}
    for name in ("delay", "jitter"):
        if name in item:
            options[name] = _field(parse_duration, item[name], f"{where}.{name}")
    for name in ("loss", "duplicate"):
        if name in item:
            value = item[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"must be a probability 0-1, not {value!r}", where=f"{where}.{name}"
                )
            options[name] = float(value)
    delivery: Delivery = _field(lambda _: Delivery(**options), None, where)
    return delivery


def _read_faults(item: object, where: str) -> tuple[FaultSpec, ...]:
    if not isinstance(item, Mapping):
        raise InputError("must be a mapping of provider to a list of faults", where=where)
    _only(item, {"twilio", "authy", "verify"}, where)
    faults = []
    for provider, rules in item.items():
        for index, rule in enumerate(_list(rules, f"{where}.{provider}")):
            faults.append(_read_fault(provider, rule, f"{where}.{provider}[{index}]"))
    return tuple(faults)


def _read_fault(provider: str, rule: object, where: str) -> FaultSpec:
    if not isinstance(rule, Mapping):
        raise InputError("a fault must be a mapping with at least a kind", where=where)
    _only(rule, {"kind", "endpoint", "start", "until", "probability", "times", "seconds"}, where)
    kind = rule.get("kind")
    if kind not in FAULT_KINDS:
        raise InputError(
            f"unknown fault kind {kind!r}",
            where=f"{where}.kind",
            hint=f"one of {', '.join(FAULT_KINDS)}",
        )
    start = _field(parse_duration, rule["start"], f"{where}.start") if "start" in rule else None
    until = _field(parse_duration, rule["until"], f"{where}.until") if "until" in rule else None
    if start is not None and until is not None and until <= start:
        raise InputError("until must come after start", where=f"{where}.until")
    seconds = _field(parse_duration, rule.get("seconds", 0), f"{where}.seconds")
    times = rule.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise InputError(
            f"times must be a whole number >= 1, not {times!r}", where=f"{where}.times"
        )
    probability = rule.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise InputError(
            f"probability must be a number 0-1, not {probability!r}", where=f"{where}.probability"
        )
    endpoint = rule.get("endpoint")
    endpoints = _ENDPOINTS[provider]
    if endpoint is not None and endpoint not in endpoints:
        raise InputError(
            f"{provider} has no endpoint {endpoint!r}",
            where=f"{where}.endpoint",
            hint=f"one of {', '.join(endpoints)}",
        )
    spec = FaultSpec(
        provider,
        str(kind),
        endpoint=endpoint,
        start=start,
        until=until,
        probability=float(probability),
        times=times,
        seconds=seconds,
    )
    # Let FaultRule check the values it owns (probability, latency seconds...).
    _field(
        lambda _: FaultRule(
            spec.kind,  # type: ignore[arg-type]
            endpoint=spec.endpoint,
            probability=spec.probability,
            times=spec.times,
            seconds=spec.seconds,
        ),
        None,
        where,
    )
    return spec


_ENDPOINTS = {
    "twilio": twilio_urls.ENDPOINTS,
    "authy": authy_urls.ENDPOINTS,
    "verify": verify_urls.ENDPOINTS,
}


def _only(item: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise InputError(
            f"unknown field {unknown[0]!r}",
            where=where,
            hint=f"allowed: {', '.join(sorted(allowed))}",
        )


def _list(item: object, where: str) -> Sequence[Any]:
    if not isinstance(item, list | tuple):
        raise InputError(f"must be a list, not {type(item).__name__}", where=where)
    return item


def _field(read: Any, value: Any, where: str) -> Any:
    """``read(value)``, with any InputError it raises located at ``where``."""
    try:
        return read(value)
    except InputError as exc:
        raise exc.at(where) from None
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), where=where) from None

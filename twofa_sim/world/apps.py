"""Phones and the authenticator apps on them: scan a QR PNG, show codes at the phone's own time.

An :class:`AuthenticatorApp` behaves as its :class:`~twofa_sim.core.appcompat.AppProfile` says real
apps do: for every parameter a URI sets to a non-default value (algorithm, digits, period) it
honours it, ignores it (and shows SHA1/6/30 codes that silently fail) or refuses the scan. The
scan is a real decode of the image with zbar; codes come from pyotp, an implementation
independent of the verifier in :mod:`twofa_sim.core.otp`, at the phone's :class:`DeviceClock` time.

>>> from twofa_sim.core.clock import DeviceClock, VirtualClock
>>> from twofa_sim.core.keyuri import build_uri
>>> from twofa_sim.core.qr import render_png
>>> clock = VirtualClock(59)
>>> app = AuthenticatorApp("freeotp-2018", DeviceClock(clock))
>>> uri = build_uri(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", account="a", issuer="X", digits=8)
>>> app.scan(render_png(uri)).accepted
True
>>> app.code("X", "a")
'94287082'
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyotp
from PIL import Image, UnidentifiedImageError

from twofa_sim.core.appcompat import PARAMETERS, AppProfile, Parameter, Support, profile
from twofa_sim.core.clock import Clock
from twofa_sim.core.keyuri import KeyUri, parse_uri
from twofa_sim.core.otp import MAX_COUNTER
from twofa_sim.core.qr import decode_zbar
from twofa_sim.errors import KeyUriError, NoSuchAccountError, TwofaSimError
from twofa_sim.providers.authy.models import ApprovalRequest, AuthyBackend, Device
from twofa_sim.providers.network import Sms, SmsNetwork
from twofa_sim.providers.verify.models import Challenge, VerifyBackend

__all__ = [
    "AppAccount",
    "AuthenticatorApp",
    "AuthyApp",
    "NoSuchAccountError",
    "Phone",
    "ScanResult",
    "VerifyPushApp",
]

_DEFAULTS: dict[Parameter, object] = {"algorithm": "SHA1", "digits": 6, "period": 30}
_DIGESTS: dict[str, Callable[..., Any]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}


class _AnyLengthHOTP(pyotp.HOTP):
    # Real apps take the Key URI Format's own 80-bit example; pyotp refuses keys under 112 bits
    # unless a subclass lowers the bar (its documented extension point).
    min_secret_length_bits: ClassVar[int] = 0


@dataclass(frozen=True)
class AppAccount:
    """One entry in an app: what the URI asked for and what the app actually uses.

    ``ignored`` names the parameters the app replaced by its default (its codes are then wrong
    for the server); ``assumed`` names those for which no report says what the app does, taken
    as honoured.
    """

    uri: KeyUri
    algorithm: str
    digits: int
    period: int
    counter: int | None
    ignored: tuple[Parameter, ...] = ()
    assumed: tuple[Parameter, ...] = ()

    @property
    def issuer(self) -> str | None:
        return self.uri.issuer

    @property
    def name(self) -> str:
        return self.uri.account


@dataclass(frozen=True)
class ScanResult:
    """What happened when an app scanned an image: the account added, or why the scan failed."""

    accepted: bool
    account: AppAccount | None = None
    reason: str = ""


def _impossible(used: dict[Parameter, object], counter: int | None) -> str:
    """What no app can compute codes with (a URI's nonsense values), or ''."""
    digits, period = used["digits"], used["period"]
    if not isinstance(digits, int) or not 6 <= digits <= 10:
        return f"digits={digits}"
    if not isinstance(period, int) or period < 1:
        return f"period={period}"
    if counter is not None and not 0 <= counter <= MAX_COUNTER:
        return f"counter={counter}"
    return ""


@dataclass
class AuthenticatorApp:
    """A TOTP/HOTP authenticator app of one profile, running on a phone whose clock is ``clock``."""

    profile_id: str
    clock: Clock
    accounts: list[AppAccount] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.profile: AppProfile = profile(self.profile_id)
        self._counters: dict[int, int] = {}

    def scan(self, png: bytes) -> ScanResult:
        """Scan a QR code image, as the app's camera would, and add the account if it can."""
        try:
            with Image.open(io.BytesIO(png)) as image:
                image.load()
                texts = decode_zbar(image)
        except (UnidentifiedImageError, OSError):
            return ScanResult(False, reason="not an image")
        if not texts:
            return ScanResult(False, reason="no QR code found")
        if len(texts) > 1:
            return ScanResult(False, reason=f"{len(texts)} QR codes in view")
        return self.add_uri(texts[0])

    def add_uri(self, uri: str) -> ScanResult:
        """Add an account from an otpauth URI (what a scan does once the code is read)."""
        try:
            parsed = parse_uri(uri)
        except KeyUriError as exc:
            return ScanResult(False, reason=f"not a usable otpauth URI: {exc.what}")
        asked: dict[Parameter, object] = {
            "algorithm": parsed.algorithm,
            "digits": parsed.digits,
            "period": parsed.period if parsed.type == "totp" else 30,
        }
        used, ignored, assumed = dict(asked), [], []
        for parameter in PARAMETERS:
            if asked[parameter] == _DEFAULTS[parameter]:
                continue
            support = self.profile.support(parameter)
            if support is Support.REFUSED:
                return ScanResult(
                    False,
                    reason=f"{self.profile.label} refuses {parameter}={asked[parameter]}",
                )
            if support is Support.IGNORED:
                used[parameter] = _DEFAULTS[parameter]
                ignored.append(parameter)
            elif support is None:
                assumed.append(parameter)
        if used["algorithm"] not in _DIGESTS:
            return ScanResult(False, reason=f"unsupported algorithm {used['algorithm']}")
        impossible = _impossible(used, parsed.counter if parsed.type == "hotp" else None)
        if impossible:
            return ScanResult(False, reason=f"{self.profile.label} cannot use {impossible}")
        account = AppAccount(
            uri=parsed,
            algorithm=str(used["algorithm"]),
            digits=int(str(used["digits"])),
            period=int(str(used["period"])),
            counter=parsed.counter if parsed.type == "hotp" else None,
            ignored=tuple(ignored),
            assumed=tuple(assumed),
        )
        self.accounts.append(account)
        if account.counter is not None:
            self._counters[len(self.accounts) - 1] = account.counter
        return ScanResult(True, account)

    def find(self, issuer: str | None, name: str) -> AppAccount:
        """The account for ``issuer`` and account ``name`` (the newest if scanned twice)."""
        return self.accounts[self._index(issuer, name)]

    def code(self, issuer: str | None, name: str) -> str:
        """The code the app shows now for that account (TOTP at the phone's time)."""
        index = self._index(issuer, name)
        account = self.accounts[index]
        generator = _AnyLengthHOTP(
            account.uri.secret.upper().replace(" ", "").rstrip("="),
            digits=account.digits,
            digest=_DIGESTS[account.algorithm],
        )
        if account.counter is not None:
            return generator.at(self._counters[index])
        return generator.at(int(self.clock.now() // account.period))

    def press(self, issuer: str | None, name: str) -> str:
        """HOTP: show the next code (the counter moves on whether or not it is used)."""
        index = self._index(issuer, name)
        if self.accounts[index].counter is None:
            raise TwofaSimError(f"{name!r} is a TOTP account: it has no button to press")
        self._counters[index] += 1
        return self.code(issuer, name)

    def _index(self, issuer: str | None, name: str) -> int:
        for index in range(len(self.accounts) - 1, -1, -1):
            account = self.accounts[index]
            if account.name == name and (issuer is None or account.issuer == issuer):
                return index
        raise NoSuchAccountError(f"{self.profile.label} has no account {issuer}:{name}")


class AuthyApp:
    """The Authy app on a phone whose number is an Authy user: Authy's own tokens and pushes.

    Tokens are Authy's, not the QR kind: the last 7 digits of an 8-digit SHA1 TOTP with a 10 s
    step, from the secret of this phone's registered device (computed here with pyotp, so the
    fake Authy API's verification is checked by an independent implementation). OneTouch
    approval requests are answered through the Authy backend, as the real app answers through
    Authy's cloud.
    """

    STEP = 10
    SHOWN_DIGITS = 7

    def __init__(self, authy_id: int, device: Device, clock: Clock, backend: AuthyBackend) -> None:
        self.authy_id = authy_id
        self.device = device
        self.clock = clock
        self._backend = backend

    def token(self) -> str:
        """The token the app shows now, at the phone's time."""
        secret = base64.b32encode(self.device.secret).decode("ascii")
        generator = _AnyLengthHOTP(secret, digits=8, digest=hashlib.sha1)
        return generator.at(int(self.clock.now() // self.STEP))[-self.SHOWN_DIGITS :]

    def pending(self) -> list[ApprovalRequest]:
        """OneTouch approval requests waiting for an answer on this phone."""
        return list(self._backend.pending_requests(self.authy_id))

    def approve(self, uuid: str) -> None:
        """Tap "Approve" on a OneTouch request."""
        self._backend.respond(uuid, True, device_id=self.device.id)

    def deny(self, uuid: str) -> None:
        """Tap "Deny" on a OneTouch request."""
        self._backend.respond(uuid, False, device_id=self.device.id)


class VerifyPushApp:
    """A Verify Push app on a phone (what the Verify Push SDK does): enrolled for one identity,
    it sees the push challenges raised for its factor and approves or denies them through the
    Verify backend, as the SDK answers with its signed payload."""

    def __init__(self, identity: str, backend: VerifyBackend) -> None:
        self.identity = identity
        self.factor_sid: str | None = None
        self._backend = backend

    def enroll(self, service_sid: str) -> str:
        """Register and verify a push factor for :attr:`identity`; its SID."""
        factor = self._backend.enroll_push(service_sid, self.identity)
        self.factor_sid = factor.sid
        return factor.sid

    def pending(self) -> list[Challenge]:
        """Push challenges waiting for an answer on this phone, oldest first."""
        if self.factor_sid is None:
            return []
        return list(self._backend.pending_challenges(self.factor_sid))

    def approve(self, sid: str) -> None:
        """Tap "Approve" on a push challenge."""
        self._backend.respond(sid, True)

    def deny(self, sid: str) -> None:
        """Tap "Deny" on a push challenge."""
        self._backend.respond(sid, False)


@dataclass
class Phone:
    """A phone: a number that receives SMS, a clock of its own, and the apps it runs."""

    number: str
    clock: Clock
    network: SmsNetwork
    apps: dict[str, AuthenticatorApp] = field(default_factory=dict)
    authy: AuthyApp | None = None
    push: VerifyPushApp | None = None
    """A Verify Push app, when the phone runs one."""

    def app(self, profile_id: str | None = None) -> AuthenticatorApp:
        """The app of that profile; without one, the phone's only app."""
        if profile_id is None:
            if len(self.apps) != 1:
                raise TwofaSimError(
                    f"phone {self.number} runs {len(self.apps)} apps; name one: "
                    + ", ".join(self.apps)
                )
            return next(iter(self.apps.values()))
        try:
            return self.apps[profile_id]
        except KeyError:
            raise TwofaSimError(f"phone {self.number} does not run {profile_id}") from None

    def inbox(self) -> list[Sms]:
        """The SMS delivered to this phone so far, in arrival order."""
        return self.network.inbox(self.number)

    def latest_code(self) -> str | None:
        """The code in the newest SMS (what a user would type), or None."""
        return self.network.latest_code(self.number)

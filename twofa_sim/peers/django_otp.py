"""``django-otp``: the scenario library against django-otp's real models, forms and middleware.

A QA engineer rarely tests a home-made 2FA: they test the library their service is built on.
This target is a small Django site built the way django-otp's documentation describes one,
and every security decision in it is django-otp's (or django-otp-twilio's, or Django's):

* **TOTP** (``otp_totp.TOTPDevice``): "Click here to generate" creates an unconfirmed device
  (its key from django-otp's own ``default_key``) and shows its ``config_url`` as a QR code;
  the confirmation code goes to the device's ``verify_token`` (its ``tolerance``, ``drift``
  and ``last_t`` replay guard, its throttling); the device is confirmed when that says yes.
* **SMS** (``otp_twilio.TwilioSMSDevice``): "Verify Phone Number" creates an unconfirmed
  device and calls ``generate_challenge``, which posts to ``api.twilio.com`` with ``requests``
  (the world's fake Twilio answers) using ``OTP_TWILIO_ACCOUNT``, ``OTP_TWILIO_AUTH`` and
  ``OTP_TWILIO_FROM`` from the context; ``OTP_TWILIO_TOKEN_VALIDITY`` is django-otp-twilio's
  default (30 s) unless the scenario sets ``sms_code_ttl``.
* **Recovery codes** (``otp_static.StaticDevice`` / ``StaticToken``): ten tokens from
  ``StaticToken.random_token()``, as django-two-factor-auth makes them; new codes replace old.
* **Login**: the password through Django's ``AuthenticationForm`` and ``django.contrib.auth
  .login`` (a session: its key is the login id), then the second factor through django-otp's
  own ``OTPTokenForm`` (device chosen, token or ``otp_challenge`` to have an SMS sent) and
  ``django_otp.login`` on success: django-otp's documented two-step deployment. Every request
  goes through the real middleware (sessions, authentication, ``OTPMiddleware``).
* **Logged in** is what django-otp says: a view behind ``otp_required(if_configured=True)``
  answers (the user ``is_verified()``, or has no device at all) instead of redirecting.

Mapping, not deciding: django-otp answers "invalid token" for every refused code (wrong,
replayed, expired, stale) and "verification temporarily disabled" while it throttles; the
target reports those as ``wrong_code`` and ``throttled`` (with the ``retry_after`` django-otp
states), so reason-level expectations (``replayed``, ``expired``) cannot be met: the target
declares ``reports_reasons = {"throttled"}``, the one reason django-otp tells apart.
:attr:`AccountView.locked` is true while one of the user's confirmed devices refuses to verify
(django-otp throttles per device; it has no account lockout).

Policy: the scenario's ``given.policy`` overrides that django-otp has a setting for are applied
(:data:`HONOURED_POLICY`); the others are recorded in ``ignored_policy`` and not applied.

Time and randomness: django-otp reads the system time (``time.time()``, ``timezone.now()``),
so the target sets ``reads_system_time`` and the runner keeps the system time on the virtual
clock. Keys, SMS codes and static tokens come from django-otp's own generators
(``os.urandom``, ``SystemRandom``), not from the scenario's seed: a run's verdicts replay, its
codes do not (no code or secret is ever written to a report).

Needs the ``[django]`` extra (``pip install 'twofa-sim[django]'``); without it the target
refuses with an :class:`~twofa_sim.errors.InputError` naming the extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

from twofa_sim.core.secret import mask_phone
from twofa_sim.errors import InputError, ProviderUnavailableError, UnknownUserError
from twofa_sim.peers.djangoapp import Site, package_versions, require_packages
from twofa_sim.scenario.target import (
    AccountView,
    AuditView,
    Challenge,
    Enrollment,
    LoginResult,
    Notification,
    Outcome,
    TargetContext,
)

__all__ = ["HONOURED_POLICY", "DjangoOtpTarget"]

HONOURED_POLICY: dict[str, str] = {
    "totp.steps_back": "TOTPDevice.tolerance (only together with an equal steps_forward)",
    "totp.steps_forward": "TOTPDevice.tolerance (only together with an equal steps_back)",
    "totp.track_drift": "OTP_TOTP_SYNC",
    "sms_code_ttl": "OTP_TWILIO_TOKEN_VALIDITY",
    "backoff_factor": "OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR, "
    "OTP_TWILIO_THROTTLE_FACTOR",
}
"""Reference policy fields django-otp has a setting for, and the setting each one sets."""

TOTP_LABEL = "otp_totp.totpdevice"
SMS_LABEL = "otp_twilio.twiliosmsdevice"
STATIC_LABEL = "otp_static.staticdevice"
FACTOR_MODELS: dict[str, str] = {"sms": SMS_LABEL, "totp": TOTP_LABEL, "recovery": STATIC_LABEL}
"""The scenario factor each django-otp device model stands for."""

RECOVERY_CODES = 10
"""How many static tokens a user gets (django-two-factor-auth's number)."""


def _model(label: str) -> Any:
    from django.apps import apps

    return apps.get_model(label)


def _seconds(value: Any, where: str) -> float:
    from twofa_sim.core.clock import parse_duration

    try:
        return float(parse_duration(value))
    except InputError as exc:
        raise InputError(exc.what, where=where, hint=exc.hint) from None


class DjangoOtpTarget:
    """django-otp 1.x with django-otp-twilio, in-process (see the module docstring)."""

    name = "django-otp"
    features: frozenset[str] = frozenset({"recovery", "restart", "storage"})
    reads_system_time: ClassVar[bool] = True
    """django-otp reads ``time.time()`` and ``timezone.now()``: run it inside the bridge."""
    policy_settings: ClassVar[frozenset[str]] = frozenset(HONOURED_POLICY)
    """Scenarios that set any other policy key are not applicable to django-otp."""
    reports_reasons: ClassVar[frozenset[str]] = frozenset({"throttled"})
    """django-otp tells one refusal apart: a device that is throttled (``verify_is_allowed``
    says so, with the time to wait). Every other refused code is "invalid token" to it:
    ``wrong_code`` here, whatever the cause (replayed, expired, stale)."""
    packages: ClassVar[tuple[str, ...]] = ("Django", "django-otp", "django-otp-twilio")
    factor_models: ClassVar[Mapping[str, str]] = FACTOR_MODELS
    """The device model (app label) behind each scenario factor; a site built on django-otp
    with another SMS device (django-two-factor-auth's) swaps ``sms``."""

    def __init__(self, context: TargetContext) -> None:
        require_packages(self.name, self.packages)
        self.context = context
        self.ignored_policy: list[str] = []
        """The scenario's policy overrides django-otp has no setting for (not applied)."""
        settings, tolerance, sync = self._settings(context)
        self.tolerance = tolerance
        self.policy = SimpleNamespace(totp=self._totp_policy(tolerance, sync))
        self.site = Site(settings, context.workdir)

    # --- configuration ----------------------------------------------------------------------

    def _settings(self, context: TargetContext) -> tuple[dict[str, Any], int, bool]:
        """The Django settings of this scenario's site, its TOTP tolerance and drift sync."""
        defaults = self.default_policy()
        tolerance = int(defaults["totp"]["steps_back"])
        sync = bool(defaults["totp"]["track_drift"])
        ttl: float = defaults["sms_code_ttl"]
        factor: float = defaults["backoff_factor"]
        for key, value in context.policy.items():
            where = f"given.policy.{key}"
            if key == "totp" and isinstance(value, Mapping):
                back = value.get("steps_back", tolerance)
                forward = value.get("steps_forward", tolerance)
                if back == forward and isinstance(back, int) and not isinstance(back, bool):
                    tolerance = back
                else:
                    self.ignored_policy.append("totp.steps_back/steps_forward (not equal)")
                if "track_drift" in value:
                    sync = bool(value["track_drift"])
                self.ignored_policy += [
                    f"totp.{name}"
                    for name in value
                    if name not in ("steps_back", "steps_forward", "track_drift")
                ]
            elif key == "sms_code_ttl":
                ttl = _seconds(value, where)
            elif key == "backoff_factor":
                factor = _seconds(value, where)
            elif key != "code_hash_iterations":  # the site's hasher is fixed (see djangoapp)
                self.ignored_policy.append(key)
        settings = {
            "OTP_TOTP_ISSUER": context.issuer,
            "OTP_TOTP_SYNC": sync,
            "OTP_TOTP_THROTTLE_FACTOR": factor,
            "OTP_STATIC_THROTTLE_FACTOR": factor,
            "OTP_TWILIO_THROTTLE_FACTOR": factor,
            "OTP_TWILIO_ACCOUNT": context.twilio_account_sid,
            "OTP_TWILIO_AUTH": context.twilio_auth_token,
            "OTP_TWILIO_FROM": context.sms_from,
            "OTP_TWILIO_TOKEN_VALIDITY": int(ttl),
        }
        return settings, tolerance, sync

    @staticmethod
    def _totp_policy(tolerance: int, sync: bool) -> Any:
        from twofa_sim.core.otp import TotpPolicy

        # django-otp: tolerance each way, last_t replay guard, drift sync with no limit.
        return TotpPolicy(
            steps_back=tolerance,
            steps_forward=tolerance,
            replay_protection=True,
            track_drift=sync,
            max_drift_steps=None,
            diagnose_steps=0,
        )

    @staticmethod
    def unhonoured_policy(policy: Mapping[str, Any]) -> list[str]:
        """Overrides of honoured keys whose values django-otp cannot take (the runner makes the
        scenario not applicable): a window that is not the same number of steps each way."""
        totp = policy.get("totp")
        if isinstance(totp, Mapping) and totp.get("steps_back", 1) != totp.get("steps_forward", 1):
            return ["totp.steps_back/steps_forward (TOTPDevice.tolerance is one number)"]
        return []

    @classmethod
    def default_policy(cls) -> dict[str, Any]:
        """What a site gets from django-otp's and django-otp-twilio's defaults (read from the
        installed packages), in the reference policy's field names where one exists."""
        require_packages(cls.name, cls.packages)
        from twofa_sim.peers.djangoapp import ensure_configured

        ensure_configured()
        from otp_twilio.conf import settings as twilio_settings

        tolerance = _model(TOTP_LABEL)._meta.get_field("tolerance").default
        return {
            "totp": {
                "steps_back": tolerance,
                "steps_forward": tolerance,
                "replay_protection": True,
                "track_drift": True,
                "max_drift_steps": None,
            },
            "sms_code_ttl": float(twilio_settings._defaults["OTP_TWILIO_TOKEN_VALIDITY"]),
            "sms_code_digits": 6,
            "backoff_factor": 1.0,
            "backoff_cap": None,
            "max_consecutive_failures": None,
            "lockout_duration": None,
            "resend_cooldown": None,
            "login_ttl": None,
            "recovery_codes": RECOVERY_CODES,
        }

    @classmethod
    def versions(cls) -> dict[str, str]:
        """The installed versions of the packages this target tests."""
        return package_versions(cls.packages)

    def close(self) -> None:
        self.site.close()

    # --- helpers ------------------------------------------------------------------------------

    def _user(self, user: str) -> Any:
        from django.contrib.auth import get_user_model

        self.site.activate()
        try:
            return get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise UnknownUserError(f"no user {user!r}", where="user") from None

    @staticmethod
    def _devices(owner: Any, label: str, confirmed: bool | None = True) -> list[Any]:
        devices = _model(label).objects.devices_for_user(owner, confirmed=confirmed)
        return list(devices.order_by("-id"))

    @staticmethod
    def _throttled(device: Any) -> Outcome | None:
        """django-otp's own answer to "may this device verify now?", as an outcome."""
        from django.utils import timezone

        allowed, data = device.verify_is_allowed()
        if allowed:
            return None
        data = data or {}
        until = data.get("locked_until")
        wait = (until - timezone.now()).total_seconds() if until is not None else None
        detail = str(data.get("error_message", "verification temporarily disabled"))
        return Outcome(False, "throttled", retry_after=wait, detail=f"django-otp: {detail}")

    def _verify(self, device: Any, code: str | None) -> Outcome:
        """A code checked the way django-otp's forms check one: verify_is_allowed first, then
        verify_token."""
        from django.db import transaction

        with transaction.atomic():
            refused = self._throttled(device)
            if refused is not None:
                return refused
            if device.verify_token(code or ""):
                return Outcome(True, "accepted")
        return Outcome(False, "wrong_code", detail="django-otp: invalid token")

    @staticmethod
    def _provider_error(exc: BaseException) -> Exception:
        """What an exception from django-otp-twilio's delivery means: a number Twilio refuses
        (HTTP 400, error 21211 and its kin) is bad input; anything else, the provider failed."""
        import requests

        response = getattr(exc, "response", None)
        if isinstance(exc, requests.HTTPError) and response is not None:
            status = response.status_code
            try:
                code = response.json().get("code")
            except ValueError:
                code = None
            if status == 400 and code in (21211, 21614, 21612, 21408):
                return InputError("Twilio refused the phone number", where="phone")
            return ProviderUnavailableError("SMS", f"Twilio answered HTTP {status}")
        return ProviderUnavailableError("SMS", type(exc).__name__)

    def _send_sms(self, device: Any) -> None:
        """django-otp-twilio's ``generate_challenge``: a new token, posted to Twilio."""
        try:
            device.generate_challenge()
        except Exception as exc:
            raise self._provider_error(exc) from exc

    def _challenge(self, request_id: str, device: Any) -> Challenge:
        expires = device.valid_until.timestamp()
        return Challenge(request_id, "sms", expires, mask_phone(device.number))

    def _request(
        self, view: Callable[[Any], Any], login_id: str | None = None, **data: str
    ) -> tuple[Any, str | None]:
        return self.site.request(view, session=login_id, data=data)

    @staticmethod
    def _session_user(request: Any, user: str) -> Any:
        """The user the session is logged in as (by its password), if it is ``user``."""
        current = request.user
        if current.is_authenticated and current.get_username() == user:
            return current
        return None

    # --- the flow -----------------------------------------------------------------------------

    def register(self, user: str, password: str) -> None:
        from django.contrib.auth import get_user_model

        self.site.activate()
        model = get_user_model()
        if model.objects.filter(username=user).exists():
            raise InputError(f"user {user!r} exists already", where="user")
        model.objects.create_user(username=user, password=password)

    def start_phone_verification(self, user: str, phone: str, method: str) -> Challenge:
        """An unconfirmed ``TwilioSMSDevice`` for the number, and its challenge sent (always by
        SMS: there is no Authy here). A pending number replaces a pending one."""
        owner = self._user(user)
        for pending in self._devices(owner, self.factor_models["sms"], confirmed=False):
            pending.delete()
        device = self._new_phone_device(owner, phone)
        self._send_sms(device)
        return self._challenge(device.persistent_id, device)

    def _new_phone_device(self, owner: Any, phone: str) -> Any:
        """An unconfirmed SMS device for the number (django-otp-twilio's ``TwilioSMSDevice``)."""
        return _model(self.factor_models["sms"]).objects.create(
            user=owner, name="phone", number=phone, confirmed=False
        )

    def confirm_phone(self, user: str, request_id: str, code: str | None) -> Outcome:
        """The device's ``verify_token``; on success it is confirmed and replaces the old
        number's device."""
        from django_otp.models import Device

        owner = self._user(user)
        device = Device.from_persistent_id(request_id)
        if device is None or device.user_id != owner.pk or device.confirmed:
            return Outcome(False, "unknown_request")
        outcome = self._verify(device, code)
        if outcome.ok:
            for old in self._devices(owner, self.factor_models["sms"]):
                old.delete()
            device.confirmed = True
            device.save()
        return outcome

    def change_phone(self, user: str, phone: str, method: str) -> Challenge:
        """The same as a first number: the confirmed device stays until the new one confirms."""
        return self.start_phone_verification(user, phone, method)

    def generate_qr(self, user: str) -> Enrollment:
        """An unconfirmed ``TOTPDevice`` (django-otp's default key) and its ``config_url``."""
        from twofa_sim.core.qr import render_png

        owner = self._user(user)
        for pending in self._devices(owner, TOTP_LABEL, confirmed=False):
            pending.delete()
        device = _model(TOTP_LABEL).objects.create(
            user=owner, name="authenticator", confirmed=False, tolerance=self.tolerance
        )
        uri = device.config_url
        return Enrollment(uri, render_png(uri), confirmed=False)

    def confirm_totp(self, user: str, code: str) -> Outcome:
        owner = self._user(user)
        pending = self._devices(owner, TOTP_LABEL, confirmed=False)
        if not pending:
            return Outcome(False, "nothing_pending")
        device = pending[0]
        outcome = self._verify(device, code)
        if outcome.ok:
            for old in self._devices(owner, TOTP_LABEL):
                old.delete()
            device.confirmed = True
            device.save()
        return outcome

    def login(self, user: str, password: str) -> LoginResult:
        """Django's ``AuthenticationForm`` and ``login``; a second factor is wanted when
        django-otp finds a confirmed device (``user_has_device``)."""
        from django.contrib.auth import login as auth_login
        from django.contrib.auth.forms import AuthenticationForm
        from django.http import HttpResponse
        from django_otp import user_has_device

        answer: list[LoginResult] = []

        def view(request: Any) -> Any:
            form = AuthenticationForm(request, data=request.POST)
            if not form.is_valid():
                answer.append(LoginResult("refused", reason="bad_credentials"))
                return HttpResponse(status=200)
            account = form.get_user()
            auth_login(request, account)
            if user_has_device(account):
                factors = self._factors(account)
                answer.append(LoginResult("second_factor", "", factors))
            else:
                answer.append(LoginResult("logged_in", ""))
            return HttpResponse(status=200)

        _, session = self._request(view, username=user, password=password)
        result = answer[0]
        if result.status == "refused":
            return result
        return LoginResult(result.status, session, result.factors)

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        """django-otp's ``OTPTokenForm`` with the SMS device chosen and ``otp_challenge``
        pressed: django-otp-twilio sends a new token."""
        from django.http import HttpResponse
        from django_otp.forms import OTPTokenForm

        if channel != "sms":
            raise InputError(f"django-otp has no {channel}", where="channel")
        answer: list[Challenge | Exception] = []

        def view(request: Any) -> Any:
            account = self._session_user(request, user)
            if account is None:
                answer.append(InputError(f"no login {login_id!r} for {user}", where="login_id"))
                return HttpResponse(status=200)
            devices = self._devices(account, self.factor_models["sms"])
            if not devices:
                answer.append(InputError("no phone number is set up", where="channel"))
                return HttpResponse(status=200)
            form = OTPTokenForm(
                account,
                request,
                data={"otp_device": devices[0].persistent_id, "otp_challenge": "1"},
            )
            form.is_valid()
            errors = form.non_field_errors().as_data()
            codes = {error.code for error in errors}
            if "challenge_message" in codes:
                devices[0].refresh_from_db()
                answer.append(self._challenge(login_id, devices[0]))
            else:
                cause = next((e.__context__ for e in errors if e.__context__ is not None), None)
                answer.append(
                    self._provider_error(cause)
                    if cause is not None
                    else ProviderUnavailableError("SMS", "; ".join(sorted(map(str, codes))))
                )
            return HttpResponse(status=200)

        self._request(view, login_id)
        result = answer[0]
        if isinstance(result, Exception):
            raise result
        return result

    def verify_login(self, user: str, login_id: str, factor: str, code: str | None) -> Outcome:
        """django-otp's ``OTPTokenForm`` with the factor's device chosen and the code typed;
        ``django_otp.login`` when the form is valid."""
        import django_otp
        from django.http import HttpResponse
        from django_otp.forms import OTPTokenForm

        label = self.factor_models.get(factor)
        answer: list[Outcome] = []

        def view(request: Any) -> Any:
            account = self._session_user(request, user)
            if account is None:
                answer.append(Outcome(False, "unknown_request"))
                return HttpResponse(status=200)
            devices = self._devices(account, label) if label is not None else []
            if not devices:
                answer.append(Outcome(False, "no_such_factor"))
                return HttpResponse(status=200)
            device = devices[0]
            form = OTPTokenForm(
                account,
                request,
                data={"otp_device": device.persistent_id, "otp_token": code or ""},
            )
            if form.is_valid():
                django_otp.login(request, account.otp_device)
                answer.append(Outcome(True, "accepted"))
            else:
                answer.append(self._refusal(form, device))
            return HttpResponse(status=200)

        self._request(view, login_id)
        return answer[0]

    def _refusal(self, form: Any, device: Any) -> Outcome:
        """django-otp's form errors as an outcome: "invalid token" is ``wrong_code``, "please
        enter your OTP token" is ``malformed``, "verification temporarily disabled" is
        ``throttled`` (with the wait django-otp states)."""
        errors = [e for field in form.errors.as_data().values() for e in field]
        codes = {error.code for error in errors}
        messages = "; ".join(message for error in errors for message in error.messages)
        if "invalid_token" in codes:
            return Outcome(False, "wrong_code", detail=f"django-otp: {messages}")
        if "token_required" in codes:
            return Outcome(False, "malformed", detail=f"django-otp: {messages}")
        if "invalid_choice" in codes or "device_required" in codes:
            return Outcome(False, "no_such_factor", detail=f"django-otp: {messages}")
        device.refresh_from_db()
        throttled = self._throttled(device)
        if throttled is not None:
            return Outcome(False, "throttled", throttled.retry_after, f"django-otp: {messages}")
        return Outcome(False, "wrong_code", detail=f"django-otp: {messages}")

    def logged_in(self, user: str, login_id: str) -> bool:
        """Whether a page behind django-otp's ``otp_required(if_configured=True)`` opens for
        this session, as that user."""
        from django.http import HttpResponse
        from django_otp.decorators import otp_required

        who: list[str] = []

        def page(request: Any) -> Any:
            who.append(request.user.get_username())
            return HttpResponse(status=200)

        response, _ = self._request(otp_required(if_configured=True)(page), login_id)
        return bool(response.status_code == 200 and who == [user])

    def generate_recovery_codes(self, user: str) -> list[str]:
        """The user's ``StaticDevice`` with ten new ``StaticToken.random_token()`` tokens; the
        old tokens are deleted."""
        from django.db import transaction
        from django_otp.plugins.otp_static.models import StaticToken

        owner = self._user(user)
        with transaction.atomic():
            devices = self._devices(owner, STATIC_LABEL, confirmed=None)
            device = (
                devices[0]
                if devices
                else _model(STATIC_LABEL).objects.create(user=owner, name="backup")
            )
            device.token_set.all().delete()
            codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
            for code in codes:
                device.token_set.create(token=code)
        return codes

    def disable_two_factor(self, user: str, password: str) -> Outcome:
        """The password again (Django's ``check_password``), then every device deleted."""
        from django_otp import devices_for_user

        owner = self._user(user)
        if not owner.check_password(password):
            return Outcome(False, "bad_password")
        for device in list(devices_for_user(owner, confirmed=None)):
            device.delete()
        return Outcome(True, "disabled")

    # --- what a scenario may look at ------------------------------------------------------------

    def _factors(self, owner: Any) -> tuple[str, ...]:
        from django_otp import devices_for_user

        labels = {device.model_label() for device in devices_for_user(owner)}
        return tuple(factor for factor, label in self.factor_models.items() if label in labels)

    def account(self, user: str) -> AccountView:
        from django_otp import devices_for_user, user_has_device

        owner = self._user(user)
        phones = self._devices(owner, self.factor_models["sms"])
        locked = any(self._throttled(device) is not None for device in devices_for_user(owner))
        return AccountView(
            two_factor=user_has_device(owner),
            factors=self._factors(owner),
            phone=str(phones[0].number) if phones else None,
            locked=locked,
        )

    def audit_events(self) -> Sequence[AuditView]:
        """Always empty: django-otp keeps no audit log (feature ``audit`` absent)."""
        return []

    def notifications(self) -> Sequence[Notification]:
        """Always empty: django-otp tells the user nothing (feature ``notifications`` absent)."""
        return []

    def stored_bytes(self) -> bytes:
        """The site's SQLite database as it is on disk (feature ``storage``)."""
        return self.site.stored_bytes()

    def restart(self) -> None:
        """A new connection to the same database: everything django-otp keeps is in it."""
        self.site.restart()

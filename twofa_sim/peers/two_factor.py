"""``django-two-factor-auth``: the django-otp site with django-two-factor-auth's own phone device.

django-two-factor-auth (the usual layer on top of django-otp) brings its own SMS factor,
``two_factor.plugins.phonenumber.PhoneDevice``, instead of django-otp-twilio's: this target is
the :mod:`django-otp target <twofa_sim.peers.django_otp>` with that device, so what differs in
a comparison is django-two-factor-auth's doing. Every SMS decision is its own:

* **Numbers** go through ``validate_international_phonenumber`` (django-phonenumber-field and
  libphonenumber), as its phone setup form does; a number it refuses is invalid input.
* **Sending**: ``PhoneDevice.generate_challenge`` renders its SMS template and sends it through
  its Twilio gateway (``two_factor.gateways.twilio.gateway.Twilio``, the official ``twilio``
  library, which reaches the world's fake Twilio); it sends nothing while the device throttles.
* **Checking**: ``PhoneDevice.verify_token``: the code is a TOTP of the device's key at the
  step it was sent, accepted for that step and the five before the current one (about 150 to
  180 s), throttled by django-otp's ``ThrottlingMixin``; nothing records a code as used.

What is django-otp's here as in the ``django-otp`` target: TOTP (``TOTPDevice``), backup codes
(``StaticDevice``, ten ``StaticToken.random_token()``, as django-two-factor-auth makes them), and
the login (Django's ``AuthenticationForm``, django-otp's ``OTPTokenForm``, ``django_otp.login``,
``OTPMiddleware``). Not modelled: django-two-factor-auth's login and setup wizards
(``LoginView`` with its ``TWO_FACTOR_LOGIN_TIMEOUT`` of 600 s, "remember this device", the setup
wizard that verifies a TOTP before saving it) and its password-less ``DisableView``: scenarios
about those see django-otp's flow.

Needs the ``[django]`` extra (django-two-factor-auth, django-phonenumber-field, twilio).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from twofa_sim.core.secret import mask_phone
from twofa_sim.errors import InputError, ProviderUnavailableError, RetryLaterError
from twofa_sim.peers.django_otp import FACTOR_MODELS, HONOURED_POLICY, DjangoOtpTarget
from twofa_sim.peers.djangoapp import package_versions, require_packages
from twofa_sim.scenario.target import Challenge, TargetContext

__all__ = ["PHONE_LABEL", "TwoFactorAuthTarget"]

PHONE_LABEL = "phonenumber.phonedevice"
"""django-two-factor-auth's phone device model."""

PHONE_STEP = 30
"""``PhoneDevice`` codes are TOTPs with django-otp's default 30 s step."""
PHONE_STEPS_BACK = 5
"""``PhoneDevice.validate_token`` accepts the current step and the five before it."""


class TwoFactorAuthTarget(DjangoOtpTarget):
    """django-two-factor-auth's ``PhoneDevice`` on the django-otp site (module docstring)."""

    name = "django-two-factor-auth"
    packages: ClassVar[tuple[str, ...]] = (
        "Django",
        "django-otp",
        "django-two-factor-auth",
        "django-phonenumber-field",
        "twilio",
    )
    factor_models: ClassVar[Mapping[str, str]] = {**FACTOR_MODELS, "sms": PHONE_LABEL}
    policy_settings: ClassVar[frozenset[str]] = frozenset(HONOURED_POLICY) - {"sms_code_ttl"}
    """As django-otp, but a phone code's lifetime is fixed (six TOTP steps): no setting."""

    def __init__(self, context: TargetContext) -> None:
        require_packages(self.name, self.packages)
        super().__init__(context)
        self.site.settings.update(
            {
                "TWO_FACTOR_SMS_GATEWAY": "two_factor.gateways.twilio.gateway.Twilio",
                "TWILIO_ACCOUNT_SID": context.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": context.twilio_auth_token,
                "TWILIO_CALLER_ID": context.sms_from,
                "TWO_FACTOR_PHONE_THROTTLE_FACTOR": self.site.settings["OTP_TOTP_THROTTLE_FACTOR"],
            }
        )

    @classmethod
    def default_policy(cls) -> dict[str, Any]:
        """django-otp's defaults, with the phone device's code lifetime (at most six steps)."""
        require_packages(cls.name, cls.packages)
        policy = super().default_policy()
        policy["sms_code_ttl"] = float(PHONE_STEP * (PHONE_STEPS_BACK + 1))
        return policy

    @classmethod
    def versions(cls) -> dict[str, str]:
        return package_versions(cls.packages)

    # --- the phone device ---------------------------------------------------------------------

    def _new_phone_device(self, owner: Any, phone: str) -> Any:
        """A ``PhoneDevice`` (method ``sms``) for a number django-two-factor-auth's phone form
        accepts (``validate_international_phonenumber``)."""
        from django.core.exceptions import ValidationError
        from two_factor.plugins.phonenumber.validators import validate_international_phonenumber

        try:
            validate_international_phonenumber(phone)
        except ValidationError:
            raise InputError(
                "django-two-factor-auth refused the phone number", where="phone"
            ) from None
        from django.apps import apps

        return apps.get_model(PHONE_LABEL).objects.create(
            user=owner, name="default", number=phone, method="sms", confirmed=False
        )

    @staticmethod
    def _provider_error(exc: BaseException) -> Exception:
        """The ``twilio`` library's errors: a number Twilio refuses is bad input, anything else
        the provider failing."""
        from twilio.base.exceptions import TwilioRestException

        if isinstance(exc, TwilioRestException):
            if exc.status == 400 and exc.code in (21211, 21614, 21612, 21408):
                return InputError("Twilio refused the phone number", where="phone")
            return ProviderUnavailableError("SMS", f"Twilio answered HTTP {exc.status}")
        return DjangoOtpTarget._provider_error(exc)

    def _send_sms(self, device: Any) -> None:
        """``PhoneDevice.generate_challenge``: it sends nothing while the device throttles
        (and says nothing either): that is reported as a refusal to send."""
        refused = self._throttled(device)
        if refused is not None:
            raise RetryLaterError(
                "throttled",
                refused.retry_after or 0.0,
                "django-two-factor-auth sends no code while the device is throttled",
            )
        try:
            device.generate_challenge()
        except Exception as exc:
            raise self._provider_error(exc) from exc

    def _challenge(self, request_id: str, device: Any) -> Challenge:
        """The code sent is valid until the end of the sixth step from the one it was sent in."""
        now = self.context.clock.now()
        expires = (int(now // PHONE_STEP) + PHONE_STEPS_BACK + 1) * PHONE_STEP
        return Challenge(request_id, "sms", float(expires), mask_phone(str(device.number)))

    def send_login_code(self, user: str, login_id: str, channel: str) -> Challenge:
        """What django-two-factor-auth's login does at its token step for a phone device:
        ``generate_challenge`` on the user's phone device (OTPTokenForm's challenge button says
        "not interactive" for it, since it returns no message)."""
        from django.http import HttpResponse

        if channel != "sms":
            raise InputError(f"django-two-factor-auth has no {channel}", where="channel")
        answer: list[Challenge | Exception] = []

        def view(request: Any) -> Any:
            account = self._session_user(request, user)
            if account is None:
                answer.append(InputError(f"no login {login_id!r} for {user}", where="login_id"))
                return HttpResponse(status=200)
            devices = self._devices(account, PHONE_LABEL)
            if not devices:
                answer.append(InputError("no phone number is set up", where="channel"))
                return HttpResponse(status=200)
            try:
                self._send_sms(devices[0])
            except Exception as exc:
                answer.append(exc)
            else:
                answer.append(self._challenge(login_id, devices[0]))
            return HttpResponse(status=200)

        self._request(view, login_id)
        result = answer[0]
        if isinstance(result, Exception):
            raise result
        return result

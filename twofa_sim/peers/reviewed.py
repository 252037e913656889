"""What a person checked about each scenario a peer target does not pass.

``twofa-sim compare`` shows these notes beside the divergences it finds (and the README's "How
common implementations fare" is generated with them). A note says what the implementation
does and how that was confirmed (a probe, a test, its source): the run shows *that* a check
failed, the note says why it is the implementation's behaviour and not the harness's.
``tests/peers/test_compare_findings.py`` keeps them honest: every scenario a peer fails has a
note, and every note names a scenario of the library. A note may outlive its failure (a
scenario later made not applicable keeps the note that says why it was no finding); only the
notes of failed scenarios are shown.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["REVIEWED"]

_HARNESS_SMS_TTL = (
    "Harness: django-otp-twilio's codes live OTP_TWILIO_TOKEN_VALIDITY = 30 s by default (within "
    "ASVS 5.0 6.5.5's 10 minutes); the scenario assumes the reference's 10-minute code."
)

_DJANGO_PASSWORDS = (
    "Divergence, of the Django stack rather than django-otp: Django's ModelBackend puts no "
    "limit on wrong passwords (django-otp throttles its devices only; django-axes adds one), so "
    "after 100 wrong passwords the right one still reaches the second factor (NIST 800-63B "
    "5.2.2 counts failures per account)."
)

_PER_DEVICE = (
    "Divergence in scope: django-otp throttles per device (ThrottlingMixin on each), not per "
    "account, so after 100 wrong authenticator codes the SMS device, never guessed, still "
    "accepts its right code (NIST 800-63B 5.2.2 counts consecutive failures per account). Each "
    "device stays rate-limited by its own back-off: the guessing budget is multiplied by the "
    "number of devices, not unbounded. Probe probe-sms-wrong-codes-vs-totp-throttle shows the "
    "same the other way round."
)

_PHONE_REPLAY = (
    "Divergence: PhoneDevice records no code as used (its verify_token only checks the TOTP "
    "window), so a delivered code works again until its six steps (up to 180 s) are over "
    "(their issue #97, open; ASVS 5.0 6.5.1, NIST 800-63B 5.1.3.2 'only once'). Shown alone by "
    "tests/peers/test_two_factor.py (a code logs in twice)."
)

REVIEWED: Mapping[str, Mapping[str, str]] = {
    "django-otp": {
        "account-codes-stored-hashed": (
            "Divergence. Recovery codes are StaticToken.token, the code itself (8 base32 "
            "characters, 40 bits), unhashed; the pending SMS code is SideChannelDevice.token, "
            "kept as sent until used. Confirmed in the SQLite bytes "
            "(tests/peers/test_django_otp.py) and in django-otp's models."
        ),
        "login-sms-code-not-for-a-later-login": (
            "Divergence. The SMS code lives on the device (SideChannelDevice.token, one per "
            "device), not on the login that asked for it: any login of the user accepts it "
            "while it is valid. Probe probe-sms-code-bound-to-login shows it; the reference "
            "refuses."
        ),
        "phone-resend-cooldown": (
            "Divergence. TwilioSMSDevice mixes in ThrottlingMixin (wrong codes) but not "
            "django-otp's CooldownMixin (which EmailDevice has): every generate_challenge "
            "sends an SMS, with no cooldown and no count (SMS pumping, ASVS 5.0 2.4.1)."
        ),
        "phone-sms-pumping-limited": (
            "Divergence: TwilioSMSDevice has no resend cooldown at all (no CooldownMixin, no "
            "count of sends): twenty codes asked for within a minute are twenty SMS "
            "(ASVS 5.0 2.4.1, SMS pumping)."
        ),
        "lockout-password-guessing": _DJANGO_PASSWORDS,
        "lockout-refuses-every-factor": _PER_DEVICE,
        "clock-wider-window-acceptance": (
            "Harness: the scenario asks for an asymmetric window (2 steps back, 1 forward); "
            "TOTPDevice.tolerance is one number, so the target keeps its +-1 step and records "
            "the override as ignored. It should be not applicable."
        ),
        "lockout-sms-code-attempt-limit": _HARNESS_SMS_TTL
        + " The final right code is typed 40 s after it was sent. Probe "
        "probe-sms-attempts-per-code: with a 10-minute validity django-otp accepts the real code "
        "after 5 wrong guesses (it rate-limits by back-off, 1-16 s, as ASVS 6.6.3 allows).",
        "phone-sms-delay-below-ttl-property": _HARNESS_SMS_TTL
        + " The counter-example is a 29 s delay plus 1 s of typing.",
        "login-half-finished-expires": (
            "Harness: no standard sets a lifetime for a half-finished login with TOTP (NIST "
            "5.1.3.2's 10 minutes is for out-of-band codes, and django-otp-twilio's expire in "
            "30 s); the 10-minute login is the reference's. The Django session lives "
            "SESSION_COOKIE_AGE (2 weeks); django-two-factor-auth adds a 600 s login timeout."
        ),
        "login-second-factor-once": (
            "Harness: after the login completed, a fresh TOTP code 30 s later is accepted for "
            "the same (already verified) session. It is not a replay (a new code, and "
            "django-otp refuses the same code again through last_t) and grants nothing the "
            "session does not have; 'used' is the reference's answer."
        ),
        "phone-typed-with-spaces": (
            "Harness (and a usability gap): django-otp-twilio posts the number as typed; the "
            "refusal (21211) is our fake Twilio's, which wants E.164. Normalising is not "
            "required by ASVS 5.0 6.6.1, which the SMS round trip (a validated number) meets."
        ),
        "recovery-needs-two-factor-on": (
            "Harness: django-otp has no recovery-code flow of its own; issuing codes to a user "
            "without a factor is the test site's choice (django-two-factor-auth's backup-token "
            "view is behind otp_required)."
        ),
    },
    "django-two-factor-auth": {
        "account-codes-stored-hashed": (
            "Divergence: its backup codes are django-otp StaticTokens, kept in clear (the 9 "
            "found). Its PhoneDevice stores no code at all (only its key, hex), so the pending "
            "SMS code django-otp-twilio keeps is not found here."
        ),
        "lockout-password-guessing": _DJANGO_PASSWORDS,
        "lockout-refuses-every-factor": _PER_DEVICE,
        "login-sms-code-bound-to-its-login": (
            "Divergence: a PhoneDevice code is the TOTP of the device's key at the step it is "
            "sent, so two logins asking for a code in the same step get the same code, and "
            "either login's code completes the other (ASVS 5.0 6.6.2)."
        ),
        "login-sms-code-not-for-a-later-login": (
            "Divergence: the code belongs to the device, not to the login that asked for it "
            "(a TOTP of the device key): any login of the user accepts it in its window."
        ),
        "login-sms-code-reused-on-later-login": _PHONE_REPLAY,
        "login-sms-code-single-use": _PHONE_REPLAY,
        "phone-sms-code-replay": _PHONE_REPLAY,
        "providers-sms-duplicated": _PHONE_REPLAY,
        "phone-sms-pumping-limited": (
            "Divergence: PhoneDevice.generate_challenge sends a code every time it is asked, "
            "unless the device throttles after wrong codes: no resend cooldown, no count "
            "(their issue #117; ASVS 5.0 2.4.1): twenty asks within a minute are twenty SMS."
        ),
    },
}

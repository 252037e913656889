"""Every exception twofa-sim raises on purpose, in one place.

::

    TwofaSimError                     base of everything below
    ├── InputError (also ValueError)  bad user input: CLI exit code 2
    │   ├── DurationError             "90s", "1h30m" ... could not be read
    │   ├── InstantError              an ISO-8601 / Unix-time instant could not be read
    │   ├── SecretError               not base32, or empty
    │   │   └── WeakSecretError       too short to enroll (RFC 4226 R6: >= 128 bits)
    │   ├── OtpParameterError         digits, algorithm, period, counter, T0 out of range
    │   ├── KeyUriError               not an otpauth URI we can read, or cannot be built
    │   ├── ImageError                file missing, or bytes that are no image
    │   ├── QRCapacityError           data too large for any QR symbol
    │   ├── NoQRCodeError
    │   └── MultipleQRCodesError
    │   ├── UnknownUserError          the reference service has no such user
    │   ├── LoginGoneError            a login attempt unknown, finished or expired
    │   └── ScenarioFileError         a scenario file's problems, each at FILE:LINE:COLUMN
    ├── QRReadError                   an image was read but gave no single QR: CLI exit code 1
    ├── ProviderUnavailableError      a provider failed mid-operation; nothing changed, retry
    ├── RetryLaterError               cooldown, push rate limit, lockout or back-off
    ├── AuditError                    the audit chain does not verify
    ├── NoSuchAccountError (also KeyError)  an authenticator app holds no such account
    ├── CommandFailed                 a check the user asked for failed: CLI exit code 1
    ├── DecoderUnavailableError       a QR decoder's native library is missing: CLI exit code 3
    └── ClockBridgeError (also RuntimeError)  system time is already frozen by someone else

The scenario runner's own control flow is not a ``TwofaSimError``, so that code turning a
target's refusals into reasons can never catch it::

    StepFailed       the system did something other than what the scenario expects
    StepError        the step could not run (the world lacks what the scenario asks for)
    StepUnsupported  the target lacks a feature the step needs (the step is ``unsupported``)
    ScenarioFailed   a scenario did not pass (the pytest plugin's failure, carrying its result)
    StoryStopped     a step of twofa-sim demo went otherwise than the policy says

The fake providers' clients raise their own subclasses of :class:`TwofaSimError`, defined beside
them: ``TwilioError`` (``TwilioApiError`` for an error envelope, ``TwilioUnavailable`` when no
answer came) and ``AuthyApiError`` (``AuthyUnavailable``, ``AuthyFormatError``).

An :class:`InputError` carries *where* (an argument name, a file, ``file:line:col``), *what* went
wrong and an optional *hint*; ``str(error)`` is the one line the command line prints. Messages
never contain a secret or a one-time code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Self

__all__ = [
    "AuditError",
    "ClockBridgeError",
    "CommandFailed",
    "DecoderUnavailableError",
    "DurationError",
    "ImageError",
    "InputError",
    "InstantError",
    "Interrupted",
    "KeyUriError",
    "LoginGoneError",
    "MultipleQRCodesError",
    "NoQRCodeError",
    "NoSuchAccountError",
    "OtpParameterError",
    "ProviderUnavailableError",
    "QRCapacityError",
    "QRReadError",
    "RetryLaterError",
    "ScenarioFailed",
    "ScenarioFileError",
    "SecretError",
    "StepError",
    "StepFailed",
    "StepUnsupported",
    "StoryStopped",
    "TargetProtocolError",
    "TwofaSimError",
    "UnknownUserError",
    "WeakSecretError",
]


class TwofaSimError(Exception):
    """Base class of every error twofa-sim raises on purpose."""


class InputError(TwofaSimError, ValueError):
    """Bad user input, located: ``where`` names the argument, file or position."""

    def __init__(self, what: str, *, where: str = "", hint: str = "") -> None:
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def at(self, where: str) -> Self:
        """Name ``where`` the bad input came from (an argument, a file) and return the error."""
        self.where = where
        self.args = (self._render(),)
        return self


class DurationError(InputError):
    """A duration string such as ``90s`` or ``1h30m`` could not be read."""


class InstantError(InputError):
    """An instant (ISO-8601 or Unix seconds) could not be read."""


class SecretError(InputError):
    """A shared secret is not valid base32, or is empty."""


class WeakSecretError(SecretError):
    """A secret is too short to enroll with (RFC 4226 section 4, R6: at least 128 bits)."""

    def __init__(self, bits: int, *, minimum: int = 128, where: str = "") -> None:
        self.bits = bits
        self.minimum = minimum
        super().__init__(
            f"secret has {bits} bits; enrollment needs at least {minimum} (RFC 4226 R6)",
            where=where,
            hint="generate one with generate_secret() (160 bits) or pass a longer secret",
        )


class OtpParameterError(InputError):
    """An OTP parameter (digits, algorithm, period, counter, T0, time) is out of range."""


class KeyUriError(InputError):
    """An ``otpauth://`` URI could not be read, or could not be built from the values given."""


class ImageError(InputError):
    """An image file is missing, unreadable, or its bytes are not an image."""


class QRCapacityError(InputError):
    """The data does not fit in any QR symbol at the requested error-correction level."""

    def __init__(self, size: int, capacity: int, level: str, *, where: str = "") -> None:
        self.size = size
        self.capacity = capacity
        self.level = level
        super().__init__(
            f"{size} bytes do not fit in a QR code at error-correction level {level} "
            f"(at most {capacity} bytes)",
            where=where,
            hint="use a lower error-correction level (L holds the most) or a shorter label",
        )


class QRReadError(TwofaSimError):
    """An image was decoded but did not hold exactly one QR code."""

    def __init__(self, message: str, *, image: str = "") -> None:
        self.image = image
        super().__init__(f"{image}: {message}" if image else message)


class NoQRCodeError(QRReadError):
    """No QR code could be found in the image by either decoder."""


class MultipleQRCodesError(QRReadError):
    """The image holds more than one QR code, so which one to use is ambiguous."""

    def __init__(self, count: int, *, image: str = "") -> None:
        self.count = count
        super().__init__(f"found {count} QR codes; expected exactly one", image=image)


class DecoderUnavailableError(TwofaSimError):
    """A QR decoder cannot run here (its native library is missing); says how to install it."""


class ClockBridgeError(TwofaSimError, RuntimeError):
    """The freezegun bridge cannot start: the system time is already frozen by someone else."""


class UnknownUserError(InputError):
    """An operation named a user the reference service does not have."""


class ProviderUnavailableError(TwofaSimError):
    """A provider (SMS, Authy) failed or did not answer; nothing was changed: try again."""

    def __init__(self, provider: str, detail: str) -> None:
        self.provider = provider
        self.detail = detail
        super().__init__(f"{provider} could not be reached ({detail}); nothing changed, try again")


class RetryLaterError(TwofaSimError):
    """The service refuses for now (resend cooldown, push rate limit, lockout, back-off)."""

    def __init__(self, reason: str, retry_after: float, message: str, *, rule: str = "") -> None:
        self.reason = reason
        self.retry_after = retry_after
        self.rule = rule
        """The id of the rule that refused (the reference service's ``RULES``), if known."""
        super().__init__(message)


class LoginGoneError(InputError):
    """The login attempt is unknown, already done, or expired (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"login attempt {reason.replace('_', ' ')}", where="login_id")


class AuditError(TwofaSimError):
    """The audit chain does not verify, or an entry would have held a secret."""


class NoSuchAccountError(TwofaSimError, KeyError):
    """The app holds no account with that issuer and name."""


class CommandFailed(TwofaSimError):
    """A check the user asked for failed: exit 1 after printing ``message`` (if any)."""

    def __init__(self, message: str = "") -> None:
        self.message = message
        super().__init__(message)


class _Problem(Protocol):
    """What :class:`ScenarioFileError` needs of a problem (``scenario.source.Problem``)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def hint(self) -> str: ...
    def format(self) -> str: ...


class ScenarioFileError(InputError):
    """A scenario file cannot be read as data: every problem found, in file order.

    ``str(error)`` is every problem formatted; ``where``, ``what`` and ``hint`` are the first's.
    """

    def __init__(self, problems: Sequence[_Problem]) -> None:
        if not problems:
            raise ValueError("a ScenarioFileError needs at least one problem")
        # ``scenario.source.Problem`` values; typed loosely so this module imports nothing.
        self.problems: tuple[Any, ...] = tuple(
            sorted(set(problems), key=lambda p: (p.file, p.line, p.column))
        )
        first = self.problems[0]
        where = first.file + (f":{first.line}:{first.column}" if first.line > 0 else "")
        super().__init__(first.message, where=where, hint=first.hint)

    def _render(self) -> str:
        return "\n".join(p.format() for p in self.problems)


class StepFailed(Exception):
    """The system did something other than what the scenario expects."""

    def __init__(self, detail: str, *, expected: str = "", actual: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.expected = expected
        self.actual = actual


class StepError(Exception):
    """The step could not run (the scenario asks for something the world does not have)."""


class ScenarioFailed(Exception):
    """A scenario did not pass; carries its result (a ``ScenarioResult``) for the report."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.detail)
        self.result = result


class Interrupted(KeyboardInterrupt):
    """A command stopped by a signal (SIGINT, SIGTERM): the CLI exits 128 + its number.

    A :class:`KeyboardInterrupt`, so no ``except Exception`` (a step's, a runner's) swallows it.
    """

    def __init__(self, signum: int, message: str = "") -> None:
        super().__init__(message or f"interrupted by signal {signum}")
        self.signum = signum
        self.message = message


class StepUnsupported(Exception):
    """The target lacks a feature this step needs (an audit log, notifications, Authy...)."""

    def __init__(self, feature: str, target: str) -> None:
        super().__init__(f"target {target} does not provide {feature}")
        self.feature = feature
        self.target = target


class StoryStopped(Exception):
    """A step of ``twofa-sim demo`` did not go as the policy says: the story cannot follow."""


class TargetProtocolError(TwofaSimError):
    """A service behind the HTTP target contract answered outside it (no answer, not JSON, a
    wrong shape, an error status): a broken test layer, never a verdict about the service."""

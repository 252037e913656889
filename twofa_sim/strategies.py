"""Hypothesis strategies for two-factor tests: secrets, Key URIs, phone numbers, clocks, policies.

Each function returns a :class:`hypothesis.strategies.SearchStrategy` whose every value is accepted
by the twofa-sim function it is meant to feed (``otpauth_uris`` by :func:`~twofa_sim.core.keyuri.
parse_uri`, ``e164_numbers`` by :func:`~twofa_sim.core.phone.parse_e164`, ``duration_texts`` by
:func:`~twofa_sim.core.clock.parse_duration` ...), so a property test spends its examples on the
code
under test, not on rejected input. Bad arguments raise :class:`hypothesis.errors.InvalidArgument`
when the strategy function is called. Example::

    from hypothesis import given
    from twofa_sim.core.keyuri import parse_uri
    from twofa_sim.strategies import otpauth_uris

    @given(uri=otpauth_uris(type="hotp"))
    def test_my_app_reads_what_we_build(uri):
        assert my_app.enroll(uri).issuer == parse_uri(uri).issuer
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

import phonenumbers
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from twofa_sim.core.keyuri import KeyUri
from twofa_sim.core.otp import (
    MAX_COUNTER,
    MAX_DIGITS,
    MIN_DIGITS,
    Algorithm,
    HotpPolicy,
    TotpPolicy,
)
from twofa_sim.core.secret import decode_secret, encode_secret
from twofa_sim.errors import TwofaSimError

if TYPE_CHECKING:
    from twofa_sim.reference.policy import SecurityPolicy

__all__ = [
    "clock_offsets",
    "drifts_ppm",
    "duration_texts",
    "e164_numbers",
    "hostile_labels",
    "hotp_policies",
    "key_uris",
    "otpauth_uris",
    "secrets",
    "security_policies",
    "totp_codes",
    "totp_policies",
]

T = TypeVar("T")
OtpType = Literal["totp", "hotp"]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidArgument(message)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: float, name: str) -> float:
    """A finite real-number argument, as a float."""
    real = isinstance(value, int | float) and not isinstance(value, bool)
    _require(real and math.isfinite(value), f"{name}={value!r}: need a finite number")
    return float(value)


def _bound(value: float, name: str) -> float:
    """A finite, non-negative real argument (an upper bound on a magnitude)."""
    bound = _real(value, name)
    _require(bound >= 0, f"{name}={value!r}: need a number >= 0")
    return bound


# -- secrets ----------------------------------------------------------------------------------


@overload
def secrets(
    min_bits: int = ..., max_bits: int = ..., *, as_base32: Literal[True] = ...
) -> st.SearchStrategy[str]: ...
@overload
def secrets(
    min_bits: int = ..., max_bits: int = ..., *, as_base32: Literal[False]
) -> st.SearchStrategy[bytes]: ...
def secrets(
    min_bits: int = 128, max_bits: int = 512, *, as_base32: bool = True
) -> st.SearchStrategy[str] | st.SearchStrategy[bytes]:
    """Random OTP secrets of ``min_bits`` to ``max_bits`` bits, in whole bytes.

    Unpadded upper-case base32 text (as an ``otpauth://`` URI carries it) by default; raw key bytes
    with ``as_base32=False``. Both bounds must be multiples of 8; ``min_bits`` may go below the
    128 bits RFC 4226 requires, to test what refuses or flags a weak secret. Example::

        @given(key=secrets(min_bits=160, max_bits=160, as_base32=False))
        def test_twenty_byte_keys(key): assert len(key) == 20
    """
    for name, bits in (("min_bits", min_bits), ("max_bits", max_bits)):
        _require(_whole(bits) and bits > 0 and bits % 8 == 0, f"{name}={bits!r}: need 8, 16, 24...")
    _require(min_bits <= max_bits, f"min_bits={min_bits} is more than max_bits={max_bits}")
    keys = st.binary(min_size=min_bits // 8, max_size=max_bits // 8)
    return keys.map(encode_secret) if as_base32 else keys


# -- Key URIs ---------------------------------------------------------------------------------

# Pieces that break naive URI code, by class (each class is drawn about equally often).
_HOSTILE_CLASSES = (
    ("\u202eevil", "\u200f", "שלום", "مرحبا", "\u2067x\u2069"),  # right-to-left, bidi controls
    ("\u0301", "\u20dd", "\u0336", "e\u0301", "Z\u0335\u0321\u0334"),  # combining marks
    ("😀", "👩\u200d👩\u200d👧", "🇫🇷", "❤\ufe0f", "🏳️\u200d🌈"),  # emoji, ZWJ sequences, flags
    (" ", "  ", "\u00a0", "\u3000", "\t", "\n", "\x00", "\u200b", "\ufeff"),  # spaces, controls
    ("%", "+", "&", "#", "?", "/", "=", "@", ";", ",", "\\"),  # URI delimiters
    ("%3A", "%3a", "%20", "%2B", "%25", "%%", "+%", "&issuer=x", "?secret=AAAA", "#frag"),
    ('"', "'", "`", "\u201c", "\u2019", "<script>alert(1)</script>", "<b>", "&amp;"),
    ("\uff1a", "\u2236", "\ua789"),  # colon look-alikes (not ':', so allowed)
    ("alice", "ACME Co", "bob@example.com", "x"),  # plain text between
)
_HOSTILE_PIECES = st.one_of(*(st.sampled_from(pieces) for pieces in _HOSTILE_CLASSES))
_NO_COLON = st.characters(exclude_characters=":", exclude_categories=["Cs"])
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_PLAIN_ACCOUNTS = st.tuples(
    st.sampled_from(_ALNUM[:26]),
    st.text(_ALNUM + "._-", max_size=15),
    st.sampled_from(["", "@example.com", "@mail.example.org"]),
).map("".join)
_PLAIN_ISSUERS = st.lists(
    st.text(_ALNUM, min_size=1, max_size=10).map(str.capitalize), min_size=1, max_size=3
).map(" ".join)


def _buildable(label: str, *, allow_leading_space: bool) -> bool:
    """What build_uri accepts as a name: no colon, not blank, no leading space (accounts)."""
    if not label or label.isspace() or ":" in label:
        return False
    return allow_leading_space or not label.startswith(" ")


def hostile_labels(*, allow_leading_space: bool = False) -> st.SearchStrategy[str]:
    """Account or issuer names that :func:`~twofa_sim.core.keyuri.build_uri` accepts, hostile
    otherwise.

    They mix right-to-left text and bidi overrides, combining marks (even first), emoji with ZWJ
    sequences, spaces (ASCII, no-break, ideographic), tabs, NUL, zero-width characters, every URI
    delimiter (``% + & # ? / = @``), text that looks percent-encoded (``%3A``, ``%20``), quotes,
    ``<script>`` and colon look-alikes, with arbitrary Unicode between them. Never a colon (the
    format forbids one in a name) and never blank. An account name never starts with a space
    (the label grammar drops spaces before the account, so build_uri refuses them); an issuer may:
    pass ``allow_leading_space=True`` for issuers. Example::

        @given(account=hostile_labels(), issuer=hostile_labels(allow_leading_space=True))
        def test_names_survive(account, issuer): ...
    """
    _require(isinstance(allow_leading_space, bool), "allow_leading_space must be True or False")
    pieces = _HOSTILE_PIECES | st.text(_NO_COLON, min_size=1, max_size=6)
    labels = st.lists(pieces, min_size=1, max_size=6).map("".join)
    return labels.filter(lambda label: _buildable(label, allow_leading_space=allow_leading_space))


def _choices(values: Iterable[T], name: str, ok: Callable[[T], bool], need: str) -> tuple[T, ...]:
    """The values to sample from: at least one, each passing ``ok``."""
    chosen = tuple(values)
    _require(bool(chosen), f"{name} is empty")
    wrong = [value for value in chosen if not ok(value)]
    _require(not wrong, f"{name}: {wrong!r} not allowed; need {need}")
    return chosen


def key_uris(
    *,
    type: OtpType | None = None,
    hostile: bool = True,
    algorithms: Iterable[str] = ("SHA1", "SHA256", "SHA512"),
    digits: Iterable[int] = (6, 7, 8),
    periods: Iterable[int] = (15, 30, 60),
    secrets: st.SearchStrategy[str | bytes] | None = None,
    accounts: st.SearchStrategy[str] | None = None,
    issuers: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[KeyUri]:
    """:class:`~twofa_sim.core.keyuri.KeyUri` values that build a URI; equal to ``parse_uri`` of it.

    ``type`` pins totp or hotp (``None``: either). Accounts and issuers are
    :func:`hostile_labels` if ``hostile`` (the issuer absent about half the time), else plain
    ASCII like ``alice@example.com`` and ``ACME Co``; ``accounts``/``issuers`` replace them (they
    must draw names build_uri accepts; ``None`` from ``issuers`` means no issuer). The algorithm,
    digits and totp period are drawn from the given values (``periods=range(1, 3601)`` is fine);
    an hotp counter from 0 to 2**64-1. ``secrets`` defaults to :func:`secrets` (128-512 bits);
    the KeyUri holds it as canonical base32. Example::

        @given(key=key_uris(type="totp", algorithms=["SHA1"], digits=[6], periods=[30]))
        def test_default_parameters(key): assert parse_uri(key.to_uri()) == key
    """
    _require(type in (None, "totp", "hotp"), f"type={type!r}: need 'totp', 'hotp' or None")
    names = [algorithm.value for algorithm in Algorithm]
    algorithm_values = _choices(algorithms, "algorithms", names.__contains__, " or ".join(names))
    digit_values = _choices(
        digits, "digits", lambda n: _whole(n) and MIN_DIGITS <= n <= MAX_DIGITS, "6, 7 or 8"
    )
    period_values = _choices(periods, "periods", lambda n: _whole(n) and n >= 1, "whole seconds")
    if accounts is None:
        accounts = hostile_labels() if hostile else _PLAIN_ACCOUNTS
    if issuers is None:
        labels = hostile_labels(allow_leading_space=True) if hostile else _PLAIN_ISSUERS
        issuers = st.none() | labels
    kinds: st.SearchStrategy[OtpType] = st.just(type) if type else st.sampled_from(["totp", "hotp"])
    return _key_uris(
        kinds,
        _secrets_or_default(secrets),
        accounts,
        issuers,
        st.sampled_from(algorithm_values),
        st.sampled_from(digit_values),
        st.sampled_from(period_values),
    )


def _secrets_or_default(
    given: st.SearchStrategy[str | bytes] | None,
) -> st.SearchStrategy[str | bytes]:
    return secrets() if given is None else given


@st.composite
def _key_uris(
    draw: st.DrawFn,
    kinds: st.SearchStrategy[OtpType],
    keys: st.SearchStrategy[str | bytes],
    accounts: st.SearchStrategy[str],
    issuers: st.SearchStrategy[str | None],
    algorithms: st.SearchStrategy[str],
    digits: st.SearchStrategy[int],
    periods: st.SearchStrategy[int],
) -> KeyUri:
    kind = draw(kinds)
    key = draw(keys)
    issuer = draw(issuers)
    return KeyUri(
        type=kind,
        account=draw(accounts),
        secret=encode_secret(decode_secret(key) if isinstance(key, str) else key),
        issuer=issuer,
        algorithm=draw(algorithms),
        digits=draw(digits),
        period=draw(periods) if kind == "totp" else None,
        counter=draw(st.integers(0, MAX_COUNTER)) if kind == "hotp" else None,
        label_issuer=issuer,
        issuer_param=issuer,
    )


def otpauth_uris(
    *,
    type: OtpType | None = None,
    hostile: bool = True,
    algorithms: Iterable[str] = ("SHA1", "SHA256", "SHA512"),
    digits: Iterable[int] = (6, 7, 8),
    periods: Iterable[int] = (15, 30, 60),
    secrets: st.SearchStrategy[str | bytes] | None = None,
    accounts: st.SearchStrategy[str] | None = None,
    issuers: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[str]:
    """``otpauth://`` URIs written by :func:`~twofa_sim.core.keyuri.build_uri` (canonical form).

    The arguments are those of :func:`key_uris`; this is ``key_uris(...).map(KeyUri.to_uri)``.
    With ``algorithms=["SHA1"], digits=[6], periods=[30]`` and ``secrets(min_bits=160)`` and an
    issuer always present, :func:`~twofa_sim.core.keyuri.lint_uri` finds nothing to report.
    Example::

        @given(uri=otpauth_uris(hostile=False))
        def test_scanner_reads_uri(uri): assert scan(render_png(uri)) == uri
    """
    keys = key_uris(
        type=type,
        hostile=hostile,
        algorithms=algorithms,
        digits=digits,
        periods=periods,
        secrets=secrets,
        accounts=accounts,
        issuers=issuers,
    )
    return keys.map(KeyUri.to_uri)


# -- phone numbers ----------------------------------------------------------------------------


@cache
def _examples(region: str) -> tuple[tuple[int, str], ...]:
    """phonenumbers' valid example numbers of every type for a region, as (country code, NSN)."""
    found = set()
    for kind in vars(phonenumbers.PhoneNumberType).values():
        if not _whole(kind):
            continue
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None and phonenumbers.is_valid_number_for_region(number, region):
            code = int(number.country_code or 0)
            found.add((code, phonenumbers.national_significant_number(number)))
    return tuple(sorted(found))


def e164_numbers(regions: Iterable[str] | None = None) -> st.SearchStrategy[str]:
    """Valid E.164 numbers (``+447400123456``) of the given regions (default: every region).

    ``regions`` are ISO 3166 codes as phonenumbers knows them (``"GB"``, ``"US"``). A number is one
    of phonenumbers' example numbers for the region (fixed line, mobile, toll free ...) with up
    to its last four digits redrawn; a redrawn number that phonenumbers does not consider valid
    for the region falls back to the example, so nothing is rejected. Every value is accepted by
    :func:`~twofa_sim.core.phone.parse_e164`. Example::

        @given(to=e164_numbers(["FR", "DE"]))
        def test_sms_is_delivered(to): ...
    """
    if regions is None:
        chosen = tuple(sorted(phonenumbers.SUPPORTED_REGIONS))
    else:
        _require(not isinstance(regions, str), f"regions={regions!r}: need a list such as ['GB']")
        chosen = tuple(regions)
        _require(bool(chosen), "regions is empty")
        unknown = [r for r in chosen if r not in phonenumbers.SUPPORTED_REGIONS]
        _require(not unknown, f"regions unknown to phonenumbers: {unknown!r}")
        empty = [r for r in chosen if not _examples(r)]
        _require(not empty, f"phonenumbers has no example number for {empty!r}")
    return _e164_numbers(st.sampled_from(chosen))


@st.composite
def _e164_numbers(draw: st.DrawFn, regions: st.SearchStrategy[str]) -> str:
    region = draw(regions)
    code, national = draw(st.sampled_from(_examples(region)))
    changed = draw(st.integers(0, min(4, len(national) - 1)))
    tail = draw(st.text("0123456789", min_size=changed, max_size=changed))
    candidate = f"+{code}{national[: len(national) - changed]}{tail}"
    number = phonenumbers.parse(candidate, None)
    if phonenumbers.is_valid_number_for_region(number, region):
        return candidate
    return f"+{code}{national}"


# -- clocks and durations ---------------------------------------------------------------------


def clock_offsets(
    max_seconds: float = 300.0, *, integral: bool = False
) -> st.SearchStrategy[float]:
    """How far a device's clock is ahead (negative: behind), in seconds: finite floats.

    From ``-max_seconds`` to ``max_seconds``; whole seconds (still floats) if ``integral``. Fits
    :class:`~twofa_sim.core.clock.DeviceClock`'s ``offset``. Example::

        @given(offset=clock_offsets(90, integral=True))
        def test_code_from_a_late_phone(offset): ...
    """
    bound = _bound(max_seconds, "max_seconds")
    if integral:
        return st.integers(-math.floor(bound), math.floor(bound)).map(float)
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


def drifts_ppm(max_ppm: float = 200.0) -> st.SearchStrategy[float]:
    """Clock drift in parts per million (positive: gains time), finite floats within ``max_ppm``.

    A quartz clock is typically within 20 ppm; the default bound is ten times that. Fits
    :class:`~twofa_sim.core.clock.DeviceClock`'s ``drift_ppm``. Example::

        @given(ppm=drifts_ppm(50))
        def test_month_of_drift(ppm): ...
    """
    bound = _bound(max_ppm, "max_ppm")
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


_UNITS = (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def duration_texts(
    *, min_seconds: float = 0.0, max_seconds: float = 604_800.0
) -> st.SearchStrategy[tuple[str, float]]:
    """``(text, seconds)``: a duration in :func:`~twofa_sim.core.clock.parse_duration` syntax, its
    value.

    Values are whole milliseconds from ``min_seconds`` to ``max_seconds`` (a negative bound gives
    ``-`` texts), often whole seconds. Texts vary: ``"90s"``, ``"1m30s"``, ``"1h 0m 5s"``,
    ``"1H30M"``, ``"2.5s"``, ``"250ms"``, ``"-40s"``, ``"+90"``, or a bare ``"90"``. ``seconds`` is
    the exact value rounded once to a float (``"9ms"`` gives 0.009). Example::

        @given(case=duration_texts(max_seconds=600))
        def test_ttl_from_scenario(case):
            text, seconds = case
            assert load({"ttl": text}).ttl == seconds
    """
    low = _real(min_seconds, "min_seconds")
    high = _real(max_seconds, "max_seconds")
    # Bounds in whole milliseconds, judged as the float seconds drawn will be (1.1 allows 1100 ms).
    lowest, highest = math.ceil(low * 1000), math.floor(high * 1000)
    lowest += 1 if lowest / 1000 < low else -1 if (lowest - 1) / 1000 >= low else 0
    highest += -1 if highest / 1000 > high else 1 if (highest + 1) / 1000 <= high else 0
    _require(lowest <= highest, f"no whole millisecond from {min_seconds} to {max_seconds}")
    whole = (math.ceil(low), math.floor(high))
    ms = st.integers(lowest, highest)
    if whole[0] <= whole[1]:
        ms = st.integers(*whole).map(lambda seconds: seconds * 1000) | ms
    return _duration_texts(ms)


@st.composite
def _duration_texts(draw: st.DrawFn, values: st.SearchStrategy[int]) -> tuple[str, float]:
    total = draw(values)
    rest = abs(total)
    units = [(unit, size) for unit, size in _UNITS if draw(st.booleans())]
    parts = []
    for unit, size in units:
        count, rest = divmod(rest, size)
        if count or draw(st.integers(0, 9)) == 0:  # now and then an explicit zero: "1h0m5s"
            parts.append(f"{count}{unit}")
    seconds, millis = divmod(rest, 1000)
    if not parts and not millis and draw(st.booleans()):
        parts.append(str(seconds))  # a bare number is seconds
    elif millis and draw(st.booleans()):
        parts.append(f"{seconds * 1000 + millis}ms")
    elif seconds or millis or not parts:
        parts.append(f"{seconds}.{millis:03d}".rstrip("0").rstrip(".") + "s")
    parts = [part.upper() if draw(st.integers(0, 4)) == 0 else part for part in parts]
    text = "".join(draw(st.sampled_from(["", "", " ", "  "])) + part for part in parts).strip()
    sign = "-" if total < 0 else draw(st.sampled_from(["", "", "", "+"]))
    return sign + text, total / 1000


# -- policies and codes -----------------------------------------------------------------------


def _seconds(low: int, high: int) -> st.SearchStrategy[float]:
    """Seconds from low (excluded if 0) to high: whole seconds mostly, some fractions."""
    fractions = st.floats(low, high, exclude_min=low == 0, allow_nan=False, allow_infinity=False)
    return st.integers(max(low, 1), high).map(float) | fractions


def _policies(
    cls: type[T], drawn: dict[str, st.SearchStrategy[Any]], fixed: dict[str, Any]
) -> st.SearchStrategy[T]:
    """Instances of a policy dataclass: ``drawn`` fields, ``fixed`` ones pinned (checked now)."""
    names = {item.name for item in fields(cast(Any, cls))}
    unknown = sorted(set(fixed) - names)
    _require(not unknown, f"{cls.__name__} has no field {', '.join(unknown)}")
    try:
        cls(**fixed)
    except (TwofaSimError, TypeError) as exc:
        raise InvalidArgument(f"{cls.__name__}({fixed!r}) is not valid: {exc}") from None
    return st.builds(cls, **{**drawn, **{name: st.just(value) for name, value in fixed.items()}})


def totp_policies(**fixed: Any) -> st.SearchStrategy[TotpPolicy]:
    """Valid :class:`~twofa_sim.core.otp.TotpPolicy` values with small windows; ``fixed`` pins
    fields.

    ``steps_back``/``steps_forward`` 0-2, ``max_drift_steps`` None or 0-20, ``diagnose_steps``
    0-20, replay protection and drift tracking on or off (off is valid, and vulnerable: pin them
    to test a safe verifier). Example::

        @given(policy=totp_policies(replay_protection=True, track_drift=True))
        def test_no_replay(policy): ...
    """
    drawn = {
        "steps_back": st.integers(0, 2),
        "steps_forward": st.integers(0, 2),
        "replay_protection": st.booleans(),
        "track_drift": st.booleans(),
        "max_drift_steps": st.none() | st.integers(0, 20),
        "diagnose_steps": st.integers(0, 20),
    }
    return _policies(TotpPolicy, drawn, fixed)


def hotp_policies(**fixed: Any) -> st.SearchStrategy[HotpPolicy]:
    """Valid :class:`~twofa_sim.core.otp.HotpPolicy` values; ``fixed`` pins fields.

    ``look_ahead`` 0-10, ``resync_window`` 0-200, ``resync_codes`` 1-3, ``diagnose_back`` 0-20.
    Example::

        @given(policy=hotp_policies(look_ahead=0))
        def test_exact_counter_only(policy): ...
    """
    drawn = {
        "look_ahead": st.integers(0, 10),
        "resync_window": st.integers(0, 200),
        "resync_codes": st.integers(1, 3),
        "diagnose_back": st.integers(0, 20),
    }
    return _policies(HotpPolicy, drawn, fixed)


def security_policies(**fixed: Any) -> st.SearchStrategy[SecurityPolicy]:
    """Valid :class:`~twofa_sim.reference.policy.SecurityPolicy` values; ``fixed`` pins fields.

    Every field is drawn within its validator's bounds: SMS codes of 6-10 digits living up to
    600 s, 1-100 consecutive failures before a lockout, 1-10 pushes per window, recovery codes of
    8-32 characters, ``totp`` from :func:`totp_policies`. ``code_hash_iterations`` stays at
    1-1000 so tests run fast (pin it to test the default cost). A pinned value must itself be
    valid, or InvalidArgument is raised. Example::

        @given(policy=security_policies(max_consecutive_failures=3))
        def test_lockout_after_three(policy): ...
    """
    from twofa_sim.reference.policy import SecurityPolicy  # the reference service: a heavy import

    drawn = {
        "totp": totp_policies(),
        "sms_code_digits": st.integers(6, 10),
        "sms_code_ttl": _seconds(0, 600),
        "sms_code_attempts": st.integers(1, 10),
        "resend_cooldown": _seconds(0, 300),
        "max_consecutive_failures": st.integers(1, 100),
        "lockout_duration": _seconds(0, 86_400),
        "backoff_factor": _seconds(0, 10),
        "backoff_cap": _seconds(0, 3600),
        "push_limit": st.integers(1, 10),
        "push_window": _seconds(0, 3600),
        "push_ttl": st.integers(1, 600),
        "number_matching": st.booleans(),
        "login_ttl": _seconds(0, 3600),
        "recovery_codes": st.integers(1, 20),
        "recovery_code_length": st.integers(8, 32),
        "code_hash_iterations": st.integers(1, 1000),
        "confirm_totp": st.booleans(),
    }
    return _policies(SecurityPolicy, drawn, fixed)


def totp_codes(digits: int = 6) -> st.SearchStrategy[str]:
    """Strings of exactly ``digits`` ASCII digits (6-8), as a user types a code; leading zeros kept.

    Well-formed for a verifier of that many digits, and almost never the right code. Example::

        @given(guess=totp_codes())
        def test_guess_is_refused(guess): ...
    """
    _require(
        _whole(digits) and MIN_DIGITS <= digits <= MAX_DIGITS,
        f"digits={digits!r}: need {MIN_DIGITS} to {MAX_DIGITS}",
    )
    return st.text("0123456789", min_size=digits, max_size=digits)

"""The public strategies (twofa_sim.strategies) draw what the parsers they feed accept."""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable
from typing import Any

import phonenumbers
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from twofa_sim.core.clock import DeviceClock, VirtualClock, parse_duration
from twofa_sim.core.keyuri import KeyUri, build_uri, lint_uri, parse_uri
from twofa_sim.core.otp import (
    HotpPolicy,
    HotpVerifier,
    OtpParams,
    Reason,
    TotpPolicy,
    TotpVerifier,
    hotp,
    totp,
)
from twofa_sim.core.phone import parse_e164
from twofa_sim.core.secret import decode_secret, encode_secret
from twofa_sim.reference.policy import SecurityPolicy
from twofa_sim.strategies import (
    clock_offsets,
    drifts_ppm,
    duration_texts,
    e164_numbers,
    hostile_labels,
    hotp_policies,
    key_uris,
    otpauth_uris,
    secrets,
    security_policies,
    totp_codes,
    totp_policies,
)


def sample(strategy: st.SearchStrategy[Any], size: int = 200) -> list[Any]:
    """``size`` values drawn with a fixed seed (derandomized), no shrinking, no example database.

    Tests that a strategy *can* draw something count in such a sample: reproducible, and far
    cheaper than ``hypothesis.find``, which shrinks what it finds.
    """
    values: list[Any] = []

    @settings(database=None, derandomize=True, max_examples=size, phases=[Phase.generate])
    @given(strategy)
    def collect(value: Any) -> None:
        values.append(value)

    collect()
    return values


@pytest.fixture(scope="module")
def account_labels() -> list[str]:
    return sample(hostile_labels())


# -- secrets ----------------------------------------------------------------------------------


@given(text=secrets(8, 80), raw=secrets(160, 160, as_base32=False))
def test_secrets_are_whole_bytes_within_the_bounds(text: str, raw: bytes) -> None:
    """Base32 secrets are canonical (unpadded upper case) and decode to min..max bits of key."""
    key = decode_secret(text)
    assert 1 <= len(key) <= 10
    assert text == encode_secret(key)
    assert isinstance(raw, bytes)
    assert len(raw) == 20


# -- Key URIs ---------------------------------------------------------------------------------


@given(key=key_uris())
def test_key_uris_equal_what_their_uri_parses_to(key: KeyUri) -> None:
    """parse_uri(key.to_uri()) == key: every field, issuer prefix and parameter included."""
    assert parse_uri(key.to_uri()) == key


@given(account=hostile_labels(), issuer=hostile_labels(allow_leading_space=True))
def test_hostile_labels_survive_the_round_trip_exactly(account: str, issuer: str) -> None:
    """build_uri accepts hostile names, parse_uri gives them back exactly, and (with default
    parameters and a 160-bit secret) the linter has nothing to say about how they are encoded."""
    uri = build_uri(secret=b"\x01" * 20, account=account, issuer=issuer)
    parsed = parse_uri(uri)
    assert (parsed.account, parsed.issuer, parsed.label_issuer) == (account, issuer, issuer)
    assert lint_uri(uri) == []
    alone = parse_uri(build_uri(secret=b"\x01" * 20, account=account))
    assert (alone.account, alone.issuer) == (account, None)


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in {"R", "AL", "RLO", "RLE", "RLI"} for c in text)


def _emoji(text: str) -> bool:
    return any(0x1F300 <= ord(c) <= 0x1FAFF for c in text)


HOSTILE_CLASSES: dict[str, Callable[[str], bool]] = {
    "right-to-left": _rtl,
    "combining mark": lambda text: any(unicodedata.combining(c) for c in text),
    "leading combining mark": lambda text: unicodedata.combining(text[0]) > 0,
    "emoji": _emoji,
    "inner space": lambda text: " " in text.strip(),
    "percent": lambda text: "%" in text,
    "plus": lambda text: "+" in text,
    "ampersand": lambda text: "&" in text,
    "hash": lambda text: "#" in text,
    "question mark": lambda text: "?" in text,
    "slash": lambda text: "/" in text,
    "equals": lambda text: "=" in text,
    "double quote": lambda text: '"' in text,
    "single quote": lambda text: "'" in text,
    "script tag": lambda text: "<script>" in text,
    "encoded colon look-alike": lambda text: "%3a" in text.lower(),
}


@pytest.mark.parametrize("kind", HOSTILE_CLASSES)
def test_hostile_labels_draw_every_hostile_class(kind: str, account_labels: list[str]) -> None:
    """Each class of hostile character the docstring promises is drawn (in 200 labels, >= 1%)."""
    assert sum(map(HOSTILE_CLASSES[kind], account_labels)) >= 2


def test_only_issuer_labels_start_with_a_space(account_labels: list[str]) -> None:
    """Issuers may start with a space (the format keeps it); accounts never do (it is dropped)."""
    assert any(
        label.startswith(" ") for label in sample(hostile_labels(allow_leading_space=True), 100)
    )
    assert not any(label.startswith(" ") for label in account_labels)


@given(
    totp_uri=otpauth_uris(
        type="totp",
        algorithms=["SHA256"],
        digits=[8],
        periods=[45, 90],
        secrets=secrets(80, 80).map(str.lower),
    ),
    hotp_uri=otpauth_uris(
        type="hotp",
        hostile=False,
        algorithms=["SHA512", "SHA1"],
        digits=[7],
        secrets=secrets(as_base32=False),
    ),
)
def test_otpauth_uris_are_canonical_and_respect_their_arguments(
    totp_uri: str, hotp_uri: str
) -> None:
    """URIs parse to the type, algorithm, digits, period and secret size asked for, and rebuild
    to the same text; the secret is canonical base32 however it was drawn; hostile=False gives
    plain ASCII names."""
    totp_key, hotp_key = parse_uri(totp_uri), parse_uri(hotp_uri)
    assert (totp_key.to_uri(), hotp_key.to_uri()) == (totp_uri, hotp_uri)
    assert (totp_key.type, totp_key.algorithm, totp_key.digits) == ("totp", "SHA256", 8)
    assert totp_key.period in (45, 90)
    assert len(totp_key.secret_bytes()) == 10 and totp_key.secret.isupper()
    assert (hotp_key.type, hotp_key.algorithm in ("SHA512", "SHA1"), hotp_key.digits) == (
        "hotp",
        True,
        7,
    )
    assert hotp_key.counter is not None
    assert hotp_key.account.isascii() and (hotp_key.issuer or "").isascii()


# -- phone numbers ----------------------------------------------------------------------------


# Italy and Gabon write a 0 after the country code; in Iran and Liechtenstein about one redrawn
# number in five is invalid (and must fall back to the example).
REGIONS = ["IT", "GA", "IR", "LI", "US"]


@given(number=e164_numbers(), local=e164_numbers(REGIONS))
def test_e164_numbers_parse_to_themselves(number: str, local: str) -> None:
    """parse_e164 accepts every drawn number and keeps its E.164 text; phonenumbers calls it
    valid, and valid for one of the regions asked for."""
    for text in (number, local):
        assert parse_e164(text).e164 == text
        parsed = phonenumbers.parse(text, None)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == text
    parsed = phonenumbers.parse(local, None)
    assert any(phonenumbers.is_valid_number_for_region(parsed, region) for region in REGIONS)


def test_e164_numbers_are_more_than_the_examples() -> None:
    """Subscriber digits are varied: numbers other than phonenumbers' own examples come out."""
    examples = set()
    for kind in vars(phonenumbers.PhoneNumberType).values():
        if isinstance(kind, int) and (example := phonenumbers.example_number_for_type("GB", kind)):
            examples.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    assert examples
    assert set(sample(e164_numbers(["GB"]), 30)) - examples


def test_every_region_has_numbers() -> None:
    """phonenumbers has a valid example for every region it supports (else InvalidArgument)."""
    e164_numbers(sorted(phonenumbers.SUPPORTED_REGIONS))


# -- clocks and durations ---------------------------------------------------------------------


@given(offset=clock_offsets(), whole=clock_offsets(90.5, integral=True), ppm=drifts_ppm(20))
def test_offsets_and_drifts_fit_a_device_clock(offset: float, whole: float, ppm: float) -> None:
    """Offsets and drifts stay within their bounds and a DeviceClock takes them as they are."""
    assert abs(offset) <= 300 and math.isfinite(offset)
    assert abs(whole) <= 90 and whole.is_integer()
    assert abs(ppm) <= 20 and math.isfinite(ppm)
    for error in (offset, whole):
        device = DeviceClock(VirtualClock(1_000_000), offset=error, drift_ppm=ppm)
        assert device.error() == error
        assert device.drift_ppm == ppm


def reads_as(text: str, seconds: float) -> bool:
    """parse_duration(text) is seconds: exactly for whole seconds, else within two ulps, since
    parse_duration sums float parts ("9ms" reads as 9 * 0.001, which is 0.009000000000000001)."""
    parsed = parse_duration(text)
    if seconds.is_integer():
        return parsed == seconds
    return abs(parsed - seconds) <= 2 * math.ulp(seconds)


@given(case=duration_texts(min_seconds=-90.25, max_seconds=3600.5))
def test_duration_texts_parse_to_their_seconds(case: tuple[str, float]) -> None:
    """Each text parses to its value, and the value is within the bounds asked for."""
    text, seconds = case
    assert -90.25 <= seconds <= 3600.5
    assert reads_as(text, seconds)


DURATION_FORMS: dict[str, Callable[[str], bool]] = {
    "several units": lambda text: sum(c.isalpha() for c in text.lower().replace("ms", "")) >= 2,
    "milliseconds": lambda text: "ms" in text.lower(),
    "decimal seconds": lambda text: "." in text,
    "spaced": lambda text: " " in text,
    "upper case": lambda text: any(c.isupper() for c in text),
    "bare number": lambda text: text.lstrip("+-").isdigit(),
    "negative": lambda text: text.startswith("-"),
    "explicit plus": lambda text: text.startswith("+"),
    "weeks": lambda text: "w" in text.lower(),
}


@pytest.fixture(scope="module")
def duration_sample() -> list[tuple[str, float]]:
    # 600 draws: each form must show up at least twice whatever the draw order (in 200 a rare
    # form sometimes came out only once on a loaded machine)
    return sample(duration_texts(min_seconds=-(10**6), max_seconds=10**6), size=600)


@pytest.mark.parametrize("form", DURATION_FORMS)
def test_duration_texts_draw_every_form(
    form: str, duration_sample: list[tuple[str, float]]
) -> None:
    """The syntax parse_duration reads is drawn in all its forms (each at least twice)."""
    assert sum(DURATION_FORMS[form](text) for text, _ in duration_sample) >= 2


def test_every_form_reads_as_its_value(duration_sample: list[tuple[str, float]]) -> None:
    """The sample of every form (weeks, signs, large values) parses to its values too."""
    assert [case for case in duration_sample if not reads_as(*case)] == []


# -- policies and codes -----------------------------------------------------------------------


@given(policy=totp_policies(), key=secrets(as_base32=False), at=st.integers(0, 2**34))
def test_totp_policies_accept_the_current_code(policy: TotpPolicy, key: bytes, at: int) -> None:
    """A verifier with any drawn TotpPolicy accepts the code of the current step on first use."""
    result = TotpVerifier(key, policy=policy).verify(totp(key, at), at)
    assert result.accepted


@given(policy=hotp_policies(), key=secrets(as_base32=False))
def test_hotp_policies_accept_the_expected_code(policy: HotpPolicy, key: bytes) -> None:
    """A verifier with any drawn HotpPolicy accepts the code of the expected counter."""
    assert HotpVerifier(key, policy=policy).verify(hotp(key, 0)).accepted


@given(policy=security_policies())
def test_security_policies_pass_validation(policy: SecurityPolicy) -> None:
    """Every drawn policy passes SecurityPolicy's validators (run again by rebuilding it)."""
    assert dataclasses.replace(policy) == policy


PINNED: dict[str, Any] = {
    "max_consecutive_failures": 3,
    "number_matching": False,
    "sms_code_ttl": 60.0,
    "totp": TotpPolicy(steps_back=0, steps_forward=0),
}


@given(policy=security_policies(**PINNED), totp_policy=totp_policies(steps_back=2))
def test_pinned_fields_are_kept(policy: SecurityPolicy, totp_policy: TotpPolicy) -> None:
    """Fields given to security_policies/totp_policies take exactly the given values."""
    assert {name: getattr(policy, name) for name in PINNED} == PINNED
    assert totp_policy.steps_back == 2


def test_every_security_policy_field_is_drawn() -> None:
    """No field is stuck at its default (a field added to SecurityPolicy must be drawn too)."""
    default, policies = SecurityPolicy(), sample(security_policies(), 40)
    stuck = [
        item.name
        for item in dataclasses.fields(SecurityPolicy)
        if all(getattr(policy, item.name) == getattr(default, item.name) for policy in policies)
    ]
    assert stuck == []


VERIFIERS = {
    digits: TotpVerifier(b"k" * 20, OtpParams(digits=digits), policy=TotpPolicy(diagnose_steps=0))
    for digits in (6, 7, 8)
}


@given(six=totp_codes(), seven=totp_codes(7), eight=totp_codes(8))
def test_totp_codes_are_well_formed(six: str, seven: str, eight: str) -> None:
    """A drawn code is never refused as malformed by a verifier of the same number of digits."""
    for digits, code in ((6, six), (7, seven), (8, eight)):
        assert len(code) == digits and code.isascii() and code.isdigit()
        assert VERIFIERS[digits].verify(code, 0).reason is not Reason.MALFORMED


def test_totp_codes_keep_leading_zeros() -> None:
    """Codes starting with 0 are drawn (they are where int/str conversions go wrong)."""
    assert any(code.startswith("0") for code in sample(totp_codes(), 40))


# -- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets(min_bits=100),
        lambda: secrets(min_bits=0),
        lambda: secrets(min_bits=256, max_bits=128),
        lambda: otpauth_uris(algorithms=["MD5"]),
        lambda: otpauth_uris(digits=[10]),
        lambda: otpauth_uris(periods=[]),
        lambda: otpauth_uris(periods=[0]),
        lambda: key_uris(type="motp"),  # type: ignore[arg-type]
        lambda: e164_numbers(["XX"]),
        lambda: e164_numbers("GB"),
        lambda: e164_numbers([]),
        lambda: clock_offsets(-1),
        lambda: clock_offsets(math.inf),
        lambda: drifts_ppm(math.nan),
        lambda: duration_texts(min_seconds=2, max_seconds=1),
        lambda: duration_texts(min_seconds=0.0001, max_seconds=0.0009),
        lambda: security_policies(max_consecutive_failures=0),
        lambda: security_policies(no_such_field=1),
        lambda: totp_policies(steps_back=-1),
        lambda: hotp_policies(resync_codes=0),
        lambda: totp_codes(5),
    ],
)
def test_bad_arguments_are_refused_at_once(make: Callable[[], object]) -> None:
    """An argument no value could satisfy raises InvalidArgument when the strategy is made."""
    with pytest.raises(InvalidArgument):
        make()

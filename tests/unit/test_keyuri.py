"""Building and parsing otpauth:// Key URIs (twofa_sim.core.keyuri)."""

from __future__ import annotations

import dataclasses
import doctest
from types import ModuleType

import pytest

from twofa_sim.core import _keyuri_lint, keyuri
from twofa_sim.core.keyuri import KeyUri, build_uri, parse_uri
from twofa_sim.errors import KeyUriError, SecretError

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4226 Appendix D key, "12345678901234567890"
RFC_KEY = b"12345678901234567890"
GA_EXAMPLE_1 = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
GA_EXAMPLE_2 = (
    "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
)


def uri_with(label: str, query: str = f"secret={RFC_SECRET}", kind: str = "totp") -> str:
    return f"otpauth://{kind}/{label}?{query}"


# -- build ------------------------------------------------------------------------------------


def test_build_reproduces_the_format_s_full_example() -> None:
    """Key URI Format: issuer as label prefix and parameter, %20 for spaces, defaults written."""
    built = build_uri(
        secret="HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", account="john.doe@email.com", issuer="ACME Co"
    )
    assert built == GA_EXAMPLE_2


def test_build_hotp_writes_counter_and_no_period() -> None:
    """Key URI Format: counter is REQUIRED for hotp; period is for totp only."""
    built = build_uri(secret=RFC_KEY, account="bob", issuer="Ex", type="hotp", counter=7)
    assert built == (
        f"otpauth://hotp/Ex:bob?secret={RFC_SECRET}&issuer=Ex&algorithm=SHA1&digits=6&counter=7"
    )


def test_build_without_issuer_writes_neither_prefix_nor_parameter() -> None:
    """No issuer given: the label is the bare account name and no issuer= is written."""
    assert build_uri(secret=RFC_KEY, account="bob") == (
        f"otpauth://totp/bob?secret={RFC_SECRET}&algorithm=SHA1&digits=6&period=30"
    )


def test_build_normalises_a_text_secret_to_unpadded_upper_case() -> None:
    """Key URI Format: base32 secret, padding omitted; typed forms (case, spaces) normalised."""
    built = build_uri(secret="jbsw y3dp ehpk 3pxp ====", account="bob")
    assert "secret=JBSWY3DPEHPK3PXP&" in built


def test_build_encodes_bytes_secrets_as_base32() -> None:
    """A bytes secret is the raw key, written as unpadded base32."""
    assert f"secret={RFC_SECRET}&" in build_uri(secret=RFC_KEY, account="bob")


def test_build_percent_encodes_plus_space_and_reserved_characters() -> None:
    """'+' becomes %2B, a space %20 (never '+'); '@' stays literal; '/', '?', '#', '&' encoded."""
    built = build_uri(secret=RFC_KEY, account="a+b c@d/e?f#g&h=i%", issuer="X+Y Z")
    assert built.startswith("otpauth://totp/X%2BY%20Z:a%2Bb%20c@d%2Fe%3Ff%23g%26h%3Di%25?")
    assert "&issuer=X%2BY%20Z&" in built


def test_build_percent_encodes_non_ascii_as_utf8() -> None:
    """Non-ASCII names are percent-encoded UTF-8, so the URI is plain ASCII."""
    built = build_uri(secret=RFC_KEY, account="zoë😀", issuer="Bäckerei")
    assert built.startswith("otpauth://totp/B%C3%A4ckerei:zo%C3%AB%F0%9F%98%80?")


def test_build_upper_cases_the_algorithm() -> None:
    """Key URI Format: algorithm values are upper case (SHA1, SHA256, SHA512)."""
    assert "&algorithm=SHA256&" in build_uri(secret=RFC_KEY, account="bob", algorithm="sha256")


def test_build_accepts_a_short_secret() -> None:
    """Secret length is enrollment policy, not syntax: the linter reports it, build allows it."""
    assert "secret=JBSWY3DPEHPK3PXP&" in build_uri(secret="JBSWY3DPEHPK3PXP", account="bob")


@pytest.mark.parametrize(
    ("arguments", "where", "text"),
    [
        ({"account": "alice:smith"}, "account", "colon"),
        ({"issuer": "ACME:Co"}, "issuer", "colon"),
        ({"account": ""}, "account", "empty"),
        ({"account": " \t"}, "account", "empty"),
        ({"issuer": ""}, "issuer", "empty"),
        ({"account": " alice"}, "account", "starts with a space"),
        ({"account": "a\ud800"}, "account", "surrogate"),
        ({"type": "motp"}, "type", "totp"),
        ({"type": "hotp"}, "counter", "needs a counter"),
        ({"counter": 0}, "counter", "totp"),
        ({"type": "hotp", "counter": -1}, "counter", "out of range"),
        ({"type": "hotp", "counter": 2**64}, "counter", "out of range"),
        ({"type": "hotp", "counter": "1"}, "counter", "whole number"),
        ({"digits": 5}, "digits", "out of range"),
        ({"digits": 9}, "digits", "out of range"),
        ({"digits": True}, "digits", "whole number"),
        ({"algorithm": "MD5"}, "algorithm", "unknown algorithm"),
        ({"period": 0}, "period", "out of range"),
        ({"period": 30.0}, "period", "whole number"),
    ],
)
def test_build_refuses_what_the_format_forbids(
    arguments: dict[str, object], where: str, text: str
) -> None:
    """build_uri raises KeyUriError naming the argument for forbidden or unusable values."""
    values: dict[str, object] = {"secret": RFC_KEY, "account": "alice", "issuer": "Ex"}
    values.update(arguments)
    with pytest.raises(KeyUriError, match=text) as caught:
        build_uri(**values)  # type: ignore[arg-type]
    assert caught.value.where == where


def test_build_refusing_a_colon_cites_the_format() -> None:
    """The colon refusal says the Key URI Format forbids it (it separates issuer and account)."""
    with pytest.raises(KeyUriError) as caught:
        build_uri(secret=RFC_KEY, account="a:b")
    assert "forbids" in caught.value.hint


@pytest.mark.parametrize("secret", ["", "JBSWY3DPEHPK3PX1", b""])
def test_build_refuses_a_bad_secret_with_a_secret_error(secret: str | bytes) -> None:
    """A secret that is empty or not base32 is a SecretError located at 'secret'."""
    with pytest.raises(SecretError) as caught:
        build_uri(secret=secret, account="bob")
    assert caught.value.where == "secret"


# -- parse ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "issuer", "account"),
    [
        ("Example:alice@gmail.com", "Example", "alice@gmail.com"),
        ("Provider1:Alice%20Smith", "Provider1", "Alice Smith"),
        ("Big%20Corporation%3A%20alice%40bigco.com", "Big Corporation", "alice@bigco.com"),
    ],
)
def test_parse_reads_the_format_s_label_examples(label: str, issuer: str, account: str) -> None:
    """Key URI Format label ABNF: literal or %3A colon, optional %20s before the account dropped."""
    parsed = parse_uri(uri_with(label))
    assert (parsed.label_issuer, parsed.issuer, parsed.account) == (issuer, issuer, account)
    assert parsed.issuer_param is None


def test_parse_reads_the_format_s_first_example() -> None:
    """The Key URI Format's first example parses to its documented values."""
    parsed = parse_uri(GA_EXAMPLE_1)
    assert parsed == KeyUri(
        type="totp",
        account="alice@google.com",
        secret="JBSWY3DPEHPK3PXP",
        issuer="Example",
        label_issuer="Example",
        issuer_param="Example",
    )
    assert parsed.secret_bytes() == b"Hello!\xde\xad\xbe\xef"


def test_parse_keeps_plus_as_plus() -> None:
    """'+' is not a space in a URI (no form decoding): it stays '+' in label and parameters."""
    parsed = parse_uri(uri_with("A+B:alice+bob", f"secret={RFC_SECRET}&issuer=A+B&x=1+2"))
    assert (parsed.label_issuer, parsed.account, parsed.issuer_param) == ("A+B", "alice+bob", "A+B")
    assert parsed.extra == (("x", "1+2"),)


def test_parse_accepts_a_lower_case_encoded_colon_and_drops_raw_spaces() -> None:
    """The separator may be %3a; spaces before the account (%20 or raw) are dropped."""
    parsed = parse_uri(uri_with("ACME%3a%20 %20bob"))
    assert (parsed.label_issuer, parsed.account) == ("ACME", "bob")


def test_parse_splits_at_the_first_colon_only() -> None:
    """Issuer ends at the first colon; later colons stay in the account (the linter flags them)."""
    parsed = parse_uri(uri_with("A:b:c"))
    assert (parsed.label_issuer, parsed.account) == ("A", "b:c")


def test_parse_does_not_split_at_an_encoded_percent_followed_by_3a() -> None:
    """'%253A' is an encoded '%' then '3A', not a separator."""
    parsed = parse_uri(uri_with("a%253Ab"))
    assert (parsed.label_issuer, parsed.account) == (None, "a%3Ab")


def test_parse_issuer_parameter_wins_over_the_label_prefix() -> None:
    """Key URI Format: issuer comes from the parameter, else from the label prefix."""
    parsed = parse_uri(uri_with("Old:bob", f"secret={RFC_SECRET}&issuer=New"))
    assert (parsed.issuer, parsed.label_issuer, parsed.issuer_param) == ("New", "Old", "New")


def test_parse_without_any_issuer_gives_none() -> None:
    """No prefix and no parameter: issuer is None."""
    assert parse_uri(uri_with("bob")).issuer is None


def test_parse_fills_in_the_defaults() -> None:
    """Absent algorithm/digits/period mean SHA1/6/30 (Key URI Format defaults)."""
    parsed = parse_uri(uri_with("bob"))
    assert (parsed.algorithm, parsed.digits, parsed.period, parsed.counter) == ("SHA1", 6, 30, None)


def test_parse_reads_hotp_counter_and_gives_no_period() -> None:
    """hotp: counter read, period None (and ignored if present)."""
    parsed = parse_uri(uri_with("bob", f"secret={RFC_SECRET}&counter=42&period=60", kind="hotp"))
    assert (parsed.type, parsed.counter, parsed.period) == ("hotp", 42, None)


def test_parse_keeps_questionable_values_for_the_linter() -> None:
    """Readable but invalid values (MD5, digits=10, period=0, hotp without counter) still parse."""
    query = f"secret={RFC_SECRET}&algorithm=md5&digits=10&period=0"
    parsed = parse_uri(uri_with("bob", query))
    assert (parsed.algorithm, parsed.digits, parsed.period) == ("MD5", 10, 0)
    assert parse_uri(uri_with("bob", kind="hotp")).counter is None


def test_parse_keeps_the_secret_as_written() -> None:
    """KeyUri.secret is the text as written (percent-decoded), not normalised."""
    parsed = parse_uri(uri_with("bob", "secret=jbsw%20y3dp-ehpk3pxp%3D%3D"))
    assert parsed.secret == "jbsw y3dp-ehpk3pxp=="
    assert parsed.secret_bytes() == b"Hello!\xde\xad\xbe\xef"


def test_parse_collects_unknown_parameters_in_order() -> None:
    """Unknown parameters land in extra, decoded, in URI order; the first of duplicates counts."""
    query = f"image=a%20b&secret={RFC_SECRET}&digits=8&Secret=x&digits=7&image=c"
    parsed = parse_uri(uri_with("bob", query))
    assert parsed.extra == (("image", "a b"), ("Secret", "x"), ("image", "c"))
    assert parsed.digits == 8


def test_parse_ignores_a_fragment_and_accepts_an_upper_case_scheme() -> None:
    """Text after '#' is dropped, as apps do; the scheme is case-insensitive (RFC 3986)."""
    parsed = parse_uri(f"OTPAUTH://TOTP/bob?secret={RFC_SECRET}#digits=8")
    assert (parsed.type, parsed.digits) == ("totp", 6)


@pytest.mark.parametrize(
    ("uri", "text"),
    [
        ("https://example.com/?secret=" + RFC_SECRET, "not an otpauth URI"),
        ("otpauth:totp/bob?secret=" + RFC_SECRET, "not an otpauth URI"),
        (" otpauth://totp/bob?secret=" + RFC_SECRET, "not an otpauth URI"),
        ("otpauth://motp/bob?secret=" + RFC_SECRET, "type 'motp'"),
        ("otpauth:///bob?secret=" + RFC_SECRET, "type ''"),
        ("otpauth://totp?secret=" + RFC_SECRET, "no label"),
        ("otpauth://totp/?secret=" + RFC_SECRET, "no label"),
        ("otpauth://totp/bob", "no secret"),
        ("otpauth://totp/bob?secret=", "secret parameter is empty"),
        ("otpauth://totp/bob?Secret=" + RFC_SECRET, "no secret"),
        ("otpauth://totp/bob?secret=GEZDGNBVGY3TQOJ1", "not base32"),
        ("otpauth://totp/bob?secret=GEZDGNBVG", "not base32"),
        ("otpauth://totp/bob?secret=a+b", "not base32"),
        (uri_with("bob", f"secret={RFC_SECRET}&digits=abc"), "digits='abc'"),
        (uri_with("bob", f"secret={RFC_SECRET}&digits=6.0"), "digits='6.0'"),
        (uri_with("bob", f"secret={RFC_SECRET}&period="), "period=''"),
        (uri_with("bob", f"secret={RFC_SECRET}&period=30%0A"), "period='30\\\\n'"),
        (uri_with("bob", f"secret={RFC_SECRET}&counter=1e3", kind="hotp"), "counter='1e3'"),
    ],
)
def test_parse_raises_only_when_the_uri_cannot_be_read(uri: str, text: str) -> None:
    """parse_uri raises KeyUriError with a hint for unreadable URIs, naming what is wrong."""
    with pytest.raises(KeyUriError, match=text) as caught:
        parse_uri(uri)
    assert caught.value.hint


def test_parse_errors_never_quote_the_secret() -> None:
    """Errors never contain the secret, even when the text is only a bare secret."""
    for uri in (RFC_SECRET, f"otpauth://motp/bob?secret={RFC_SECRET}"):
        with pytest.raises(KeyUriError) as caught:
            parse_uri(uri)
        assert RFC_SECRET not in str(caught.value)


# -- KeyUri -----------------------------------------------------------------------------------


def test_as_dict_masks_the_secret_and_has_exactly_the_documented_keys() -> None:
    """as_dict: keys type..counter; the secret masked with mask_secret() unless show_secret."""
    parsed = parse_uri(build_uri(secret=RFC_KEY, account="alice", issuer="Ex"))
    shown = parsed.as_dict()
    assert list(shown) == [
        "type",
        "issuer",
        "account",
        "secret",
        "algorithm",
        "digits",
        "period",
        "counter",
    ]
    assert shown["secret"] == "GEZD…(160 bits)"
    assert RFC_SECRET not in str(shown)
    assert parsed.as_dict(show_secret=True)["secret"] == RFC_SECRET


def test_repr_masks_the_secret() -> None:
    """A KeyUri in a log or a test failure does not show its secret."""
    parsed = parse_uri(uri_with("bob"))
    assert RFC_SECRET not in repr(parsed)
    assert "GEZD…(160 bits)" in repr(parsed)


def test_secret_bytes_decodes_the_rfc_4226_key() -> None:
    """The RFC 4226 Appendix D secret decodes to "12345678901234567890"."""
    assert parse_uri(uri_with("bob")).secret_bytes() == RFC_KEY


def test_to_uri_is_build_uri_of_the_same_values() -> None:
    """to_uri() is canonical: equal to build_uri() of the values, unknown parameters dropped."""
    parsed = parse_uri(uri_with("ACME:bob", f"secret={RFC_SECRET.lower()}=&digits=8&x=y"))
    assert parsed.to_uri() == build_uri(secret=RFC_KEY, account="bob", issuer="ACME", digits=8)


def test_to_uri_of_a_canonical_uri_gives_it_back() -> None:
    """Canonical URIs are fixed points of parse then to_uri."""
    assert parse_uri(GA_EXAMPLE_2).to_uri() == GA_EXAMPLE_2


def test_to_uri_refuses_values_that_cannot_be_built() -> None:
    """A parsed hotp URI without counter cannot be written back: KeyUriError, not a bad URI."""
    with pytest.raises(KeyUriError, match="counter"):
        parse_uri(uri_with("bob", kind="hotp")).to_uri()


def test_key_uri_is_immutable() -> None:
    """KeyUri is a frozen value object."""
    parsed = parse_uri(uri_with("bob"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.account = "eve"  # type: ignore[misc]


@pytest.mark.parametrize("module", [keyuri, _keyuri_lint], ids=lambda m: m.__name__)
def test_docstring_examples_hold(module: ModuleType) -> None:
    """The examples in the modules' docstrings are true."""
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert (failed, attempted > 0) == (0, True)

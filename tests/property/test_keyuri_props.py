"""Properties of building and parsing otpauth:// Key URIs (twofa_sim.core.keyuri)."""

from __future__ import annotations

from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from twofa_sim.core.keyuri import KeyUri, build_uri, lint_uri, parse_uri
from twofa_sim.core.secret import encode_secret


def buildable_name(text: str) -> bool:
    """What build_uri accepts as a name: no colon, not blank (accounts: no leading space)."""
    return ":" not in text and bool(text) and not text.isspace()


# Names mix arbitrary text with the characters URI encoders get wrong.
_TRICKY = st.sampled_from([*"%+&=?#/@ \x00\t\n\u00a0é😀", "%3A", "%20", "%2B", "+%"])
NAMES = st.lists(st.text(max_size=6) | _TRICKY, min_size=1, max_size=5).map("".join)
ISSUERS = NAMES.filter(buildable_name)
ACCOUNTS = ISSUERS.filter(lambda text: not text.startswith(" "))
KEYS = st.binary(min_size=16, max_size=64)
TYPES: st.SearchStrategy[Literal["totp", "hotp"]] = st.sampled_from(["totp", "hotp"])


@given(
    key=KEYS,
    account=ACCOUNTS,
    issuer=st.none() | ISSUERS,
    kind=TYPES,
    algorithm=st.sampled_from(["SHA1", "SHA256", "SHA512"]),
    digits=st.integers(6, 8),
    period=st.integers(1, 3600),
    counter=st.integers(0, 2**64 - 1),
)
def test_parse_of_build_is_the_identity(
    key: bytes,
    account: str,
    issuer: str | None,
    kind: Literal["totp", "hotp"],
    algorithm: str,
    digits: int,
    period: int,
    counter: int,
) -> None:
    """parse_uri(build_uri(values)) gives back exactly the values, for any names without ':'."""
    uri = build_uri(
        secret=key,
        account=account,
        issuer=issuer,
        type=kind,
        algorithm=algorithm,
        digits=digits,
        period=period,
        counter=counter if kind == "hotp" else None,
    )
    expected = KeyUri(
        type=kind,
        account=account,
        secret=encode_secret(key),
        issuer=issuer,
        algorithm=algorithm,
        digits=digits,
        period=period if kind == "totp" else None,
        counter=counter if kind == "hotp" else None,
        label_issuer=issuer,
        issuer_param=issuer,
    )
    parsed = parse_uri(uri)
    assert parsed == expected
    assert parsed.secret_bytes() == key
    assert parsed.to_uri() == uri


@given(key=KEYS, account=ACCOUNTS, issuer=st.none() | ISSUERS)
def test_built_uris_are_plain_ascii_without_plus_or_space(
    key: bytes, account: str, issuer: str | None
) -> None:
    """Built URIs are pure ASCII, with no '+' (ambiguous) and no raw space or control character."""
    uri = build_uri(secret=key, account=account, issuer=issuer)
    assert uri.isascii()
    assert "+" not in uri
    assert all(char.isprintable() and char != " " for char in uri)


@given(
    key=st.binary(min_size=20, max_size=64),
    account=ACCOUNTS,
    issuer=ISSUERS,
    kind=TYPES,
    counter=st.integers(0, 2**64 - 1),
)
def test_built_uris_with_defaults_lint_clean(
    key: bytes, account: str, issuer: str, kind: Literal["totp", "hotp"], counter: int
) -> None:
    """build_uri with an issuer, SHA1/6/30 and a >= 160-bit secret yields no findings at all."""
    uri = build_uri(
        secret=key,
        account=account,
        issuer=issuer,
        type=kind,
        counter=counter if kind == "hotp" else None,
    )
    assert lint_uri(uri) == []


@given(secret=st.binary(min_size=1, max_size=64).map(encode_secret), data=st.data())
def test_text_secrets_are_normalised_however_they_are_typed(
    secret: str, data: st.DataObject
) -> None:
    """A base32 secret typed in lower case, with padding or spaces, builds the same URI."""
    typed = secret.lower() if data.draw(st.booleans()) else secret
    typed += "=" * (-len(secret) % 8) if data.draw(st.booleans()) else ""
    typed = " ".join(typed[i : i + 4] for i in range(0, len(typed), 4))
    assert build_uri(secret=typed, account="bob") == build_uri(secret=secret, account="bob")

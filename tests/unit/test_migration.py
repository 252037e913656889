"""Google Authenticator export QR codes (otpauth-migration://): decoding, errors, lint, masking."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twofa_sim.core.migration import (
    MAX_URI_CHARS,
    MIGRATION_RULES,
    MigrationAccount,
    lint_migration,
    lint_text,
    parse_migration,
)
from twofa_sim.core.secret import encode_secret, redact_payload
from twofa_sim.errors import KeyUriError

# The example in dim13/otpauth's README (and many decoders' tests): one totp account,
# Example:alice@google.com, secret "Hello!\xde\xad\xbe\xef" = JBSWY3DPEHPK3PXP.
PUBLISHED = (
    "otpauth-migration://offline?data="
    "CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"
)
KEY = bytes(range(1, 21))  # 160 bits
KEY_B32 = encode_secret(KEY)


# -- an independent encoder: protocol buffers by hand ----------------------------------------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative numbers as two's complement, 10 bytes
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def account(
    secret: bytes = KEY,
    name: str = "ACME:alice",
    issuer: str = "ACME",
    algorithm: int = 1,
    digits: int = 1,
    kind: int = 2,
    counter: int | None = None,
) -> bytes:
    body = field(1, secret) + field(2, name) + field(3, issuer)
    body += field(4, algorithm) + field(5, digits) + field(6, kind)
    return body + (field(7, counter) if counter is not None else b"")


def export(*accounts: bytes, version: int = 1, size: int = 1, index: int = 0, bid: int = 7) -> str:
    data = b"".join(field(1, a) for a in accounts)
    data += field(2, version) + field(3, size) + field(4, index) + field(5, bid)
    return uri_of(data)


def uri_of(data: bytes) -> str:
    return "otpauth-migration://offline?data=" + quote(base64.b64encode(data).decode(), safe="")


# -- reading ----------------------------------------------------------------------------------


def test_the_published_example_reads_as_its_otpauth_uri() -> None:
    """The widely published example export decodes to Example:alice@google.com, JBSWY3DPEHPK3PXP,
    totp (algorithm and digits unwritten: SHA1 and 6, as Google Authenticator assumes)."""
    (only,) = parse_migration(PUBLISHED).accounts
    key = only.key_uri()
    assert (key.issuer, key.account, key.secret) == (
        "Example",
        "alice@google.com",
        "JBSWY3DPEHPK3PXP",
    )
    assert (key.type, key.algorithm, key.digits, key.period) == ("totp", "SHA1", 6, 30)


def test_every_field_of_every_account_is_read() -> None:
    """Two accounts (totp SHA512/6; hotp SHA256/8 at counter 5) and the batch fields come back."""
    text = export(
        account(algorithm=3),
        account(b"\x07" * 16, "bob", "", algorithm=2, digits=2, kind=1, counter=5),
        size=3,
        index=1,
        bid=-2,
    )
    payload = parse_migration(text)
    first, second = payload.accounts
    assert (first.index, first.secret, first.name, first.issuer) == (1, KEY, "ACME:alice", "ACME")
    assert (first.algorithm, first.digits, first.type) == ("SHA512", 6, "totp")
    assert (second.index, second.secret, second.name, second.issuer) == (2, b"\x07" * 16, "bob", "")
    assert (second.algorithm, second.digits, second.type, second.counter) == (
        "SHA256",
        8,
        "hotp",
        5,
    )
    assert second.uri().startswith("otpauth://hotp/bob?secret=")
    assert second.key_uri().counter == 5
    assert (payload.version, payload.batch_size, payload.batch_index) == (1, 3, 1)
    assert payload.batch_id == -2  # int32 written as a 10-byte varint


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    """A newer exporter's extra fields (varint, 64-bit, length-delimited, 32-bit) are ignored."""
    extra = field(9, 3) + bytes([10 << 3 | 1]) + b"\x00" * 8 + field(11, b"xyz")
    extra += bytes([12 << 3 | 5]) + b"\x00" * 4
    payload = parse_migration(uri_of(field(1, account() + extra) + extra + field(2, 1)))
    assert payload.accounts[0].secret == KEY and payload.version == 1


@pytest.mark.parametrize(
    "spelling",
    [
        lambda b64: b64.rstrip("="),  # padding left out
        lambda b64: b64.replace("+", "-").replace("/", "_"),  # URL-safe alphabet
        lambda b64: b64.replace("+", " "),  # an unescaped '+' read as a space by a form decoder
    ],
    ids=["unpadded", "url-safe", "plus-as-space"],
)
def test_the_ways_exporters_write_base64_are_read(spelling: object) -> None:
    """Unpadded, URL-safe and space-for-plus base64 all decode to the same accounts."""
    data = field(1, account(secret=b"\xfb\xff\xbe" * 6)) + field(2, 1)
    b64 = base64.b64encode(data).decode()
    assert "+" in b64 or "/" in b64
    text = "otpauth-migration://offline?data=" + spelling(b64)  # type: ignore[operator]
    assert parse_migration(text).accounts[0].secret == b"\xfb\xff\xbe" * 6


BAD_PAYLOADS = {
    "truncated-length": (field(1, account())[:-3], "byte 1 of the decoded payload: field 1 needs"),
    "truncated-varint": (b"\x10\x80", "byte 2 of the decoded payload: a number runs past"),
    "varint-over-64-bits": (b"\x10" + b"\xff" * 10 + b"\x01", "longer than 64 bits"),
    "group-wire-type": (bytes([1 << 3 | 3]), "wire type 3, which this format never uses"),
    "field-zero": (b"\x00\x01", "field number 0"),
    "secret-as-a-number": (
        field(1, field(1, 5)),
        "byte 3 of the decoded payload: secret of account 1 is a varint",
    ),
    "accounts-as-a-number": (field(1, 5), "otp_parameters of the payload is a varint"),
    "name-not-utf8": (
        field(1, field(1, KEY) + field(2, b"ab\xff")),
        "byte 29 of the decoded payload: the name of account 1 is not UTF-8",
    ),
    "inner-overrun": (
        field(1, b"\x12\x09abc"),
        "byte 3 of the decoded payload: field 2 needs 9 bytes but 3 remain",
    ),
}


@pytest.mark.parametrize(("data", "message"), BAD_PAYLOADS.values(), ids=list(BAD_PAYLOADS))
def test_malformed_payloads_are_located_errors(data: bytes, message: str) -> None:
    """A damaged payload is a KeyUriError at `data` naming the byte (counted from 1)."""
    with pytest.raises(KeyUriError) as caught:
        parse_migration(uri_of(data))
    assert caught.value.where == "data"
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", "must start with otpauth-migration://"),
        ("otpauth-migration://online?data=AA", "host is 'online', not offline"),
        ("otpauth-migration://offline?x=1", "data: there is no data parameter"),
        ("otpauth-migration://offline?data=AA&data=AA", "data: data is given more than once"),
        ("otpauth-migration://offline?data=CjE*Kck", "data: character 4 ('*') is not base64"),
        ("otpauth-migration://offline?data=CjEKC", "5 base64 characters cannot encode whole"),
    ],
)
def test_malformed_uris_are_located_errors(text: str, message: str) -> None:
    """Not an export, the wrong host, no single data parameter, or text that is not base64."""
    with pytest.raises(KeyUriError, match=re.escape(message)):
        parse_migration(text)


def test_an_overlong_uri_is_refused_before_it_is_read() -> None:
    """More than MAX_URI_CHARS characters (far beyond any QR code) is refused, whatever it holds."""
    with pytest.raises(KeyUriError, match=f"at most {MAX_URI_CHARS} are read"):
        parse_migration("otpauth-migration://offline?data=" + "A" * 10_000_000)


def test_the_largest_uri_read_holds_thousands_of_accounts() -> None:
    """A payload as large as allowed, made of the smallest accounts, is read in one linear pass."""
    data = field(1, b"") * 3000
    text = uri_of(data)
    assert len(text) <= MAX_URI_CHARS
    assert len(parse_migration(text).accounts) == 3000


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_a_located_error(data: bytes) -> None:
    """Whatever the payload bytes, parsing gives accounts or a KeyUriError at data, and lint
    never raises."""
    text = uri_of(data)
    where = None
    try:
        parse_migration(text)
    except KeyUriError as exc:
        where = exc.where
    assert where in (None, "data")
    findings = lint_migration(text)
    assert all(f.rule in MIGRATION_RULES or f.message.startswith("account ") for f in findings)


# -- lint -------------------------------------------------------------------------------------


def rules(text: str) -> list[str]:
    return [f.rule for f in lint_migration(text)]


def test_a_clean_export_has_no_findings() -> None:
    """One QR code of one, version 1, a 160-bit SHA1/6 totp account with an issuer: nothing."""
    assert lint_migration(export(account())) == []


def test_each_export_rule_fires() -> None:
    """Damaged data, no account, an unknown version, one of several QR codes, unknown values."""
    assert rules(uri_of(b"\x10")) == ["migration-malformed"]
    assert rules(export()) == ["migration-empty"]
    assert rules(export(account(), version=2)) == ["migration-version"]
    (batch,) = lint_migration(export(account(), size=3, index=1))
    assert batch.rule == "migration-batch" and batch.severity == "info"
    assert "QR code 2 of 3" in batch.message
    for bad in (account(algorithm=4), account(digits=7), account(kind=0)):
        assert rules(export(bad)) == ["migration-value-unknown"]


def test_each_account_is_judged_by_the_otpauth_rules_and_named() -> None:
    """A short secret, no issuer, an hotp account without a usable counter: the otpauth rules,
    each message naming the account by number and name."""
    text = export(account(), account(b"\x01" * 10, "bob", ""), account(counter=-1, kind=1))
    findings = lint_migration(text)
    assert [(f.rule, f.message.split(":")[0]) for f in findings] == [
        ("issuer-missing", "account 2 ('bob')"),
        ("secret-under-128-bits", "account 2 ('bob')"),
        ("counter-invalid", "account 3 ('ACME"),
    ]
    assert all(f.severity == "error" for f in findings if f.rule.startswith("secret-under"))


def test_lint_never_quotes_a_secret_even_one_repeated_in_the_name() -> None:
    """An account named with its own secret is flagged, and no message shows the secret."""
    text = export(account(name=f"ACME:{KEY_B32.lower()}", issuer=KEY_B32))
    findings = lint_migration(text)
    assert "secret-in-label" in [f.rule for f in findings]
    shown = json.dumps([f.message for f in findings])
    assert KEY_B32 not in shown.upper()


def test_an_account_s_repr_and_dict_mask_the_secret() -> None:
    """repr and as_dict show no secret (nor a copy in the name) unless asked."""
    (only,) = parse_migration(export(account(name=f"ACME:{KEY_B32}"))).accounts
    assert KEY_B32 not in repr(only)
    assert isinstance(only, MigrationAccount)
    shown = json.dumps(only.as_dict())
    assert KEY_B32 not in shown and "(160 bits)" in shown
    assert only.as_dict(show_secret=True)["secret"] == KEY_B32


# -- masking every shape ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        export(account()),
        export(account()).replace("offline?", "OFFLINE?x=1&") + "#data=again",
        "OTPAUTH-MIGRATION://offline/" + "Q2pF" * 20,
        KEY_B32,
        " " + " ".join(KEY_B32[i : i + 4] for i in range(0, 32, 4)).lower() + "\n",
        f"otpauth://totp/A:b?issuer=A#secret={KEY_B32}",
        f"otpauth://totp/A:{KEY_B32}?secret={KEY_B32}&issuer=A",
        f"otpauth://totp/A:{KEY_B32[:16]}%20{KEY_B32[16:].lower()}?secret={KEY_B32}",
        f"otpauth://totp/{KEY_B32}:b?SECRET={KEY_B32}&issuer={KEY_B32}",
    ],
    ids=[
        "export",
        "export-odd-shape",
        "export-no-query",
        "bare",
        "bare-spaced",
        "fragment",
        "label",
        "label-spaced",
        "issuer",
    ],
)
def test_redact_payload_hides_every_secret_shape(text: str) -> None:
    """No secret, in any case or spacing, and no export data survives redact_payload."""
    shown = redact_payload(text)
    compact = shown.upper().replace(" ", "").replace("%20", "")
    assert KEY_B32 not in compact
    assert KEY_B32[:16] not in compact and KEY_B32[16:] not in compact
    data = text.partition("data=")[2].partition("&")[0]
    assert not data or data not in shown
    assert "…(" in shown


def test_redact_payload_leaves_ordinary_text_alone() -> None:
    """Text with no secret shape comes back unchanged (a URL, a word, a short base32-ish word)."""
    for text in ("https://example.com/?q=1#top", "ACME", "HELLO WORLD", "otpauth://totp/a?x=1"):
        assert redact_payload(text) == text


# -- the command line -------------------------------------------------------------------------


def test_uri_lint_judges_an_export_link(capsys: pytest.CaptureFixture[str]) -> None:
    """`twofa-sim uri lint` takes an export link as pasted: exit 0 for a clean one; a damaged one
    or a weak account is an error finding (exit 1), and no secret is printed."""
    from twofa_sim.cli import main

    assert main(["uri", "lint", export(account())]) == 0
    assert "findings: none" in capsys.readouterr().out
    weak = encode_secret(b"\x01" * 10)
    assert main(["uri", "lint", "--json", export(account(b"\x01" * 10, f"ACME:{weak}"))]) == 1
    out = capsys.readouterr().out
    rules = [f["rule"] for f in json.loads(out)]
    assert rules == ["secret-in-label", "secret-under-128-bits"]
    assert weak not in out
    assert main(["uri", "lint", uri_of(b"\x0a\x05")]) == 1
    assert "migration-malformed" in capsys.readouterr().out


def test_qr_make_of_an_export_link_does_not_call_it_a_bad_uri(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rendering an export link warns about what is wrong with the export, not "not otpauth"."""
    from twofa_sim.cli import main

    out = tmp_path / "export.png"
    assert main(["qr", "make", export(account()), "-o", str(out)]) == 0
    assert "not-otpauth" not in capsys.readouterr().err
    assert main(["qr", "make", export(account(kind=0)), "-o", str(out)]) == 0
    assert "lint error: migration-value-unknown" in capsys.readouterr().err


def test_lint_text_masks_a_secret_quoted_by_any_message() -> None:
    """An issuer that is the secret in another spelling is masked out of the mismatch message."""
    text = f"otpauth://totp/{KEY_B32.lower()}:a?secret={KEY_B32}&issuer=ACME"
    findings = lint_text(text)
    assert {"issuer-mismatch", "secret-in-label"} <= {f.rule for f in findings}
    assert KEY_B32 not in json.dumps([f.message for f in findings]).upper()


_SEPARATED = st.sampled_from(["", " ", "-", "%20"])


@given(
    key=st.binary(min_size=10, max_size=64),
    spelling=st.tuples(st.booleans(), _SEPARATED),
    where=st.sampled_from(["query", "fragment", "amp", "label", "issuer", "bare"]),
)
def test_no_spelling_or_place_of_a_secret_survives_redact_payload(
    key: bytes, spelling: tuple[bool, str], where: str
) -> None:
    """Whatever the key (80 to 512 bits), its case and separators, and wherever it is written
    (query, fragment, after an HTML-escaped &amp;, label, issuer, alone), redact_payload shows
    none of it beyond the 4 characters mask_secret reveals."""
    secret = encode_secret(key)
    lower, gap = spelling
    written = gap.join(secret[i : i + 4] for i in range(0, len(secret), 4))
    written = written.lower() if lower else written
    text = {
        "query": f"otpauth://totp/A:b?secret={written}&issuer=A",
        "fragment": f"otpauth://totp/A:b?issuer=A#secret={written}",
        "amp": f"otpauth://totp/A:b?issuer=A&amp;secret={written}",
        "label": f"otpauth://totp/A:{written}?secret={secret}&issuer=A",
        "issuer": f"otpauth://totp/{written}:b?secret={secret}&issuer={written}",
        "bare": written.replace("%20", " "),
    }[where]
    shown = redact_payload(text).upper().replace("%20", "").replace(" ", "").replace("-", "")
    assert secret[4:] not in shown

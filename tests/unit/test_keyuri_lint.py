"""The otpauth:// URI linter: one rule at a time, the corpus, and robustness (core.keyuri)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twofa_sim.core.keyuri import RULES, Finding, build_uri, lint_uri, parse_uri
from twofa_sim.core.secret import encode_secret
from twofa_sim.errors import KeyUriError

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 4226 Appendix D key, 160 bits
CANONICAL = build_uri(secret=SECRET, account="alice@example.com", issuer="Example")
HEAD = "otpauth://totp/Example:alice@example.com"
TAIL = "issuer=Example&algorithm=SHA1&digits=6&period=30"
HOTP = f"otpauth://hotp/Example:alice?secret={SECRET}&issuer=Example"
GA_EXAMPLE_1 = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
GA_EXAMPLE_2 = (
    "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
)
CORPUS = Path(__file__).parent.parent / "data" / "keyuri_cases.json"


def canonical_with(**changes: str) -> str:
    """The canonical URI with some parameters replaced (or removed, with an empty string)."""
    params = {"secret": SECRET, "issuer": "Example", "algorithm": "SHA1", "digits": "6"}
    params["period"] = "30"
    params.update(changes)
    return f"{HEAD}?" + "&".join(f"{k}={v}" for k, v in params.items() if v)


MINIMAL_BAD = {
    "not-otpauth": f"https://example.com/enroll?secret={SECRET}",
    "type-invalid": CANONICAL.replace("//totp/", "//motp/"),
    "uri-case": CANONICAL.replace("otpauth://totp/", "OTPAUTH://TOTP/"),
    "encoded-parameter-name": CANONICAL.replace("?secret=", "?s%65cret="),
    "label-missing": CANONICAL.replace("/Example:alice@example.com", ""),
    "fragment": CANONICAL + "#note",
    "percent-encoding": CANONICAL.replace("alice", "al%ZZice"),
    "unencoded-characters": CANONICAL.replace("alice", "alice smith"),
    "plus-sign": CANONICAL.replace("alice", "alice+smith"),
    "duplicate-parameter": CANONICAL + "&digits=6",
    "unknown-parameter": CANONICAL + "&image=https%3A%2F%2Fexample.com%2Flogo.png",
    "account-empty": CANONICAL.replace("alice@example.com", ""),
    "colon-in-name": CANONICAL.replace("alice", "alice%3Asmith"),
    "issuer-missing": f"otpauth://totp/alice@example.com?secret={SECRET}",
    "issuer-empty": CANONICAL.replace("issuer=Example", "issuer="),
    "issuer-mismatch": CANONICAL.replace("issuer=Example", "issuer=Other"),
    "issuer-param-missing": canonical_with(issuer=""),
    "issuer-prefix-missing": CANONICAL.replace("/Example:", "/"),
    "secret-missing": canonical_with(secret=""),
    "secret-not-base32": canonical_with(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"),
    "secret-padding": canonical_with(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQME======"),
    "secret-lowercase": canonical_with(secret=SECRET.lower()),
    "secret-separators": canonical_with(secret="GEZDGNBV-GY3TQOJQ-GEZDGNBV-GY3TQOJQ"),
    "secret-in-label": CANONICAL.replace("alice@example.com", SECRET.lower()),
    "secret-under-128-bits": canonical_with(secret="JBSWY3DPEHPK3PXP"),
    "secret-under-160-bits": canonical_with(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY"),
    "hotp-counter-missing": HOTP,
    "period-on-hotp": f"{HOTP}&counter=0&period=30",
    "counter-on-totp": CANONICAL + "&counter=0",
    "algorithm-invalid": canonical_with(algorithm="MD5"),
    "digits-invalid": canonical_with(digits="10"),
    "period-invalid": canonical_with(period="0"),
    "counter-invalid": f"{HOTP}&counter=-1",
    "algorithm-case": canonical_with(algorithm="sha1"),
    "nondefault-algorithm": canonical_with(algorithm="SHA256"),
    "nondefault-digits": canonical_with(digits="8"),
    "nondefault-period": canonical_with(period="60"),
}


def rules(uri: str) -> list[str]:
    return [finding.rule for finding in lint_uri(uri)]


def test_every_rule_has_a_minimal_bad_uri() -> None:
    """The table below covers every rule of the catalogue, and nothing else."""
    assert set(MINIMAL_BAD) == set(RULES)


def test_the_canonical_uri_has_no_findings() -> None:
    """No rule fires on build_uri's output for a 160-bit secret with an issuer and SHA1/6/30."""
    assert lint_uri(CANONICAL) == []


@pytest.mark.parametrize(("rule", "uri"), MINIMAL_BAD.items(), ids=list(MINIMAL_BAD))
def test_rule_fires_on_its_minimal_bad_uri(rule: str, uri: str) -> None:
    """Each rule fires on a URI that breaks only it (plus what that break implies)."""
    findings = [f for f in lint_uri(uri) if f.rule == rule]
    assert findings, f"{rule} did not fire on {uri}"
    assert all(f.severity == RULES[rule][0] for f in findings)
    assert all(SECRET not in f.message for f in lint_uri(uri))


@pytest.mark.parametrize(
    ("rule", "uri"),
    [
        ("digits-invalid", canonical_with(digits="abc")),
        ("digits-invalid", canonical_with(digits="5")),
        ("period-invalid", canonical_with(period="-30")),
        ("period-invalid", canonical_with(period="thirty")),
        ("counter-invalid", f"{HOTP}&counter={2**64}"),
        ("counter-invalid", f"{HOTP}&counter=x"),
        ("algorithm-invalid", canonical_with(algorithm="SHA-256")),
        ("percent-encoding", CANONICAL.replace("alice", "al%FFice")),
        ("percent-encoding", canonical_with(issuer="Example%")),
        ("unencoded-characters", CANONICAL.replace("alice", "al/ice")),
        ("unencoded-characters", CANONICAL.replace("alice", "zoë")),
        ("plus-sign", canonical_with(issuer="Ex+ample")),
        ("colon-in-name", CANONICAL.replace("alice", "alice:smith")),
        ("colon-in-name", canonical_with(issuer="Ex:ample")),
        ("issuer-empty", CANONICAL.replace("/Example:", "/:")),
        ("uri-case", CANONICAL.replace("otpauth://", "OtpAuth://")),
        ("secret-missing", CANONICAL.replace("secret=", "Secret=")),
        ("secret-separators", canonical_with(secret="GEZDGNBV%20GY3TQOJQGEZDGNBVGY3TQOJQ")),
    ],
)
def test_rule_fires_on_other_forms_of_the_problem(rule: str, uri: str) -> None:
    """Rules catch every form of their problem, not just the first example."""
    assert rule in rules(uri)


@pytest.mark.parametrize(
    ("rule", "uri"),
    [
        ("plus-sign", CANONICAL.replace("alice", "alice%2Bsmith")),
        ("unencoded-characters", CANONICAL.replace("alice", "alice%20smith")),
        ("colon-in-name", CANONICAL.replace("/Example:", "/Example%3A")),
        ("issuer-mismatch", CANONICAL.replace("/Example:", "/Example%3A%20%20")),
        ("nondefault-period", f"{HOTP}&counter=0&period=60"),
        ("nondefault-algorithm", canonical_with(algorithm="MD5")),
        ("nondefault-digits", canonical_with(digits="10")),
        ("secret-under-128-bits", canonical_with(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY")),
        ("percent-encoding", CANONICAL.replace("alice", "zo%C3%AB")),
    ],
)
def test_rule_does_not_fire_on_near_misses(rule: str, uri: str) -> None:
    """Rules stay quiet on correct lookalikes (encoded '+', %3A separator, MD5 is only invalid)."""
    assert rule not in rules(uri)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (10, ["secret-under-128-bits"]),
        (15, ["secret-under-128-bits"]),
        (16, ["secret-under-160-bits"]),
        (19, ["secret-under-160-bits"]),
        (20, []),
        (64, []),
    ],
)
def test_secret_length_boundaries(size: int, expected: list[str]) -> None:
    """RFC 4226 R6: under 128 bits is an error, 128-159 bits an info, 160 bits and more clean."""
    secret = encode_secret(bytes(range(size)))
    assert rules(canonical_with(secret=secret)) == expected


@pytest.mark.parametrize(("size", "padding"), [(24, 1), (23, 3), (22, 4), (21, 6)])
def test_any_amount_of_padding_is_reported(size: int, padding: int) -> None:
    """Key URI Format: padding should be omitted, whether one '=' or six."""
    padded = base64.b32encode(bytes(range(size))).decode()
    assert len(padded) - len(padded.rstrip("=")) == padding
    assert rules(canonical_with(secret=padded)) == ["secret-padding"]


def test_the_second_ga_example_has_no_errors() -> None:
    """The Key URI Format's full example lints with no error (nor anything else)."""
    assert lint_uri(GA_EXAMPLE_2) == []


def test_the_first_ga_example_s_only_error_is_its_80_bit_secret() -> None:
    """The format's first example has an 80-bit secret: RFC 4226 R6 (>= 128) is its one error."""
    errors = [f.rule for f in lint_uri(GA_EXAMPLE_1) if f.severity == "error"]
    assert errors == ["secret-under-128-bits"]
    assert rules(GA_EXAMPLE_1) == ["secret-under-128-bits"]


def test_the_rfc_4226_secret_lints_clean() -> None:
    """The RFC 4226 test key (160 bits) meets R6's recommendation: no secret findings."""
    uri = f"otpauth://hotp/Example:alice?secret={SECRET}&issuer=Example&counter=0"
    assert lint_uri(uri) == []


def test_compat_warning_names_the_apps_and_years() -> None:
    """Non-default algorithm: the warning names who ignores it and who refuses it, with years."""
    (finding,) = lint_uri(canonical_with(algorithm="SHA256"))
    assert finding.rule == "nondefault-algorithm"
    assert finding.message.startswith(
        "algorithm=SHA256: ignored by Google Authenticator (Android, 2012-2018), "
    )
    assert "(codes silently wrong); refused by Google Authenticator (Android, 2023)" in (
        finding.message
    )
    assert "use algorithm=SHA1" in finding.message


def test_digits_and_period_warnings_name_google_authenticator_2012_2018() -> None:
    """digits=8 and period=60 both name Google Authenticator on Android 2012-2018."""
    for uri in (canonical_with(digits="8"), canonical_with(period="60")):
        (finding,) = lint_uri(uri)
        assert "ignored by Google Authenticator (Android, 2012-2018)" in finding.message


def test_unknown_parameter_names_them_and_suggests_the_spelling() -> None:
    """Unknown parameters are named; a wrongly cased standard name gets its right spelling."""
    (finding,) = lint_uri(CANONICAL + "&Digits=8&image=x")
    assert finding.rule == "unknown-parameter"
    assert "'Digits'" in finding.message
    assert "'image'" in finding.message
    assert "'digits' for 'Digits'" in finding.message


def test_duplicate_parameter_names_it() -> None:
    """Duplicated parameters are named in the message."""
    (finding,) = lint_uri(CANONICAL + "&period=60")
    assert (finding.rule, "'period'" in finding.message) == ("duplicate-parameter", True)


def test_findings_come_out_in_catalogue_order() -> None:
    """Findings are ordered as the rules are in RULES, whatever order the URI shows them in."""
    uri = f"OTPAUTH://totp/alice?digits=8&period=0&secret={SECRET.lower()}=&x=1#f"
    found = rules(uri)
    order = list(RULES)
    assert found == sorted(found, key=order.index)
    assert len(found) >= 6


def test_messages_never_contain_the_secret() -> None:
    """No finding quotes the secret, even when the secret itself is what is wrong."""
    for secret in (SECRET.lower(), SECRET + "=", SECRET[:-1] + "1", "JBSWY3DPEHPK3PXP"):
        for finding in lint_uri(canonical_with(secret=secret) + f"&secret={secret}"):
            assert secret not in finding.message
            assert secret.upper() not in finding.message


@pytest.mark.parametrize(
    "uri",
    [
        f"{HEAD}?{SECRET}&issuer=Example",  # "secret=" forgotten: the key is a parameter name
        f"{HEAD}?{SECRET}=&issuer=Example",
        f"otpauth://{SECRET}/Example:alice?secret={SECRET}&issuer=Example",  # key as the type
        canonical_with(issuer=SECRET),
        canonical_with(algorithm=SECRET.lower(), digits=SECRET),
    ],
)
def test_key_like_text_is_masked_wherever_it_is_quoted(uri: str) -> None:
    """A key pasted in the wrong place is still not quoted: messages show it masked."""
    findings = lint_uri(uri)
    assert findings
    for finding in findings:
        assert SECRET not in finding.message.upper()
        assert SECRET[:16] not in finding.message.upper()


def test_rule_catalogue_is_well_formed() -> None:
    """RULES: kebab-case ids, a known severity and a one-line description each."""
    for rule, (severity, description) in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule), rule
        assert severity in {"error", "warning", "info"}
        assert description
        assert "\n" not in description


def test_finding_prints_as_one_line() -> None:
    """str(Finding) is 'severity rule: message' for the command line."""
    assert str(Finding("fragment", "warning", "x; y")) == "warning fragment: x; y"


def test_unreadable_uri_yields_error_findings() -> None:
    """lint_uri does not raise on unreadable URIs: it returns error findings."""
    assert lint_uri("") == [lint_uri("mailto:bob")[0]]
    assert lint_uri("")[0].severity == "error"
    assert lint_uri(None)[0].rule == "not-otpauth"  # type: ignore[arg-type]


# -- the corpus -------------------------------------------------------------------------------

_CASES = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _CASES, ids=[case["id"] for case in _CASES])
def test_corpus_case(case: dict[str, object]) -> None:
    """tests/data/keyuri_cases.json: each URI yields exactly the listed rules, in order."""
    assert rules(str(case["uri"])) == case["rules"]


def test_corpus_covers_every_rule() -> None:
    """Every rule appears in at least one corpus case; every corpus rule is in the catalogue."""
    seen = {rule for case in _CASES for rule in case["rules"]}
    assert seen == set(RULES)


# -- robustness -------------------------------------------------------------------------------


def check_findings(uri: str) -> list[Finding]:
    findings = lint_uri(uri)
    assert isinstance(findings, list)
    for finding in findings:
        assert finding.rule in RULES
        assert finding.severity == RULES[finding.rule][0]
        assert finding.message
    order = list(RULES)
    assert [f.rule for f in findings] == sorted((f.rule for f in findings), key=order.index)
    return findings


def check_parse_agrees(uri: str, findings: list[Finding]) -> None:
    """parse_uri raises only KeyUriError, and then the linter reported that very error."""
    try:
        parse_uri(uri)
    except KeyUriError as exc:
        reported = any(f.severity == "error" and f.message.startswith(exc.what) for f in findings)
    else:
        reported = True
    assert reported


@given(st.text())
def test_lint_never_raises_on_arbitrary_text(text: str) -> None:
    """lint_uri returns a list of catalogue findings for any text; parse_uri agrees with it."""
    findings = check_findings(text)
    check_parse_agrees(text, findings)


NASTY = st.sampled_from([*"%:+&=?#/ @aA0z7\x00\t\né😀-", "%3A", "%20", "%2", "%FF", "=="])
PREFIXED = st.text().map(lambda text: "otpauth://" + text)


@given(
    base=st.sampled_from([CANONICAL, GA_EXAMPLE_1, GA_EXAMPLE_2, *MINIMAL_BAD.values()]),
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 3), NASTY | st.text(max_size=3)),
        max_size=6,
    ),
)
def test_lint_never_raises_on_mutated_uris(base: str, edits: list[tuple[int, int, str]]) -> None:
    """Inserting, deleting and replacing characters anywhere in a URI never makes lint_uri raise."""
    uri = base
    for position, deleted, inserted in edits:
        at = position % (len(uri) + 1)
        uri = uri[:at] + inserted + uri[at + deleted :]
    findings = check_findings(uri)
    check_parse_agrees(uri, findings)
    assert all(SECRET not in f.message for f in findings)


@given(PREFIXED)
def test_lint_never_raises_on_otpauth_prefixed_text(uri: str) -> None:
    """Arbitrary text after otpauth:// (where the reading really starts) never makes it raise."""
    check_parse_agrees(uri, check_findings(uri))

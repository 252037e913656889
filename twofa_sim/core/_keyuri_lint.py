"""Reading an ``otpauth://`` URI part by part, and the linter's rules; public via :mod:`keyuri`.

:func:`read_uri` splits a URI into scheme, type, label (issuer prefix and account) and parameters
without judging anything. :func:`unreadable` lists what stops a URI from being read at all: those
problems make :func:`~twofa_sim.core.keyuri.parse_uri` raise, and the linter reports them as
errors, so
the two never disagree. :func:`lint_uri` adds every other rule of :data:`RULES`.

Messages name the problem and the fix and never quote the secret.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal
from urllib.parse import unquote

from twofa_sim.core import appcompat
from twofa_sim.core.otp import MAX_COUNTER, MAX_DIGITS, MIN_DIGITS, Algorithm
from twofa_sim.core.secret import (
    MIN_ENROLL_BITS,
    RECOMMENDED_BITS,
    decode_secret,
    mask_secret,
    mask_secret_in,
)
from twofa_sim.errors import KeyUriError, SecretError

Severity = Literal["error", "warning", "info"]

PREFIX = "otpauth://"
TYPES = ("totp", "hotp")
ALGORITHMS = tuple(a.value for a in Algorithm)
DEFAULTS: dict[appcompat.Parameter, str] = {"algorithm": "SHA1", "digits": "6", "period": "30"}
KNOWN_PARAMETERS = ("secret", "issuer", "algorithm", "digits", "period", "counter")

RULES = MappingProxyType[str, tuple[Severity, str]](
    {
        "not-otpauth": ("error", "the text is not an otpauth:// URI"),
        "type-invalid": ("error", "the type is not totp or hotp"),
        "uri-case": ("warning", "the scheme or type is not in lower case"),
        "label-missing": ("error", "there is no label (otpauth://TYPE/LABEL)"),
        "fragment": ("warning", "a '#' fragment, which apps drop with anything after it"),
        "percent-encoding": ("error", "a malformed %-escape, or escapes that are not UTF-8"),
        "unencoded-characters": ("warning", "characters that should be percent-encoded"),
        "encoded-parameter-name": ("warning", "a parameter name written with %-escapes"),
        "plus-sign": ("warning", "'+' in the label or issuer: some decoders read it as a space"),
        "duplicate-parameter": ("error", "a parameter given more than once"),
        "unknown-parameter": ("warning", "a parameter the Key URI Format does not define"),
        "account-empty": ("error", "the account name is empty"),
        "colon-in-name": ("error", "a colon inside the issuer or account name"),
        "issuer-missing": ("warning", "no issuer at all (the format STRONGLY RECOMMENDS one)"),
        "issuer-empty": ("warning", "an empty issuer prefix or issuer parameter"),
        "issuer-mismatch": ("warning", "the issuer prefix differs from the issuer parameter"),
        "issuer-param-missing": ("info", "an issuer prefix but no issuer parameter"),
        "issuer-prefix-missing": ("info", "an issuer parameter but no issuer prefix"),
        "secret-missing": ("error", "no secret parameter, or an empty one"),
        "secret-not-base32": ("error", "the secret is not base32"),
        "secret-padding": ("warning", "the secret has '=' padding, which should be omitted"),
        "secret-lowercase": ("warning", "the secret has lower-case letters"),
        "secret-separators": ("warning", "the secret has spaces or hyphens"),
        "secret-in-label": ("error", "the label or issuer repeats the secret (apps show it)"),
        "secret-under-128-bits": ("error", "the secret is under 128 bits (RFC 4226 R6)"),
        "secret-under-160-bits": ("info", "the secret is under the recommended 160 bits"),
        "hotp-counter-missing": ("error", "an hotp URI without a counter"),
        "period-on-hotp": ("warning", "a period parameter on an hotp URI"),
        "counter-on-totp": ("warning", "a counter parameter on a totp URI"),
        "algorithm-invalid": ("error", "the algorithm is not SHA1, SHA256 or SHA512"),
        "digits-invalid": ("error", f"digits is not a whole number {MIN_DIGITS}-{MAX_DIGITS}"),
        "period-invalid": ("error", "period is not a whole number of seconds >= 1"),
        "counter-invalid": ("error", "counter is not a whole number 0 to 2**64-1"),
        "algorithm-case": ("warning", "the algorithm is not written in upper case"),
        "nondefault-algorithm": ("warning", "an algorithm other than SHA1: apps that break"),
        "nondefault-digits": ("warning", "digits other than 6: apps that break"),
        "nondefault-period": ("warning", "a period other than 30: apps that break"),
    }
)
"""Every lint rule, in the order findings are reported: id -> (severity, one-line description)."""

_ORDER = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Finding:
    """One thing the linter found: a rule id from :data:`RULES`, its severity, and a message."""

    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity} {self.rule}: {self.message}"


@dataclass(frozen=True)
class Problem:
    """A rule broken: what is wrong, and how to fix it (a message or an exception's hint)."""

    rule: str
    what: str
    fix: str

    def finding(self) -> Finding:
        return Finding(self.rule, RULES[self.rule][0], f"{self.what}; {self.fix}")

    def error(self) -> KeyUriError:
        return KeyUriError(self.what, hint=self.fix)


NOT_OTPAUTH = Problem(
    "not-otpauth",
    "not an otpauth URI: it must start with otpauth://",
    "a Key URI looks like otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer",
)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One ``name=value`` pair of the query, percent-decoded, and as written (``raw_*``)."""

    name: str
    value: str
    raw_name: str
    raw_value: str

    @classmethod
    def read(cls, piece: str) -> Param:
        raw_name, _, raw_value = piece.partition("=")
        return cls(unquote(raw_name), unquote(raw_value), raw_name, raw_value)


@dataclass(frozen=True)
class Reading:
    """The parts of an ``otpauth://`` URI, split but not judged; ``raw_*`` parts are as written."""

    scheme: str
    type_text: str
    raw_label: str | None  # None: no '/' after the type
    raw_prefix: str | None  # None: no issuer prefix in the label
    raw_account: str
    params: tuple[Param, ...]
    fragment: str | None

    @property
    def type(self) -> Literal["totp", "hotp"] | None:
        lowered = self.type_text.lower()
        return "totp" if lowered == "totp" else "hotp" if lowered == "hotp" else None

    @property
    def label_issuer(self) -> str | None:
        return None if self.raw_prefix is None else unquote(self.raw_prefix)

    @property
    def account(self) -> str:
        return unquote(self.raw_account)

    def first(self, name: str) -> Param | None:
        """The first parameter called ``name`` (apps read the first of duplicates)."""
        return next((p for p in self.params if p.name == name), None)

    def value(self, name: str) -> str | None:
        param = self.first(name)
        return None if param is None else param.value


# The issuer prefix ends at the first literal or encoded colon. A '%' always starts an escape, so a
# match cannot fall inside one (an encoded '%' followed by "3A" is "%253A").
_SEPARATOR = re.compile(r":|%3[aA]")
# "optional spaces may precede the account name": the ABNF's *"%20" (and raw spaces, which apps
# that decode first see the same way).
_LEADING_SPACES = re.compile(r"(?:%20| )+")
_INTEGER = re.compile(r"-?[0-9]{1,40}")


def read_uri(uri: str) -> Reading | None:
    """Split an ``otpauth://`` URI into its parts, or None if it is not one.

    Splitting is done by hand, not with :func:`urllib.parse.urlsplit` (which silently deletes tabs
    and newlines) nor ``parse_qsl`` (which turns ``+`` into a space).
    """
    if uri[: len(PREFIX)].lower() != PREFIX:
        return None
    rest, hash_sign, fragment = uri[len(PREFIX) :].partition("#")
    rest, question_mark, query = rest.partition("?")
    type_text, slash, raw_label = rest.partition("/")
    raw_prefix, raw_account = None, raw_label
    separator = _SEPARATOR.search(raw_label)
    if separator:
        raw_prefix = raw_label[: separator.start()]
        rest_of_label = raw_label[separator.end() :]
        spaces = _LEADING_SPACES.match(rest_of_label)
        raw_account = rest_of_label[spaces.end() :] if spaces else rest_of_label
    pieces = query.split("&") if question_mark else []
    return Reading(
        scheme=uri[: len(PREFIX) - 3],
        type_text=type_text,
        raw_label=raw_label if slash else None,
        raw_prefix=raw_prefix,
        raw_account=raw_account,
        params=tuple(Param.read(piece) for piece in pieces if piece),
        fragment=fragment if hash_sign else None,
    )


def integer(text: str | None) -> int | None:
    """A parameter's whole-number value, or None if it is absent or not a plain decimal number."""
    return int(text) if text is not None and _INTEGER.fullmatch(text) else None


# Text that looks like a base32 key (a key pasted without "secret=", or as the issuer) is masked.
_KEY_LIKE = re.compile(r"(?=.*[2-7])[A-Za-z2-7]{16,}=*")


def _shown(text: str, limit: int = 24) -> str:
    """A value fit for a message: quoted, escaped, cut short, and masked if it looks like a key."""
    if _KEY_LIKE.fullmatch(text):
        return mask_secret(text)
    return repr(text[:limit] + "…") if len(text) > limit else repr(text)


def _listed(items: list[str], *, separator: str = ", ", limit: int = 5) -> str:
    """Items for a message, the first few only: "a, b, c and 7 more"."""
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return separator.join(items[:limit]) + more


def _names(items: list[str]) -> str:
    return _listed([_shown(item) for item in items])


# -- rules ------------------------------------------------------------------------------------


def unreadable(reading: Reading) -> list[Problem]:
    """What stops the URI being read at all, in rule order (empty if it can be parsed)."""
    problems: list[Problem] = []
    if reading.type is None:
        what = f"the type {_shown(reading.type_text)} is not totp or hotp"
        fix = "write otpauth://totp/... (time-based) or otpauth://hotp/... (counter-based)"
        problems.append(Problem("type-invalid", what, fix))
    if not reading.raw_label:
        fix = "add the account name after the type, e.g. otpauth://totp/Issuer:alice?..."
        problems.append(Problem("label-missing", "the URI has no label", fix))
    secret = reading.value("secret")
    if secret is None and "secret=" in (reading.fragment or "").lower():
        what = "the secret is after the '#', in the fragment, which apps drop"
        fix = "move it into the query: ?secret=<the key in base32>&issuer=..."
        problems.append(Problem("secret-missing", what, fix))
    elif secret is None:
        fix = "add secret=<the key in base32>"
        problems.append(Problem("secret-missing", "the URI has no secret parameter", fix))
    else:
        try:
            decode_secret(secret)
        except SecretError as exc:
            if not secret.strip(" \t\r\n-="):
                what = "the secret parameter is empty"
                problems.append(Problem("secret-missing", what, "put the base32 key in it"))
            else:
                what = f"the secret is not base32: {exc.what}"
                problems.append(Problem("secret-not-base32", what, exc.hint))
    for name, example in (("digits", 6), ("period", 30), ("counter", 0)):
        value = reading.value(name)
        if value is not None and integer(value) is None:
            what = f"{name}={_shown(value)} is not a whole number"
            fix = f"write it in decimal digits, e.g. {name}={example}"
            problems.append(Problem(f"{name}-invalid", what, fix))
    return problems


def lint_uri(uri: str) -> list[Finding]:
    """Every rule of :data:`RULES` the URI breaks, in catalogue order; never raises.

    >>> [f.rule for f in lint_uri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")]
    ['issuer-missing', 'secret-under-128-bits']
    """
    reading = read_uri(uri) if isinstance(uri, str) else None
    if reading is None:
        return [NOT_OTPAUTH.finding()]
    problems = [*unreadable(reading), *_questionable(reading)]
    problems.sort(key=lambda problem: _ORDER[problem.rule])
    return [problem.finding() for problem in problems]


def _questionable(reading: Reading) -> Iterator[Problem]:
    yield from _encoding_rules(reading)
    yield from _parameter_rules(reading)
    yield from _label_rules(reading)
    yield from _secret_rules(reading)
    yield from _value_rules(reading)


# RFC 3986: unreserved, sub-delims, ':' '@' and escapes may stand raw in a path; a query also
# allows '/' and '?'.
_LABEL_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%")
_QUERY_CHARS = _LABEL_CHARS | frozenset("/?")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _parts(reading: Reading) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(where, raw text, allowed characters) for the label and every parameter name and value."""
    if reading.raw_label is not None:
        yield "the label", reading.raw_label, _LABEL_CHARS
    for param in reading.params:
        yield f"parameter name {_shown(param.name)}", param.raw_name, _QUERY_CHARS
        yield f"parameter {_shown(param.name)}", param.raw_value, _QUERY_CHARS


def _bad_escapes(raw: str) -> bool:
    """A '%' that starts no %XX escape, or escapes whose bytes are not UTF-8."""
    try:
        unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return True
    return _BAD_ESCAPE.search(raw) is not None


def _char(char: str) -> str:
    return repr(char) if char.isascii() and char.isprintable() else f"U+{ord(char):04X}"


def _encoding_rules(reading: Reading) -> Iterator[Problem]:
    if reading.type and (reading.scheme, reading.type_text) != ("otpauth", reading.type):
        what = f"{reading.scheme}://{reading.type_text}/ is not in lower case"
        fix = f"write otpauth://{reading.type}/; apps compare the type exactly"
        yield Problem("uri-case", what, fix)
    if reading.fragment is not None:
        what = "the URI has a '#' fragment, which apps drop along with any parameters in it"
        yield Problem("fragment", what, "percent-encode '#' as %23")
    malformed, unencoded = [], []
    for where, raw, allowed in _parts(reading):
        if _bad_escapes(raw):
            malformed.append(where)
        chars = dict.fromkeys(c for c in raw if c not in allowed)
        if chars:
            unencoded.append(f"{_listed([_char(c) for c in chars])} in {where}")
    if malformed:
        what = f"malformed percent-encoding in {_listed(malformed)}"
        fix = "every '%' must start a %XX escape of UTF-8 bytes; write '%' itself as %25"
        yield Problem("percent-encoding", what, fix)
    if unencoded:
        what = f"characters that should be percent-encoded: {_listed(unencoded, separator='; ')}"
        yield Problem("unencoded-characters", what, "percent-encode them (a space is %20)")
    encoded = [p.raw_name for p in reading.params if p.raw_name != p.name]
    if encoded:
        what = f"parameter names written with %-escapes: {_names(encoded)}"
        fix = "write names plainly (secret=, issuer=...); apps may not decode names"
        yield Problem("encoded-parameter-name", what, fix)
    plus = ["the label"] if "+" in (reading.raw_label or "") else []
    if any(p.name == "issuer" and "+" in p.raw_value for p in reading.params):
        plus.append("the issuer parameter")
    if plus:
        what = f"'+' in {' and '.join(plus)} is ambiguous: some decoders read it as a space"
        yield Problem("plus-sign", what, "write %20 for a space or %2B for a plus sign")


def _parameter_rules(reading: Reading) -> Iterator[Problem]:
    counts = Counter(p.name for p in reading.params)  # keeps first-seen order
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        what = f"parameters given more than once: {_names(repeated)}"
        yield Problem("duplicate-parameter", what, "apps disagree about which counts; keep one")
    unknown = [name for name in counts if name not in KNOWN_PARAMETERS]
    if unknown:
        hints = [f"{n.lower()!r} for {n!r}" for n in unknown if n.lower() in KNOWN_PARAMETERS]
        fix = "apps ignore them; remove them"
        if hints:
            fix += f" (parameter names are case-sensitive: write {', '.join(hints)})"
        yield Problem("unknown-parameter", f"unknown parameters: {_names(unknown)}", fix)
    kind = reading.type
    if kind == "hotp" and reading.first("counter") is None:
        what = "an hotp URI has no counter parameter"
        fix = "add counter=0 (the Key URI Format: REQUIRED if type is hotp)"
        yield Problem("hotp-counter-missing", what, fix)
    if kind == "hotp" and reading.first("period") is not None:
        what = "period means nothing to an hotp token"
        yield Problem("period-on-hotp", what, "remove it, or use type totp")
    if kind == "totp" and reading.first("counter") is not None:
        what = "counter means nothing to a totp token"
        yield Problem("counter-on-totp", what, "remove it, or use type hotp")


def _blank(text: str | None) -> bool:
    return text is not None and (not text or text.isspace())


def _label_rules(reading: Reading) -> Iterator[Problem]:
    account = reading.account
    if reading.raw_label and (not account or account.isspace()):
        fix = "put the user's account name in the label, e.g. Issuer:alice@example.com"
        yield Problem("account-empty", "the account name is empty", fix)
    prefix, param = reading.label_issuer, reading.value("issuer")
    colons = ["the account name"] if ":" in account else []
    colons += ["the issuer parameter"] if param is not None and ":" in param else []
    if colons:
        what = f"{' and '.join(colons)} contains a colon"
        fix = "the Key URI Format forbids a colon in the issuer or account name; remove it"
        yield Problem("colon-in-name", what, fix)
    if prefix is None and param is None:
        what = "there is no issuer"
        fix = "the Key URI Format STRONGLY RECOMMENDS one: prefix the label and add issuer="
        yield Problem("issuer-missing", what, fix)
    empties = ["label prefix"] if _blank(prefix) else []
    empties += ["parameter"] if _blank(param) else []
    if empties:
        what = f"the issuer {' and '.join(empties)} is empty"
        yield Problem("issuer-empty", what, "name the service, or drop the empty issuer")
    if prefix and param and prefix != param and not (_blank(prefix) or _blank(param)):
        what = f"the issuer prefix {_shown(prefix)} differs from issuer={_shown(param)}"
        fix = "the Key URI Format says they should be equal; apps show one or the other"
        yield Problem("issuer-mismatch", what, fix)
    if prefix is not None and param is None:
        what = "the label has an issuer prefix but there is no issuer parameter"
        fix = "add issuer= too (the Key URI Format recommends both; newer apps read the parameter)"
        yield Problem("issuer-param-missing", what, fix)
    if prefix is None and param is not None:
        what = "there is an issuer parameter but no issuer prefix in the label"
        fix = "prefix the label too (recommended; older Google Authenticator reads only the prefix)"
        yield Problem("issuer-prefix-missing", what, fix)


def _secret_rules(reading: Reading) -> Iterator[Problem]:
    secret = reading.value("secret")
    try:
        bits = len(decode_secret(secret)) * 8 if secret is not None else None
    except SecretError:
        bits = None  # reported by unreadable()
    if secret is None or bits is None:
        return
    if "=" in secret:
        what = "the secret ends in '=' padding"
        yield Problem("secret-padding", what, "the Key URI Format says to omit it; drop the '='")
    if any(c.islower() for c in secret):
        what = "the secret has lower-case letters"
        fix = "write base32 in upper case (RFC 4648); some apps reject lower case"
        yield Problem("secret-lowercase", what, fix)
    if any(c in " \t\r\n-" for c in secret):
        what = "the secret has spaces or hyphens"
        fix = "remove them; apps that do not strip them reject the secret or read another key"
        yield Problem("secret-separators", what, fix)
    if _repeats(secret, [reading.account, reading.label_issuer, reading.value("issuer")]):
        what = "the label or the issuer parameter holds the secret itself"
        fix = "apps show the label and issuer on screen: put the service and user's names there"
        yield Problem("secret-in-label", what, fix)
    if bits < MIN_ENROLL_BITS:
        what = f"the secret has {bits} bits; RFC 4226 R6 requires at least {MIN_ENROLL_BITS}"
        fix = f"issue a new secret of {RECOMMENDED_BITS} bits"
        yield Problem("secret-under-128-bits", what, fix)
    elif bits < RECOMMENDED_BITS:
        what = f"the secret has {bits} bits; RFC 4226 R6 recommends {RECOMMENDED_BITS}"
        yield Problem("secret-under-160-bits", what, f"use {RECOMMENDED_BITS}-bit secrets")


def _repeats(secret: str, names: list[str | None]) -> bool:
    """Some name holds the secret (any case, separators allowed); short secrets are not sought."""
    return any(name is not None and mask_secret_in(name, secret) != name for name in names)


def _value_rules(reading: Reading) -> Iterator[Problem]:
    algorithm = reading.value("algorithm")
    if algorithm is not None:
        if algorithm.upper() not in ALGORITHMS:
            what = f"algorithm={_shown(algorithm)} is not SHA1, SHA256 or SHA512"
            yield Problem("algorithm-invalid", what, "use SHA1 (the default)")
        elif not algorithm.isupper():
            # Not in the app profiles: this is about spelling, not about the parameter's value.
            what = (
                f"algorithm={_shown(algorithm)} is not in upper case: Google Authenticator on iOS "
                "refused the scan (dlenski/python-vipaccess#13, 2018; privacyidea#2079, 2020) and "
                "other versions gave wrong codes (privacyidea#3812, 2023; eduMFA#234, 2024)"
            )
            yield Problem("algorithm-case", what, f"write algorithm={algorithm.upper()}")
    digits, period = integer(reading.value("digits")), integer(reading.value("period"))
    if digits is not None and not MIN_DIGITS <= digits <= MAX_DIGITS:
        what = f"digits={digits} is outside {MIN_DIGITS}-{MAX_DIGITS}"
        fix = "use 6 (RFC 4226 section 5.3 allows 6, 7 or 8)"
        yield Problem("digits-invalid", what, fix)
    if period is not None and period < 1:
        yield Problem("period-invalid", f"period={period} is not >= 1", "use 30 (the default)")
    counter = integer(reading.value("counter"))
    if counter is not None and not 0 <= counter <= MAX_COUNTER:
        what = f"counter={counter} is outside 0 to 2**64-1 (an 8-byte counter)"
        yield Problem("counter-invalid", what, "start at counter=0")
    if algorithm is not None and algorithm.upper() in set(ALGORITHMS) - {DEFAULTS["algorithm"]}:
        yield _compat("algorithm", algorithm.upper())
    if digits is not None and MIN_DIGITS < digits <= MAX_DIGITS:
        yield _compat("digits", str(digits))
    if reading.type == "totp" and period is not None and period >= 1 and period != 30:
        yield _compat("period", str(period))


def _compat(parameter: appcompat.Parameter, value: str) -> Problem:
    what = f"{parameter}={value}: {_who_breaks(parameter)}"
    fix = f"use {parameter}={DEFAULTS[parameter]} unless every user's app is known to honour it"
    return Problem(f"nondefault-{parameter}", what, fix)


@cache
def _who_breaks(parameter: appcompat.Parameter) -> str:
    """E.g. "ignored by A (Android, 2012-2018) and B (codes silently wrong); refused by C"."""

    def listed(support: appcompat.Support) -> str:
        labels = [p.label for p in appcompat.profiles_with(parameter, support)]
        return ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else "".join(labels)

    parts = []
    if ignored := listed(appcompat.Support.IGNORED):
        parts.append(f"ignored by {ignored} (codes silently wrong)")
    if refused := listed(appcompat.Support.REFUSED):
        parts.append(f"refused by {refused} (scan rejected)")
    return "; ".join(parts) or "not every app honours it"

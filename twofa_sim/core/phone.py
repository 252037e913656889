"""Phone numbers: E.164 text in, country code and national number out, checked with phonenumbers.

Only numbers written in E.164 (``+`` country code, number) are taken: a simulation, a provider
request or a scenario file must never depend on guessing a region.

>>> number = parse_e164("+33612345678")
>>> number.country_code, number.national_number
(33, '612345678')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from twofa_sim.errors import InputError

__all__ = ["PhoneNumber", "is_possible_e164", "normalise_phone", "parse_e164"]

_E164_SHAPE = re.compile(r"\+[1-9][0-9]{1,14}")
_HINT = "write it in E.164, like +15551230001 (a + , the country code, the number, no spaces)"


@dataclass(frozen=True)
class PhoneNumber:
    """A possible phone number (right length for its country), in E.164 and in parts."""

    e164: str
    country_code: int
    national_number: str

    def masked(self) -> str:
        """The number with all but its last four digits hidden, for logs and reports."""
        return (
            f"+{self.country_code}"
            + "*" * (len(self.national_number) - 4)
            + self.national_number[-4:]
        )


def parse_e164(text: str) -> PhoneNumber:
    """``text`` as a possible E.164 number; :class:`InputError` (with a hint) otherwise."""
    if not isinstance(text, str) or not _E164_SHAPE.fullmatch(text):
        raise InputError(f"{text!r} is not an E.164 phone number", hint=_HINT)
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise InputError(f"{text!r} is not an E.164 phone number", hint=_HINT) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InputError(
            f"{text!r} has the wrong number of digits for country code +{parsed.country_code}",
            hint=_HINT,
        )
    national = phonenumbers.national_significant_number(parsed)
    return PhoneNumber(text, int(parsed.country_code or 0), national)


_TYPED = re.compile(r"\+?[0-9 ()./\-]{2,40}")


def normalise_phone(text: str) -> PhoneNumber:
    """A number as a user types it on a form (``+1 415 555-2671``, ``+44 (20) 7946 0958``),
    normalised to E.164; :class:`InputError` for anything that is not a possible number.

    The country code is required: the reference service serves no single region, and guessing
    one would send codes to the wrong country.

    >>> normalise_phone("+1 (555) 123-0001").e164
    '+15551230001'
    """
    if not isinstance(text, str) or not _TYPED.fullmatch(text.strip()):
        raise InputError(f"{text!r} is not a phone number", where="phone", hint=_FORM_HINT)
    if not text.strip().startswith("+"):
        raise InputError(
            f"{text!r} has no country code", where="phone", hint="start with + and the country code"
        )
    digits = "+" + re.sub(r"[^0-9]", "", text)
    try:
        number = parse_e164(digits)
    except InputError as exc:
        what = exc.what.replace(repr(digits), repr(text))
        what = what.replace("is not an E.164 phone number", "is not a phone number")
        raise InputError(what, where="phone", hint=_FORM_HINT) from None
    return number


_FORM_HINT = "a + , the country code, then the number; spaces, dashes and brackets are fine"


def is_possible_e164(text: str) -> bool:
    """Whether ``text`` is a possible E.164 number (what a provider would accept as a 'To')."""
    try:
        parse_e164(text)
    except InputError:
        return False
    return True

"""Phone numbers: E.164 normalisation, refusals with a located message, masking."""

from __future__ import annotations

import pytest

from twofa_sim.core.phone import normalise_phone, parse_e164
from twofa_sim.errors import InputError


@pytest.mark.parametrize(
    ("text", "e164", "national"),
    [
        ("+15551230001", "+15551230001", "5551230001"),
        ("+390212345678", "+390212345678", "0212345678"),  # Italy keeps its leading zero
    ],
)
def test_numbers_normalise_and_keep_every_digit(text: str, e164: str, national: str) -> None:
    number = parse_e164(text)
    assert (number.e164, number.national_number) == (e164, national)
    assert f"+{number.country_code}{number.national_number}" == number.e164


def test_masking_shows_only_the_last_four_digits_whatever_the_country() -> None:
    assert parse_e164("+390212345678").masked() == "+39******5678"
    assert parse_e164("+15551230001").masked() == "+1******0001"


@pytest.mark.parametrize("text", ["+1555", "555-123", "not a number", ""])
def test_a_bad_number_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(InputError):
        parse_e164(text)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+1 415 555 2671", "+14155552671"),
        ("+1 (555) 123-0001", "+15551230001"),
        ("+44 20 7946 0958", "+442079460958"),
        (" +39 02 1234 5678 ", "+390212345678"),
    ],
)
def test_a_number_typed_on_the_form_is_normalised(typed: str, e164: str) -> None:
    """What a user types on "Verify Phone Number" (spaces, dashes, brackets) becomes E.164;
    E.164 itself is what configuration and providers take (parse_e164 stays strict)."""
    assert normalise_phone(typed).e164 == e164
    with pytest.raises(InputError):
        parse_e164(typed.strip() if " " in typed.strip() else typed + " ")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("(415) 555-2671", "no country code"),
        ("+1 555", "wrong number of digits"),
        ("+1 555 CALL NOW", "not a phone number"),
        ("+1 555 123 0001; DROP TABLE", "not a phone number"),
    ],
)
def test_a_typed_number_that_is_not_one_is_refused(typed: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        normalise_phone(typed)
    assert words in caught.value.what
    assert caught.value.where == "phone"

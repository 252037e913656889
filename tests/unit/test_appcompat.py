"""Authenticator app profiles: what apps do with non-default parameters (core.appcompat)."""

from __future__ import annotations

import copy
import dataclasses
import doctest
import json
from importlib.resources import files
from typing import Any

import pytest

from twofa_sim.core import appcompat
from twofa_sim.core.appcompat import (
    PARAMETERS,
    Support,
    load_profiles,
    parse_profiles,
    profile,
    profiles_with,
)
from twofa_sim.errors import InputError


def shipped_document() -> Any:
    text = files("twofa_sim").joinpath("data", "authenticator_apps.json").read_text("utf-8")
    return json.loads(text)


def test_the_shipped_data_loads() -> None:
    """data/authenticator_apps.json loads through importlib.resources into frozen profiles."""
    profiles = load_profiles()
    assert len(profiles) >= 8
    assert {p.app for p in profiles} >= {
        "Google Authenticator",
        "Authy",
        "FreeOTP",
        "Microsoft Authenticator",
        "Duo Mobile",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        profiles[0].app = "x"  # type: ignore[misc]


def test_every_profile_and_behaviour_has_a_source_and_a_date() -> None:
    """Each profile, and each of its parameters, cites at least one source and a date."""
    for app in load_profiles():
        assert app.sources, app.id
        assert 2000 <= app.since <= app.until <= 2100
        for parameter in PARAMETERS:
            behaviour = app.behaviour(parameter)
            assert behaviour.sources, (app.id, parameter)
            assert behaviour.reported.startswith("20"), (app.id, parameter)
            assert all(source.url.startswith("https://") for source in behaviour.sources)


def test_google_authenticator_android_2012_2018_ignores_everything() -> None:
    """GA Android 2012-2018 ignores algorithm, digits and period (Key URI Format wiki, GA#197)."""
    app = profile("google-authenticator-android-2012")
    assert app.label == "Google Authenticator (Android, 2012-2018)"
    assert [app.support(p) for p in PARAMETERS] == [Support.IGNORED] * 3
    assert "key-uri-format-wiki" in {source.id for source in app.digits.sources}


def test_google_authenticator_android_2023_refuses_sha256() -> None:
    """GA Android 2023 refuses a SHA256 scan, honours 8 digits and ignores the period."""
    app = profile("google-authenticator-android-2023")
    assert (app.algorithm.support, app.digits.support, app.period.support) == (
        Support.REFUSED,
        Support.HONOURED,
        Support.IGNORED,
    )


def test_freeotp_honours_everything() -> None:
    """FreeOTP honours algorithm, digits and period."""
    assert {profile("freeotp-2018").support(p) for p in PARAMETERS} == {Support.HONOURED}


def test_unreported_behaviour_is_none() -> None:
    """Where the sources say nothing (Authy's digits), the support is None, not a guess."""
    assert profile("authy-2018").digits.support is None


def test_profiles_with_lists_the_apps_in_file_order() -> None:
    """profiles_with() picks the profiles by parameter and support, keeping the file's order."""
    assert [p.id for p in profiles_with("algorithm", Support.REFUSED)] == [
        "google-authenticator-android-2023"
    ]
    ignoring = [p.id for p in profiles_with("period", Support.IGNORED)]
    assert ignoring[0] == "google-authenticator-android-2012"
    assert "authy-2018" in ignoring


def test_labels_leave_out_an_unknown_platform() -> None:
    """A profile without a platform is labelled by app and years only."""
    assert profile("authy-2018").label == "Authy (2018)"
    assert profile("microsoft-authenticator-2016").when == "2016-2023"


def test_unknown_profile_id_names_the_known_ones() -> None:
    """profile() of an unknown id raises InputError whose hint lists the known ids."""
    with pytest.raises(InputError, match="no authenticator app profile") as caught:
        profile("nokia-authenticator-2009")
    assert "freeotp-2018" in caught.value.hint


def _broken(path: list[str | int], value: object) -> Any:
    document = copy.deepcopy(shipped_document())
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "where", "text"),
    [
        (["profiles", 0, "digits", "support"], "sometimes", "profiles[0].digits", "support"),
        (["profiles", 1, "period", "sources"], ["nowhere#1"], "profiles[1].period", "nowhere#1"),
        (["profiles", 2, "algorithm", "sources"], [], "profiles[2].algorithm", "sources"),
        (["profiles", 3, "algorithm", "reported"], KeyError, "profiles[3].algorithm", "reported"),
        (["profiles", 4, "until"], 2001, "profiles[4]", "before"),
        (["profiles", 5, "since"], "2018", "profiles[5]", "year"),
        (["profiles", 6, "id"], "freeotp-2018", "json", "duplicate"),
        (["profiles", 7, "period"], KeyError, "profiles[7].period", "object"),
        (["sources", "keycloak/keycloak#27349", "url"], "", "keycloak", "url"),
        (["profiles"], [], "json", "non-empty"),
    ],
)
def test_a_broken_document_is_refused_naming_the_field(
    path: list[str | int], value: object, where: str, text: str
) -> None:
    """parse_profiles raises InputError located at the bad field, so a bad edit cannot load."""
    with pytest.raises(InputError, match=text) as caught:
        parse_profiles(_broken(path, value), where="apps.json")
    assert caught.value.where.startswith("apps.json")
    assert where in caught.value.where


def test_the_shipped_document_parses_to_the_loaded_profiles() -> None:
    """parse_profiles of the shipped file equals load_profiles() (which caches it)."""
    assert parse_profiles(shipped_document(), where="x") == load_profiles()
    assert load_profiles() is load_profiles()


def test_docstring_examples_hold() -> None:
    """The examples in the module docstring are true."""
    failed, attempted = doctest.testmod(appcompat)
    assert (failed, attempted > 0) == (0, True)

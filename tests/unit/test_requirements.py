"""The requirements catalog: shipped data, lookups, citations, output (core.requirements)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from importlib.resources import files
from typing import Any

import pytest

from twofa_sim.core.requirements import (
    Catalog,
    as_json,
    format_table,
    ids_for_citation,
    load_catalog,
    parse_catalog,
)
from twofa_sim.errors import InputError
from twofa_sim.reference.policy import RULES

ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9.]+)+$")

# RULES citations that name no standard on purpose: peer practice, not a requirement text.
NOT_A_STANDARD = {"peer practice (Fortify#201)"}


def shipped_document() -> Any:
    text = files("twofa_sim").joinpath("data", "requirements.json").read_text("utf-8")
    return json.loads(text)


def rules_citations() -> list[str]:
    """Every single citation in RULES: '; '-separated parts of each rule's requirement text."""
    return [part.strip() for cited, _ in RULES.values() for part in cited.split(";")]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# -- the shipped data --------------------------------------------------------------------------


def test_the_catalog_loads_through_importlib_resources(catalog: Catalog) -> None:
    """data/requirements.json loads into a cached catalog covering all six sources."""
    assert load_catalog() is catalog
    assert len(catalog) == len(list(catalog)) == len(catalog.ids) >= 100
    assert set(catalog.sources) == {"RFC4226", "RFC6238", "KEYURI", "ASVS5", "ASVS4", "NIST-63B"}


def test_every_id_is_well_formed_unique_and_prefixed_by_its_source(catalog: Catalog) -> None:
    """Ids are upper-case PREFIX-SECTION[-SUFFIX], unique, and start with their source key."""
    ids = [r.id for r in catalog]
    assert len(ids) == len(set(ids))
    for requirement in catalog:
        assert ID_PATTERN.match(requirement.id), requirement.id
        assert requirement.id == requirement.id.upper(), requirement.id
        assert requirement.id.startswith(f"{requirement.source}-"), requirement.id


def test_every_summary_is_one_short_line(catalog: Catalog) -> None:
    """A summary fits one table row: one line, at most 100 characters, no edge spaces."""
    for requirement in catalog:
        assert "\n" not in requirement.summary, requirement.id
        assert 0 < len(requirement.summary) <= 100, requirement.id
        assert requirement.summary == requirement.summary.strip(), requirement.id


def test_every_source_is_defined_with_title_url_and_revision(catalog: Catalog) -> None:
    """Each requirement's source is declared; the requirement carries its title and url."""
    for requirement in catalog:
        source = catalog.sources[requirement.source]
        assert requirement.source_title == source.title
        assert requirement.url == source.url
    for source in catalog.sources.values():
        assert source.url.startswith("https://")
        assert source.revision


def test_levels_come_only_from_asvs(catalog: Catalog) -> None:
    """Only ASVS gives levels, and every ASVS item has one of L1, L2, L3."""
    for requirement in catalog:
        if requirement.source.startswith("ASVS"):
            assert requirement.level in {"L1", "L2", "L3"}, requirement.id
        else:
            assert requirement.level is None, requirement.id
    assert catalog.get("ASVS5-6.5.5").level == "L2"
    assert catalog.get("ASVS5-6.6.4").level == "L3"
    assert catalog.get("ASVS4-2.7.2").level == "L1"


@pytest.mark.parametrize(
    ("requirement_id", "fact"),
    [
        ("NIST-63B-5.2.2", "100"),
        ("NIST-63B-5.1.3.2", "10 minutes"),
        ("NIST-63B-5.1.4.1", "112 bits"),
        ("NIST-63B-5.1.4.1-NONCE", "2 minutes"),
        ("ASVS5-6.5.5", "10 minutes"),
        ("ASVS5-6.5.5", "30 seconds"),
        ("ASVS5-6.5.4", "20 bits"),
        ("ASVS5-11.5.1", "128 bits"),
        ("ASVS4-2.2.1", "100 failed attempts per hour"),
        ("ASVS4-2.7.2", "10 minutes"),
        ("RFC4226-R6", "128 bits"),
        ("RFC4226-5.3", "6 digits"),
        ("RFC6238-5.2", "30 seconds"),
        ("RFC6238-5.2-ONCE", "MUST NOT accept the same OTP again"),
        ("RFC6238-4.2", "32 bits"),
        ("KEYURI-SECRET", "padding omitted"),
        ("KEYURI-ENCODING", "%20"),
    ],
)
def test_summaries_state_the_numbers_users_rely_on(
    catalog: Catalog, requirement_id: str, fact: str
) -> None:
    """The figures tests and reports quote are in the summaries, under the expected ids."""
    assert fact in catalog.get(requirement_id).summary


def test_the_expected_ids_are_present(catalog: Catalog) -> None:
    """Every id named in the brief and every ASVS 5.0 V6 item of standards.md is catalogued."""
    expected = {
        *("RFC4226-5.3", "RFC4226-7.2", "RFC4226-7.3", "RFC4226-7.4", "RFC4226-7.5", "RFC4226-R6"),
        *("RFC6238-4", "RFC6238-5.2", "RFC6238-5.2-ONCE", "RFC6238-6"),
        *(f"KEYURI-{name}" for name in ("TYPE", "LABEL", "LABEL-ISSUER-MATCH", "SECRET")),
        *(f"KEYURI-{name}" for name in ("ISSUER", "ALGORITHM", "DIGITS", "PERIOD", "COUNTER")),
        "KEYURI-ENCODING",
        *(f"ASVS5-6.1.{n}" for n in (1, 3)),
        *(f"ASVS5-6.3.{n}" for n in (1, 3, 4, 5, 6, 7, 8)),
        *(f"ASVS5-6.4.{n}" for n in (1, 3, 4)),
        *(f"ASVS5-6.5.{n}" for n in range(1, 9)),
        *(f"ASVS5-6.6.{n}" for n in range(1, 5)),
        *("ASVS5-2.4.1", "ASVS5-11.5.1", "ASVS5-16.3.1", "ASVS5-16.3.3"),
        *("ASVS4-2.7.5", "ASVS4-2.8.4", "ASVS4-2.8.5", "ASVS4-2.6.1"),
        *("NIST-63B-5.1.2", "NIST-63B-5.1.3.1", "NIST-63B-5.1.3.2", "NIST-63B-5.1.3.3"),
        *("NIST-63B-5.1.4.1", "NIST-63B-5.1.4.2", "NIST-63B-5.1.5.2", "NIST-63B-5.2.2"),
        *("NIST-63B-5.2.8", "NIST-63B-5.2.10", "NIST-63B-6.1.2.1"),
    }
    assert expected - set(catalog.ids) == set()


def test_documentation_items_are_marked_untestable(catalog: Catalog) -> None:
    """Process items are testable=false so reports list them apart, not as gaps."""
    for requirement_id in ("ASVS5-6.1.1", "ASVS5-6.3.6", "ASVS5-6.5.7"):
        assert catalog.get(requirement_id).testable is False
    for requirement_id in ("ASVS5-6.5.1", "RFC6238-5.2-ONCE", "NIST-63B-5.2.2"):
        assert catalog.get(requirement_id).testable is True


def test_the_2016_draft_is_not_cited(catalog: Catalog) -> None:
    """No summary repeats the superseded 2016 draft (5 minutes, 30-day period, 'deprecated')."""
    for requirement in catalog:
        text = requirement.summary.lower()
        assert "5 minutes" not in text
        assert "30-day" not in text
        assert "deprecated" not in text


def test_requirements_are_frozen(catalog: Catalog) -> None:
    """A Requirement is an immutable value."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.get("ASVS5-6.5.1").summary = "changed"  # type: ignore[misc]


# -- lookups -----------------------------------------------------------------------------------


def test_get_and_contains_ignore_case_and_edge_spaces(catalog: Catalog) -> None:
    """Ids typed by hand are found however they are cased."""
    assert catalog.get(" asvs5-6.5.1 ").id == "ASVS5-6.5.1"
    assert "nist-63b-5.2.2" in catalog
    assert "ASVS5-6.5.9" not in catalog
    assert 651 not in catalog


def test_an_unknown_id_is_named_and_the_close_one_suggested(catalog: Catalog) -> None:
    """`ASVS5-6.5.l` (letter l) fails naming the id and hints at ASVS5-6.5.1."""
    with pytest.raises(InputError) as caught:
        catalog.get("ASVS5-6.5.l")
    assert caught.value.what == "unknown requirement 'ASVS5-6.5.l'"
    assert caught.value.hint == "did you mean ASVS5-6.5.1?"
    assert "ASVS5-6.5.l" in str(caught.value)


def test_suggestions_rank_the_closest_first(catalog: Catalog) -> None:
    """A typo or a wrong version prefix is answered with the intended id first."""
    assert catalog.suggest("ASVS5-6.5.l") == ["ASVS5-6.5.1"]
    assert catalog.suggest("ASVS4-6.5.1")[0] == "ASVS5-6.5.1"
    assert catalog.suggest("RFC6238-5.2-ONC")[0] == "RFC6238-5.2-ONCE"
    assert catalog.suggest("KEYURI-SECRT")[0] == "KEYURI-SECRET"
    assert catalog.suggest("NIST-63B-5.2.2") == ["NIST-63B-5.2.2"]
    assert len(catalog.suggest("ASVS5-6.6.9")) <= 3


def test_an_id_like_nothing_gets_the_known_prefixes_as_hint(catalog: Catalog) -> None:
    """With nothing close, the hint says which prefixes ids start with."""
    assert catalog.suggest("zzz") == []
    with pytest.raises(InputError, match="ASVS5, ASVS4, NIST-63B"):
        catalog.get("zzz")


def test_by_source_groups_every_requirement_once(catalog: Catalog) -> None:
    """by_source() keys every source in file order and partitions the catalog."""
    groups = catalog.by_source()
    assert list(groups) == list(catalog.sources)
    assert sum(len(group) for group in groups.values()) == len(catalog)
    assert all(r.source == key for key, group in groups.items() for r in group)
    assert [r.id for r in groups["RFC6238"]][:2] == ["RFC6238-3", "RFC6238-3-KEY"]


# -- citations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        ("RFC 4226 7.3", ["RFC4226-7.3", "RFC4226-7.3-SESSIONS"]),
        ("RFC 4226 R6", ["RFC4226-R6"]),
        ("RFC4226 section 4", ["RFC4226-R6"]),
        ("RFC 6238 6", ["RFC6238-6"]),
        ("RFC 6238 §5.2", ["RFC6238-5.2", "RFC6238-5.2-ONCE"]),
        ("ASVS 5.0 6.5.1", ["ASVS5-6.5.1"]),
        ("OWASP ASVS v5.0.0 V6.5.1", ["ASVS5-6.5.1"]),
        ("ASVS 5.0 6.6.3, 2.4.1", ["ASVS5-6.6.3", "ASVS5-2.4.1"]),
        ("ASVS 4.0.3 2.7.5", ["ASVS4-2.7.5"]),
        ("ASVS 4.0.3 2.8.4 and 2.8.5", ["ASVS4-2.8.4", "ASVS4-2.8.5"]),
        ("ASVS 6.5.4", ["ASVS5-6.5.4"]),
        ("ASVS 2.7.5", ["ASVS4-2.7.5"]),
        ("NIST 800-63B 5.2.2", ["NIST-63B-5.2.2", "NIST-63B-5.2.2-RESET"]),
        (
            "NIST SP 800-63B 5.1.4.1",
            [f"NIST-63B-5.1.4.1{s}" for s in ("", "-NONCE", "-ONCE", "-CLONE")],
        ),
        ("NIST 800-63B-4 3.2.2", []),
        ("Key Uri Format secret", ["KEYURI-SECRET"]),
        ("KEYURI-LABEL-ISSUER-MATCH", ["KEYURI-LABEL-ISSUER-MATCH"]),
        ("RFC6238-5.2-ONCE", ["RFC6238-5.2-ONCE"]),
        ("RFC 4226 7.3 (django-otp)", ["RFC4226-7.3", "RFC4226-7.3-SESSIONS"]),
        (
            "ASVS 5.0 6.3.7; NIST 800-63B 6.1.2.1",
            ["ASVS5-6.3.7", "NIST-63B-6.1.2.1", "NIST-63B-6.1.2.1-NOTIFY"],
        ),
        ("ASVS 5.0 6.5.1; RFC 6238 5.2-ONCE; ASVS 5.0 6.5.1", ["ASVS5-6.5.1", "RFC6238-5.2-ONCE"]),
        ("peer practice (Fortify#201)", []),
        ("RFC 4226 99.9", []),
    ],
)
def test_citations_map_to_catalog_ids(citation: str, expected: list[str]) -> None:
    """Prose citations resolve to catalog ids in the order cited; a section brings its suffixes."""
    assert ids_for_citation(citation) == expected


@pytest.mark.parametrize("citation", rules_citations())
def test_every_policy_rule_citation_resolves(catalog: Catalog, citation: str) -> None:
    """Each requirement the reference policy's RULES cite maps to at least one catalog id."""
    ids = ids_for_citation(citation)
    if citation in NOT_A_STANDARD:
        assert ids == []
    else:
        assert ids, f"RULES cites {citation!r}, which maps to no catalog id"
        assert all(i in catalog for i in ids)


def test_every_named_section_in_rules_is_its_own_id(catalog: Catalog) -> None:
    """Each section RULES names exists as an id itself, not only through a suffixed child."""
    named = {
        "RFC 6238 5.2": "RFC6238-5.2",
        "RFC 6238 6": "RFC6238-6",
        "RFC 4226 R6": "RFC4226-R6",
        "RFC 4226 7.3": "RFC4226-7.3",
        "NIST 800-63B 5.1.3.2": "NIST-63B-5.1.3.2",
        "NIST 800-63B 5.1.3.1": "NIST-63B-5.1.3.1",
        "NIST 800-63B 6.1.2.1": "NIST-63B-6.1.2.1",
        "NIST 800-63B 5.2.2": "NIST-63B-5.2.2",
    }
    for citation, requirement_id in named.items():
        assert requirement_id in catalog
        assert ids_for_citation(citation)[0] == requirement_id


# -- output ------------------------------------------------------------------------------------


def test_the_table_is_aligned_without_trailing_spaces(catalog: Catalog) -> None:
    """format_table: a header, one row per requirement, aligned columns, no trailing spaces."""
    lines = format_table(catalog).split("\n")
    assert len(lines) == len(catalog) + 1
    assert lines[0].split() == ["ID", "SOURCE", "SUMMARY"]
    source_column = lines[0].index("SOURCE")
    summary_column = lines[0].index("SUMMARY")
    for line, requirement in zip(lines[1:], catalog, strict=True):
        assert line == line.rstrip()
        assert line.startswith(f"{requirement.id} ")
        assert line[source_column:].startswith(f"{requirement.source} ")
        assert line[summary_column:].startswith(requirement.summary)


def test_the_table_marks_untestable_items(catalog: Catalog) -> None:
    """A documentation-only requirement's row says so; a testable one's does not."""
    rows = {line.split()[0]: line for line in format_table(catalog).split("\n")[1:]}
    assert rows["ASVS5-6.1.1"].endswith("(not testable)")
    assert not rows["ASVS5-6.5.1"].endswith("(not testable)")


def test_the_table_filters_by_source(catalog: Catalog) -> None:
    """format_table(source=...) lists only that source (any case); its own width is used."""
    lines = format_table(catalog, "rfc6238").split("\n")
    assert [line.split()[0] for line in lines[1:]] == [r.id for r in catalog.by_source()["RFC6238"]]
    assert lines[0] == "ID                 SOURCE   SUMMARY"


def test_an_unknown_source_is_refused_with_the_known_ones(catalog: Catalog) -> None:
    """A table for a source the catalog lacks fails naming the known sources."""
    with pytest.raises(InputError, match="unknown requirement source 'RFC9999'") as caught:
        format_table(catalog, "RFC9999")
    assert "ASVS5" in caught.value.hint


def test_as_json_round_trips_and_serialises(catalog: Catalog) -> None:
    """as_json gives the data file's shape: it serialises and parses back to the same catalog."""
    document = as_json(catalog)
    assert document["version"] == 1
    assert json.loads(json.dumps(document)) == document
    again = parse_catalog(document, where="as_json")
    assert list(again) == list(catalog)
    assert again.sources == catalog.sources
    assert document["requirements"][0].keys() == {
        "id",
        "source",
        "section",
        "summary",
        "level",
        "testable",
    }


# -- validation of the JSON document -----------------------------------------------------------


def broken(change: str) -> Any:
    """The shipped document with one thing wrong, for the validation tests."""
    document = copy.deepcopy(shipped_document())
    first = document["requirements"][0]
    if change == "duplicate":
        document["requirements"].append(copy.deepcopy(first))
    elif change == "lower-case":
        first["id"] = "rfc4226-r6"
    elif change == "bad-source":
        first["source"] = "RFC9999"
    elif change == "wrong-prefix":
        first["source"] = "RFC6238"
    elif change == "long-summary":
        first["summary"] = "x" * 101
    elif change == "two-lines":
        first["summary"] = "one\ntwo"
    elif change == "bad-level":
        first["level"] = "L4"
    elif change == "no-testable":
        del first["testable"]
    elif change == "version":
        document["version"] = 2
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "duplicate requirement id 'RFC4226-R6'"),
        ("lower-case", "is not PREFIX-SECTION in upper case"),
        ("bad-source", "unknown source 'RFC9999'"),
        ("wrong-prefix", "must start with its source, RFC6238-"),
        ("long-summary", "one line of at most 100 characters"),
        ("two-lines", "one line of at most 100 characters"),
        ("bad-level", "'level' must be one of L1, L2, L3"),
        ("no-testable", "'testable' must be true or false"),
        ("version", "'version' must be 1"),
    ],
)
def test_a_broken_document_is_refused_naming_the_place(change: str, message: str) -> None:
    """parse_catalog rejects each kind of mistake, saying what and where."""
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        parse_catalog(broken(change), where="requirements.json")
    assert caught.value.where.startswith("requirements.json")

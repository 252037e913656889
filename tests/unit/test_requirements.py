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
    ControlMappings,
    as_json,
    control_mappings,
    format_table,
    ids_for_citation,
    load_catalog,
    parse_catalog,
    parse_control_mappings,
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
    """data/requirements.json loads into a cached catalog covering all eight sources."""
    assert load_catalog() is catalog
    assert len(catalog) == len(list(catalog)) == len(catalog.ids) >= 170
    assert set(catalog.sources) == {
        *("RFC4226", "RFC6238", "KEYURI", "ASVS5", "ASVS4"),
        *("NIST-63B", "NIST-63B4", "PCIDSS4"),
    }


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
    """Each requirement's source is declared; the requirement carries its title and a url on
    the source's site (the section's own page where the catalog has one)."""
    for requirement in catalog:
        source = catalog.sources[requirement.source]
        assert requirement.source_title == source.title
        site = "/".join(source.url.split("/")[:3])
        assert requirement.url.startswith(site), requirement.id
    for source in catalog.sources.values():
        assert source.url.startswith("https://")
        assert source.revision


def test_levels_come_from_asvs_and_nist_rev_4(catalog: Catalog) -> None:
    """Every ASVS item has L1-L3; NIST 800-63B-4 items give an AAL where the section names one;
    no other source has levels."""
    for requirement in catalog:
        if requirement.source.startswith("ASVS"):
            assert requirement.level in {"L1", "L2", "L3"}, requirement.id
        elif requirement.source == "NIST-63B4":
            assert requirement.level in {None, "AAL1", "AAL2", "AAL3"}, requirement.id
        else:
            assert requirement.level is None, requirement.id
    assert catalog.get("NIST-63B4-2.2.2-PHISHING").level == "AAL2"
    assert catalog.get("NIST-63B4-2.3.2").level == "AAL3"
    assert catalog.get("NIST-63B4-3.2.2").level is None
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
        (
            "NIST 800-63B-4 3.2.2",
            ["NIST-63B4-3.2.2", "NIST-63B4-3.2.2-RESET", "NIST-63B4-3.2.2-UNLOCK"],
        ),
        ("NIST SP 800-63B rev 4 3.1.3.3-ALT", ["NIST-63B4-3.1.3.3-ALT"]),
        ("NIST 800-63B-5 3.2.2", []),
        (
            "PCI DSS v4.0.1 8.5.1",
            [f"PCIDSS4-8.5.1-{s}" for s in ("REPLAY", "BYPASS", "FACTORS", "ALL")],
        ),
        ("PCI DSS 8.4.2, 8.4.3", ["PCIDSS4-8.4.2", "PCIDSS4-8.4.3"]),
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
        "url",
    }
    rev4 = next(r for r in document["requirements"] if r["id"] == "NIST-63B4-3.2.2")
    assert rev4["supersedes"][0]["id"] == "NIST-63B-5.2.2"
    assert rev4["url"] == "https://pages.nist.gov/800-63-4/sp800-63b/authenticators/#throttle"


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
        ("bad-level", "'level' must be one of AAL1, AAL2, AAL3, L1, L2, L3"),
        ("no-testable", "'testable' must be true or false"),
        ("version", "'version' must be 1"),
    ],
)
def test_a_broken_document_is_refused_naming_the_place(change: str, message: str) -> None:
    """parse_catalog rejects each kind of mistake, saying what and where."""
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        parse_catalog(broken(change), where="requirements.json")
    assert caught.value.where.startswith("requirements.json")


# -- NIST SP 800-63B revision 4 and PCI DSS v4.0.1 ---------------------------------------------

REV4_IDS = {
    *("2.2.1", "2.2.2", "2.2.2-PHISHING", "2.3.2"),
    *("3.1.2.1", "3.1.2.2", "3.1.2.2-HASH", "3.1.2.2-RATE"),
    *("3.1.3.1", "3.1.3.1-EMAIL", "3.1.3.1-CHANNEL", "3.1.3.1-LOCKED"),
    *("3.1.3.2", "3.1.3.2-ONCE", "3.1.3.2-ENTROPY", "3.1.3.2-RATE", "3.1.3.2-PUSH"),
    *("3.1.3.3", "3.1.3.3-CHANGE", "3.1.3.3-ALT", "3.1.3.3-RISK"),
    *("3.1.4.1", "3.1.4.1-NONCE", "3.1.4.2-ONCE", "3.1.4.2-WARN", "3.1.4.2-RATE"),
    *("3.1.5.2", "3.1.5.2-RATE", "3.2.1", "3.2.2", "3.2.2-RESET", "3.2.5", "3.2.7", "3.2.9"),
    *("4.1", "4.1.2.1", "4.1.2.1-NOTIFY", "4.1.2.2", "4.2.1.1", "4.2.1.2", "4.2.3", "4.6"),
}
PCI_IDS = {
    *("PCIDSS4-8.4.1", "PCIDSS4-8.4.2", "PCIDSS4-8.4.3"),
    *(f"PCIDSS4-8.5.1-{bullet}" for bullet in ("REPLAY", "BYPASS", "FACTORS", "ALL")),
}


def test_rev_4_and_pci_ids_are_present_with_summaries(catalog: Catalog) -> None:
    """The SP 800-63B-4 sections and PCI DSS 8.4.1-8.4.3 and 8.5.1's four bullets are catalogued,
    each with its own one-line summary and its source's title."""
    expected = {f"NIST-63B4-{section}" for section in REV4_IDS} | PCI_IDS
    assert expected - set(catalog.ids) == set()
    for requirement_id in expected:
        requirement = catalog.get(requirement_id)
        assert requirement.summary and requirement.section in requirement_id
    assert "800-63B-4" in catalog.sources["NIST-63B4"].title
    assert "August 2025" in catalog.sources["NIST-63B4"].revision
    assert "v4.0.1" in catalog.sources["PCIDSS4"].title
    summaries = [r.summary for r in catalog if r.source in {"NIST-63B4", "PCIDSS4"}]
    assert len(summaries) == len(set(summaries)), "two requirements share one summary"


@pytest.mark.parametrize(
    ("requirement_id", "fact"),
    [
        ("NIST-63B4-3.2.2", "100"),
        ("NIST-63B4-3.1.3.2", "10 minutes"),
        ("NIST-63B4-3.1.4.1", "112 bits"),
        ("NIST-63B4-3.1.4.1-NONCE", "2 minutes"),
        ("NIST-63B4-3.1.3.2-ENTROPY", "6 decimal digits"),
        ("NIST-63B4-3.1.3.3", "restricted"),
        ("NIST-63B4-3.1.3.1-EMAIL", "Email SHALL NOT"),
        ("NIST-63B4-4.1.2.2", "10 minutes"),
        ("NIST-63B4-4.2.1.1", "64 random bits"),
        ("NIST-63B4-4.2.1.2", "10 minutes"),
        ("NIST-63B4-3.2.5", "not"),
        ("PCIDSS4-8.5.1-REPLAY", "replay"),
        ("PCIDSS4-8.5.1-BYPASS", "administrators"),
        ("PCIDSS4-8.5.1-FACTORS", "two different types"),
        ("PCIDSS4-8.5.1-ALL", "every authentication factor"),
    ],
)
def test_rev_4_and_pci_summaries_state_their_figures(
    catalog: Catalog, requirement_id: str, fact: str
) -> None:
    """The numbers and the words an auditor checks are in the new summaries."""
    assert fact in catalog.get(requirement_id).summary


def test_rev_4_requirements_link_to_their_section(catalog: Catalog) -> None:
    """Every NIST-63B4 entry cites the final text's own page and anchor (aal, authenticators or
    events), so a reader lands on the section; other sources cite their document."""
    pages = ("aal", "authenticators", "events")
    for requirement in catalog:
        if requirement.source == "NIST-63B4":
            page = requirement.url.removeprefix("https://pages.nist.gov/800-63-4/sp800-63b/")
            assert page.split("/#")[0] in pages and "/#" in page, requirement.id
        else:
            assert requirement.url == catalog.sources[requirement.source].url, requirement.id


def test_every_revision_mapping_names_existing_ids(catalog: Catalog) -> None:
    """Each rev 3 -> rev 4 mapping goes from a NIST-63B id to a NIST-63B4 id, both catalogued,
    with a one-line note; every rev-3 id has at least one successor."""
    mappings = catalog.revision_mappings()
    assert len(mappings) >= 35
    for mapping in mappings:
        assert catalog.get(mapping.old).source == "NIST-63B", mapping
        assert catalog.get(mapping.new).source == "NIST-63B4", mapping
        assert mapping.change and "\n" not in mapping.change and len(mapping.change) <= 200
    rev3 = {r.id for r in catalog if r.source == "NIST-63B"}
    assert rev3 - {m.old for m in mappings} == set()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("NIST-63B-5.1.3", "NIST-63B4-3.1.3.1-EMAIL", "VoIP"),
        ("NIST-63B-5.2.2", "NIST-63B4-3.2.2", "100"),
        ("NIST-63B-5.2.2-RESET", "NIST-63B4-3.2.2-RESET", "IP address"),
        ("NIST-63B-5.1.3.1", "NIST-63B4-3.1.3.1", "compare"),
        ("NIST-63B-5.1.3.3", "NIST-63B4-3.1.3.3", "restricted"),
        ("NIST-63B-5.1.4.2", "NIST-63B4-3.1.5.2", "multi-factor"),
        ("NIST-63B-5.2.5", "NIST-63B4-2.2.2-PHISHING", "AAL2"),
        ("NIST-63B-5.2.5", "NIST-63B4-3.2.5", "phishing resistance"),
        ("NIST-63B-6.1.2.1-NOTIFY", "NIST-63B4-4.1.2.1-NOTIFY", "SHALL"),
        ("NIST-63B-6.1.2.3", "NIST-63B4-4.2.1.2", "24 h email"),
    ],
)
def test_what_changed_from_rev_3_is_recorded(
    catalog: Catalog, old: str, new: str, words: str
) -> None:
    """The differences the brief names (OTP lifetimes, rate limiting, PSTN, phishing resistance,
    email/VoIP, recovery codes) are marked changed, with a note saying how."""
    (mapping,) = [m for m in catalog.successors(old) if m.new == new]
    assert mapping.changed is True
    assert words in mapping.change
    assert mapping in catalog.predecessors(new)


def test_a_renumbered_requirement_is_marked_unchanged(catalog: Catalog) -> None:
    """Where rev 4 only moved a section, the mapping says so instead of inventing a change."""
    (mapping,) = catalog.successors("NIST-63B-5.1.3.2")
    assert (mapping.new, mapping.changed) == ("NIST-63B4-3.1.3.2", False)
    assert "Renumbered" in mapping.change
    assert catalog.successors("NIST-63B4-3.2.2") == ()
    with pytest.raises(InputError, match="unknown requirement"):
        catalog.successors("NIST-63B-9.9")


def test_revision_mappings_round_trip_through_as_json(catalog: Catalog) -> None:
    """as_json keeps the supersedes links: parsing it back gives the same mappings."""
    again = parse_catalog(as_json(catalog), where="as_json")
    assert again.revision_mappings() == catalog.revision_mappings()


def broken_mapping(change: str) -> Any:
    """The shipped catalog document with one supersedes link wrong."""
    document = copy.deepcopy(shipped_document())
    entry = next(r for r in document["requirements"] if r["id"] == "NIST-63B4-3.2.2")
    if change == "unknown":
        entry["supersedes"][0]["id"] = "NIST-63B-9.9.9"
    elif change == "same-source":
        entry["supersedes"][0]["id"] = "NIST-63B4-3.2.7"
    elif change == "no-changed":
        del entry["supersedes"][0]["changed"]
    elif change == "long-change":
        entry["supersedes"][0]["change"] = "x" * 201
    elif change == "http":
        entry["url"] = "http://pages.nist.gov/800-63-4/"
    elif change == "aal4":
        entry["level"] = "AAL4"
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown", "superseded id 'NIST-63B-9.9.9' is not in the catalog"),
        ("same-source", "supersedes names an older revision"),
        ("no-changed", "'changed' must be true or false"),
        ("long-change", "'change' must be one line of at most 200 characters"),
        ("http", "'url' must be an https:// address"),
        ("aal4", "'level' must be one of AAL1, AAL2, AAL3, L1, L2, L3"),
    ],
)
def test_a_broken_revision_link_is_refused(change: str, message: str) -> None:
    """A supersedes link to nothing, to the same revision, or without its fields is refused."""
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        parse_catalog(broken_mapping(change), where="requirements.json")
    assert caught.value.where.startswith("requirements.json: requirements[")


def test_a_source_family_lists_every_revision(catalog: Catalog) -> None:
    """`--source NIST` lists both SP 800-63B revisions, `ASVS` both versions; a key itself
    lists only that source."""
    assert catalog.select_sources("nist") == ("NIST-63B", "NIST-63B4")
    assert catalog.select_sources("NIST-63B") == ("NIST-63B",)
    assert catalog.select_sources("asvs") == ("ASVS5", "ASVS4")
    assert catalog.select_sources("PCI") == ("PCIDSS4",)
    rows = format_table(catalog, "NIST").split("\n")[1:]
    assert {row.split()[1] for row in rows} == {"NIST-63B", "NIST-63B4"}
    with pytest.raises(InputError, match="unknown requirement source 'SOC2'"):
        catalog.select_sources("SOC2")


def test_the_requirements_command_lists_the_new_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`twofa-sim requirements` shows rev 4 and PCI ids; `--source` and `--json` carry them."""
    from twofa_sim.cli import main

    assert main(["requirements"]) == 0
    listed = capsys.readouterr().out
    assert "NIST-63B4-3.2.2" in listed and "PCIDSS4-8.5.1-REPLAY" in listed
    assert main(["requirements", "--source", "PCIDSS4"]) == 0
    only = capsys.readouterr().out.splitlines()
    assert {line.split()[0] for line in only[1:]} == PCI_IDS
    assert main(["requirements", "--source", "nist-63b4"]) == 0
    assert "NIST-63B-5.2.2 " not in capsys.readouterr().out
    assert main(["requirements", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"NIST-63B4", "PCIDSS4"} <= set(data["sources"])
    rev4 = {r["id"]: r for r in data["requirements"]}["NIST-63B4-3.1.3.3"]
    assert rev4["supersedes"][0]["id"] == "NIST-63B-5.1.3.3"


# -- control mappings --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mappings() -> ControlMappings:
    return control_mappings()


def shipped_mappings() -> Any:
    text = files("twofa_sim").joinpath("data", "control_mappings.json").read_text("utf-8")
    return json.loads(text)


def test_control_mappings_load_and_name_catalog_ids(
    mappings: ControlMappings, catalog: Catalog
) -> None:
    """control_mappings() loads ISO/IEC 27001:2022 A.8.5 and SOC 2 CC6.1; every mapped id is in
    the catalog."""
    assert control_mappings() is mappings
    assert set(mappings.controls) == {"ISO27001-A.8.5", "SOC2-CC6.1"}
    assert "2022" in mappings.frameworks["ISO27001"].revision
    assert "2017" in mappings.frameworks["SOC2"].revision
    for mapping in mappings.mappings:
        assert mapping.requirements
        assert all(requirement_id in catalog for requirement_id in mapping.requirements)


def test_every_mapping_entry_cites_its_source(mappings: ControlMappings) -> None:
    """Each mapping and each control names what it rests on and where it is published; an
    interpretation says so in its note."""
    for control in mappings.controls.values():
        assert control.citation and control.url.startswith("https://")
    for mapping in mappings.mappings:
        assert mapping.source and mapping.url.startswith("https://"), mapping.topic
        assert mapping.basis in {"stated", "interpretation"}
        if mapping.basis == "interpretation":
            assert mapping.note.startswith("Interpretation:"), mapping.topic


def test_a_report_can_read_requirements_as_controls(mappings: ControlMappings) -> None:
    """Rate limiting, replay resistance and MFA completeness read as both controls; PCI's MFA
    scope (8.4.x) reads only as SOC 2 CC6.1; an unmapped requirement has no control."""
    for requirement_id in ("NIST-63B4-3.2.2", "PCIDSS4-8.5.1-REPLAY", "PCIDSS4-8.5.1-ALL"):
        controls = [c.id for c in mappings.controls_for(requirement_id)]
        assert controls == ["ISO27001-A.8.5", "SOC2-CC6.1"], requirement_id
    assert [c.id for c in mappings.controls_for("pcidss4-8.4.1")] == ["SOC2-CC6.1"]
    assert mappings.controls_for("KEYURI-SECRET") == ()
    iso = mappings.requirements_for("ISO27001-A.8.5")
    assert "NIST-63B4-3.1.3.3" in iso and len(iso) == len(set(iso))
    assert all(m.control == "SOC2-CC6.1" for m in mappings.for_requirement("PCIDSS4-8.4.3"))
    with pytest.raises(InputError, match=re.escape("unknown control 'ISO27001-A.5.17'")):
        mappings.requirements_for("ISO27001-A.5.17")


def broken_control_document(change: str) -> Any:
    document = copy.deepcopy(shipped_mappings())
    first = document["mappings"][0]
    if change == "unknown-id":
        first["requirements"].append("NIST-63B4-3.2.l")
    elif change == "no-source":
        del first["source"]
    elif change == "http":
        first["url"] = "http://www.iso.org/"
    elif change == "unmarked":
        first["note"] = "MFA is secure authentication"
    elif change == "unknown-control":
        first["control"] = "ISO27001-A.5.17"
    elif change == "basis":
        first["basis"] = "guess"
    elif change == "version":
        document["version"] = 2
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown-id", "requirement 'NIST-63B4-3.2.l' is not in the catalog"),
        ("no-source", "'source' must be a non-empty string"),
        ("http", "'url' must be an https:// address"),
        ("unmarked", "an interpretation's 'note' must say it is one"),
        ("unknown-control", "unknown control 'ISO27001-A.5.17'"),
        ("basis", "'basis' must be one of interpretation, stated"),
        ("version", "'version' must be 1"),
    ],
)
def test_a_broken_mapping_file_is_refused(change: str, message: str) -> None:
    """A mapping to an unknown id (with a suggestion), without a source, or an unmarked
    interpretation is refused, naming the entry."""
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        parse_control_mappings(broken_control_document(change), where="control_mappings.json")
    assert caught.value.where.startswith("control_mappings.json")
    if change == "unknown-id":
        assert "NIST-63B4-3.2.1" in caught.value.hint

"""The requirements catalog: every rule twofa-sim checks against, under a stable id.

The catalog ships as ``data/requirements.json``. Each :class:`Requirement` is one testable (or
documentation-only) rule from a source — RFC 4226, RFC 6238, the Google Authenticator Key Uri
Format, OWASP ASVS 5.0.0 and 4.0.3, NIST SP 800-63B revisions 3 (``NIST-63B``) and 4
(``NIST-63B4``), PCI DSS v4.0.1 requirements 8.4 and 8.5 (``PCIDSS4``) — named ``SOURCE-SECTION``,
with a ``-SUFFIX`` where one section holds separate requirements (``RFC6238-5.2-ONCE``).
Requirements with ``testable=False`` are documentation, process or deployment items a simulation
cannot exercise; reports list them apart instead of as gaps.

Revision 4 of SP 800-63B renumbered (and in places changed) revision 3: each ``NIST-63B4`` entry
names the revision-3 ids it supersedes, whether the rule changed and what changed
(:meth:`Catalog.revision_mappings`). ``data/control_mappings.json`` links requirement ids to
ISO/IEC 27001:2022 Annex A 8.5 and SOC 2 CC6.1 (:func:`control_mappings`), so a report can be
read in those terms.

>>> catalog = load_catalog()
>>> catalog.get("ASVS5-6.5.5").summary
'Out-of-band requests and codes live at most 10 minutes, TOTPs at most 30 seconds'
>>> ids_for_citation("RFC 6238 5.2; ASVS 5.0 6.6.3, 2.4.1")
['RFC6238-5.2', 'RFC6238-5.2-ONCE', 'ASVS5-6.6.3', 'ASVS5-2.4.1']
>>> [m.old for m in catalog.predecessors("NIST-63B4-3.2.2")]
['NIST-63B-5.2.2']
>>> "SOC2-CC6.1" in {c.id for c in control_mappings().controls_for("NIST-63B4-3.2.2")}
True
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from twofa_sim.errors import InputError

__all__ = [
    "Catalog",
    "Control",
    "ControlMapping",
    "ControlMappings",
    "Requirement",
    "RevisionMapping",
    "Source",
    "as_json",
    "control_mappings",
    "format_table",
    "ids_for_citation",
    "load_catalog",
    "parse_catalog",
    "parse_control_mappings",
]

_DATA_FILE = "requirements.json"
_MAPPINGS_FILE = "control_mappings.json"
_VERSION = 1
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9.]+)+$")
# ASVS levels, and NIST SP 800-63B authentication assurance levels where a section names one.
_LEVELS = frozenset({"L1", "L2", "L3", "AAL1", "AAL2", "AAL3"})
_MAX_SUMMARY = 100
_MAX_NOTE = 200
_BASES = frozenset({"stated", "interpretation"})
# Characters a reader mistakes for one another in an id typed by hand (``ASVS5-6.5.l``).
_LOOKALIKES = str.maketrans("LIO", "110")


@dataclass(frozen=True)
class Source:
    """A document requirements come from; ``key`` is the id prefix (``ASVS5``, ``NIST-63B``)."""

    key: str
    title: str
    url: str
    revision: str


@dataclass(frozen=True)
class RevisionMapping:
    """A requirement of an older revision (``old``) and the one replacing it (``new``).

    ``changed`` is False where only the section number moved; ``change`` says in one line what
    changed (or that nothing did).
    """

    old: str
    new: str
    changed: bool
    change: str


@dataclass(frozen=True)
class Requirement:
    """One requirement: what ``source`` asks in ``section``, in one line of at most 100 chars.

    ``level`` is the source's own level (``"L2"`` for ASVS, ``"AAL2"`` for NIST SP 800-63B-4)
    or None where the source gives none; ``testable`` is False for documentation or process
    items a simulation cannot exercise. ``url`` is the section's own address where the catalog
    has one, the source's otherwise. ``supersedes`` lists the older-revision requirements this
    one replaces (empty for most).
    """

    id: str
    source: str
    section: str
    summary: str
    level: str | None
    testable: bool
    source_title: str
    url: str
    supersedes: tuple[RevisionMapping, ...] = ()


class Catalog:
    """The requirements, in file order, looked up by id (case-insensitively).

    >>> catalog = load_catalog()
    >>> "RFC6238-5.2-ONCE" in catalog
    True
    >>> catalog.suggest("ASVS5-6.5.l")
    ['ASVS5-6.5.1']
    """

    def __init__(self, requirements: tuple[Requirement, ...], sources: dict[str, Source]) -> None:
        self._requirements = requirements
        self._by_id = {requirement.id: requirement for requirement in requirements}
        self.sources: dict[str, Source] = dict(sources)
        """Source key -> :class:`Source`, in the order the file declares them."""

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self._requirements)

    def __len__(self) -> int:
        return len(self._requirements)

    def __contains__(self, requirement_id: object) -> bool:
        return isinstance(requirement_id, str) and _normal(requirement_id) in self._by_id

    def __repr__(self) -> str:
        return f"<Catalog of {len(self)} requirements from {', '.join(self.sources)}>"

    @property
    def ids(self) -> tuple[str, ...]:
        """Every requirement id, in file order."""
        return tuple(self._by_id)

    def get(self, requirement_id: str) -> Requirement:
        """The requirement with this id; :class:`InputError` suggests close ids otherwise.

        >>> load_catalog().get("nist-63b-5.2.2").id
        'NIST-63B-5.2.2'
        """
        found = self._by_id.get(_normal(requirement_id))
        if found is not None:
            return found
        close = self.suggest(requirement_id)
        if close:
            hint = f"did you mean {' or '.join(close)}?"
        else:
            hint = f"ids start with one of {', '.join(self.sources)}"
        raise InputError(f"unknown requirement {requirement_id!r}", hint=hint)

    def suggest(self, requirement_id: str, *, max_results: int = 3) -> list[str]:
        """Up to ``max_results`` known ids close to ``requirement_id``, the closest first.

        An id that differs only by a look-alike character (``l`` for ``1``, ``O`` for ``0``)
        is the one answer; otherwise ids are ranked by similarity, then by file order.
        """
        wanted = _normal(requirement_id)
        if wanted in self._by_id:
            return [wanted]
        lookalike = wanted.translate(_LOOKALIKES)
        same = [i for i in self._by_id if i.translate(_LOOKALIKES) == lookalike]
        if same:
            return same[:max_results]
        matcher = difflib.SequenceMatcher(b=lookalike, autojunk=False)
        scored: list[tuple[float, int, str]] = []
        for index, known in enumerate(self._by_id):
            matcher.set_seq1(known.translate(_LOOKALIKES))
            ratio = matcher.ratio()
            if ratio >= 0.75:
                scored.append((-ratio, index, known))
        return [known for _, _, known in sorted(scored)[:max_results]]

    def by_source(self) -> dict[str, tuple[Requirement, ...]]:
        """Source key -> its requirements in file order; every declared source is a key."""
        return {
            key: tuple(r for r in self._requirements if r.source == key) for key in self.sources
        }

    def revision_mappings(self) -> tuple[RevisionMapping, ...]:
        """Every older-revision id -> newer id mapping the catalog records, in file order."""
        return tuple(link for r in self._requirements for link in r.supersedes)

    def predecessors(self, requirement_id: str) -> tuple[RevisionMapping, ...]:
        """The mappings from older revisions into ``requirement_id`` (unknown ids raise)."""
        return self.get(requirement_id).supersedes

    def successors(self, requirement_id: str) -> tuple[RevisionMapping, ...]:
        """The mappings from ``requirement_id`` to the requirements that replace it.

        >>> [m.new for m in load_catalog().successors("NIST-63B-5.1.3")]
        ['NIST-63B4-3.1.3.1-EMAIL']
        """
        wanted = self.get(requirement_id).id
        return tuple(link for link in self.revision_mappings() if link.old == wanted)

    def select_sources(self, text: str) -> tuple[str, ...]:
        """The source keys ``text`` names: the one it equals, else every key it starts.

        Case is ignored; ``InputError`` names the known keys when none matches.

        >>> load_catalog().select_sources("nist")
        ('NIST-63B', 'NIST-63B4')
        """
        wanted = text.strip().upper()
        if wanted in self.sources:
            return (wanted,)
        found = tuple(key for key in self.sources if wanted and key.upper().startswith(wanted))
        if not found:
            self.source(text)  # raises, naming the known sources
        return found

    def source(self, key: str) -> Source:
        """The source with this key (case-insensitive); :class:`InputError` names the known ones."""
        for known, source in self.sources.items():
            if known.upper() == key.strip().upper():
                return source
        raise InputError(
            f"unknown requirement source {key!r}", hint=f"known: {', '.join(self.sources)}"
        )


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with twofa-sim (read once through importlib.resources, then cached)."""
    text = files("twofa_sim").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return parse_catalog(json.loads(text), where=_DATA_FILE)


def parse_catalog(document: object, *, where: str) -> Catalog:
    """A catalog from a decoded JSON document; :class:`InputError` names the bad field."""
    root = _mapping(document, where)
    if root.get("version") != _VERSION:
        raise InputError(f"'version' must be {_VERSION}").at(where)
    raw_sources = _mapping(root.get("sources"), f"{where}: sources")
    if not raw_sources:
        raise InputError("'sources' must not be empty").at(where)
    sources = {
        key: Source(
            key=key,
            title=_text(entry, "title", f"{where}: sources.{key}"),
            url=_text(entry, "url", f"{where}: sources.{key}"),
            revision=_text(entry, "revision", f"{where}: sources.{key}"),
        )
        for key, entry in raw_sources.items()
    }
    raw_requirements = root.get("requirements")
    if not isinstance(raw_requirements, list) or not raw_requirements:
        raise InputError("'requirements' must be a non-empty list").at(where)
    requirements: list[Requirement] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw_requirements):
        requirement = _requirement(entry, sources, f"{where}: requirements[{index}]")
        if requirement.id in seen:
            raise InputError(f"duplicate requirement id {requirement.id!r}").at(
                f"{where}: requirements[{index}]"
            )
        seen.add(requirement.id)
        requirements.append(requirement)
    by_id = {r.id: r for r in requirements}
    for index, requirement in enumerate(requirements):
        for link in requirement.supersedes:
            old = by_id.get(link.old)
            place = f"{where}: requirements[{index}]: supersedes"
            if old is None:
                raise InputError(f"superseded id {link.old!r} is not in the catalog").at(place)
            if old.source == requirement.source:
                raise InputError(
                    f"{link.old!r} is of the same source; supersedes names an older revision"
                ).at(place)
    return Catalog(tuple(requirements), sources)


def _requirement(entry: object, sources: dict[str, Source], where: str) -> Requirement:
    fields = _mapping(entry, where)
    requirement_id = _text(fields, "id", where)
    if not _ID.match(requirement_id) or requirement_id != requirement_id.upper():
        raise InputError(
            f"id {requirement_id!r} is not PREFIX-SECTION in upper case",
            hint="for example ASVS5-6.5.1 or RFC6238-5.2-ONCE",
        ).at(where)
    key = _text(fields, "source", where)
    if key not in sources:
        raise InputError(
            f"unknown source {key!r}", hint="declare it under the top-level 'sources'"
        ).at(where)
    if not requirement_id.startswith(f"{key}-"):
        raise InputError(f"id {requirement_id!r} must start with its source, {key}-").at(where)
    summary = _text(fields, "summary", where)
    if "\n" in summary or len(summary) > _MAX_SUMMARY:
        raise InputError(f"'summary' must be one line of at most {_MAX_SUMMARY} characters").at(
            where
        )
    level = fields.get("level")
    if level is not None and level not in _LEVELS:
        raise InputError(f"'level' must be one of {', '.join(sorted(_LEVELS))}").at(where)
    testable = fields.get("testable")
    if not isinstance(testable, bool):
        raise InputError("'testable' must be true or false").at(where)
    source = sources[key]
    url = source.url
    if "url" in fields:
        url = _text(fields, "url", where)
        if not url.startswith("https://"):
            raise InputError("'url' must be an https:// address").at(where)
    return Requirement(
        id=requirement_id,
        source=key,
        section=_text(fields, "section", where),
        summary=summary,
        level=level if isinstance(level, str) else None,
        testable=testable,
        source_title=source.title,
        url=url,
        supersedes=_supersedes(fields.get("supersedes", []), requirement_id, where),
    )


def _supersedes(value: object, new: str, where: str) -> tuple[RevisionMapping, ...]:
    if not isinstance(value, list):
        raise InputError("'supersedes' must be a list").at(where)
    links: list[RevisionMapping] = []
    for index, entry in enumerate(value):
        place = f"{where}: supersedes[{index}]"
        fields = _mapping(entry, place)
        changed = fields.get("changed")
        if not isinstance(changed, bool):
            raise InputError("'changed' must be true or false").at(place)
        links.append(
            RevisionMapping(
                old=_normal(_text(fields, "id", place)),
                new=new,
                changed=changed,
                change=_line(fields, "change", place),
            )
        )
    return tuple(links)


def _line(fields: object, key: str, where: str) -> str:
    """A one-line text field of at most 200 characters (notes, change descriptions)."""
    text = _text(fields, key, where)
    if "\n" in text or len(text) > _MAX_NOTE:
        raise InputError(f"'{key}' must be one line of at most {_MAX_NOTE} characters").at(where)
    return text


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InputError("expected a JSON object").at(where)
    return value


def _text(fields: object, key: str, where: str) -> str:
    value = _mapping(fields, where).get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{key}' must be a non-empty string").at(where)
    return value


def _normal(requirement_id: str) -> str:
    return requirement_id.strip().upper()


# -- citations ---------------------------------------------------------------------------------

# One alternative per way a source is cited in prose; the group names say which source. A
# version must not swallow a section: "ASVS 6.5.4" (no version) leaves 6.5.4 as the section.
_CITATION = re.compile(
    r"""
    (?P<rfc>\bRFC[\s-]*(?P<rfc_number>4226|6238)\b)
    | (?P<asvs>\b(?:OWASP\s+)?ASVS(?:\s*v?(?P<asvs_version>[45])(?:\.0(?:\.\d+)?)?(?![\d.]))?)
    | (?P<nist>\b(?:NIST[\s-]*(?:SP[\s-]*)?(?:800-)?|SP[\s-]*800-|800-)63B
        (?:-(?P<nist_dash>\d)(?![\d.])|\s*rev(?:ision)?\.?\s*(?P<nist_rev>\d))?)
    | (?P<keyuri>\bKEYURI\b|\bKey[\s-]*Uri[\s-]*Format\b)
    | (?P<pci>\bPCI[\s-]*DSS(?:\s*v?4(?:\.0(?:\.\d+)?)?(?![\d.]))?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")


def ids_for_citation(text: str, catalog: Catalog | None = None) -> list[str]:
    """The catalog ids a prose citation refers to, in the order cited, each once; [] if none.

    A citation names a source and one or more sections: ``RFC 4226 7.3``, ``RFC 4226 R6``,
    ``ASVS 5.0 6.6.3, 2.4.1``, ``ASVS 4.0.3 2.7.5``, ``NIST 800-63B 5.2.2``, ``Key Uri Format
    secret``; several may be joined with ``;``. A section also names its ``-SUFFIX`` ids
    (``RFC 6238 5.2`` gives ``RFC6238-5.2`` and ``RFC6238-5.2-ONCE``). ``ASVS`` without a version
    tries 5.0 and then 4.0.3. ``NIST 800-63B`` is revision 3; ``800-63B-4`` (or ``rev 4``) is
    revision 4, with its own numbering; ``PCI DSS 8.5.1`` is PCI DSS v4.0.1. Catalog ids
    (``ASVS5-6.5.1``) are accepted as they are. Parenthesised notes and words that are not
    sections are ignored.

    >>> ids_for_citation("NIST 800-63B 5.2.2; RFC 4226 7.3 (django-otp)")
    ['NIST-63B-5.2.2', 'NIST-63B-5.2.2-RESET', 'RFC4226-7.3', 'RFC4226-7.3-SESSIONS']
    >>> ids_for_citation("peer practice")
    []
    """
    catalog = load_catalog() if catalog is None else catalog
    matches = list(_CITATION.finditer(text))
    wanted: dict[str, None] = {}  # an ordered set
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        prefixes = _prefixes(match)
        for token in _TOKEN.findall(text[match.end() : end]):
            section = token.strip(".-").upper()
            if prefixes and prefixes[0].startswith("ASVS") and re.match(r"V\d", section):
                section = section[1:]  # "V6.5.1", the ASVS chapter-style spelling
            for prefix in prefixes:
                found = _ids_for_section(catalog, prefix, section)
                wanted.update(dict.fromkeys(found))
                if found:
                    break
    return list(wanted)


def _prefixes(match: re.Match[str]) -> tuple[str, ...]:
    """The catalog prefixes to try, in order, for one matched source name."""
    if match.group("rfc"):
        return (f"RFC{match.group('rfc_number')}",)
    if match.group("asvs"):
        version = match.group("asvs_version")
        return (f"ASVS{version}",) if version else ("ASVS5", "ASVS4")
    if match.group("nist"):
        revision = match.group("nist_dash") or match.group("nist_rev") or "3"
        return {"3": ("NIST-63B",), "4": ("NIST-63B4",)}.get(revision, ())
    if match.group("pci"):
        return ("PCIDSS4",)
    return ("KEYURI",)


def _ids_for_section(catalog: Catalog, prefix: str, section: str) -> list[str]:
    base = f"{prefix}-{section}"
    return [
        r.id
        for r in catalog
        if r.id == base
        or r.id.startswith(f"{base}-")
        or (r.source == prefix and r.section.upper() == section)
    ]


# -- output ------------------------------------------------------------------------------------


def format_table(catalog: Catalog, source: str | None = None) -> str:
    """The catalog (or some sources of it) as aligned columns ID, SOURCE, SUMMARY.

    ``source`` is a source key (``NIST-63B4``) or the start of several (``NIST`` lists both
    revisions of SP 800-63B, ``ASVS`` both versions), in any case. Requirements a simulation
    cannot exercise end in ``(not testable)``. No line has trailing spaces and there is no final
    newline. A ``source`` that names no source raises :class:`InputError`.

    >>> print(format_table(load_catalog(), "RFC6238").splitlines()[0])
    ID                 SOURCE   SUMMARY
    """
    if source is None:
        rows = list(catalog)
    else:
        keys = catalog.select_sources(source)
        rows = [r for r in catalog if r.source in keys]
    table = [("ID", "SOURCE", "SUMMARY")] + [
        (r.id, r.source, r.summary if r.testable else f"{r.summary} (not testable)") for r in rows
    ]
    id_width = max(len(row[0]) for row in table)
    source_width = max(len(row[1]) for row in table)
    return "\n".join(
        f"{rid:<{id_width}}  {src:<{source_width}}  {summary}".rstrip()
        for rid, src, summary in table
    )


def as_json(catalog: Catalog) -> dict[str, Any]:
    """The catalog as a JSON-ready dict in the shape of ``data/requirements.json``.

    Every requirement carries ``level`` (null where the source has none), ``testable`` and
    ``url`` (the section's address, or the source's); ``supersedes`` appears where the
    requirement replaces older-revision ids. ``parse_catalog(as_json(c), where=...)`` gives back
    an equal catalog.
    """
    return {
        "version": _VERSION,
        "sources": {
            key: {"title": s.title, "url": s.url, "revision": s.revision}
            for key, s in catalog.sources.items()
        },
        "requirements": [_requirement_json(r) for r in catalog],
    }


def _requirement_json(requirement: Requirement) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": requirement.id,
        "source": requirement.source,
        "section": requirement.section,
        "summary": requirement.summary,
        "level": requirement.level,
        "testable": requirement.testable,
        "url": requirement.url,
    }
    if requirement.supersedes:
        entry["supersedes"] = [
            {"id": link.old, "changed": link.changed, "change": link.change}
            for link in requirement.supersedes
        ]
    return entry


# -- control frameworks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """A control of a framework auditors work in (``ISO27001-A.8.5``, ``SOC2-CC6.1``).

    ``summary`` is the control in one line of our own words; ``citation`` names where the
    control's text was read and ``url`` where it is published.
    """

    id: str
    framework: str
    section: str
    title: str
    summary: str
    citation: str
    url: str


@dataclass(frozen=True)
class ControlMapping:
    """Catalog requirements read as evidence for one control, on one ``topic``.

    ``basis`` is ``"stated"`` when a cited source itself makes the link and ``"interpretation"``
    when the link is ours; ``note`` says why (and, for an interpretation, that it is one);
    ``source`` and ``url`` cite what the mapping rests on.
    """

    control: str
    topic: str
    requirements: tuple[str, ...]
    basis: str
    note: str
    source: str
    url: str


class ControlMappings:
    """``data/control_mappings.json``: frameworks, their controls, and the mappings to them."""

    def __init__(
        self,
        frameworks: dict[str, Source],
        controls: dict[str, Control],
        mappings: tuple[ControlMapping, ...],
    ) -> None:
        self.frameworks: dict[str, Source] = dict(frameworks)
        """Framework key (``ISO27001``, ``SOC2``) -> :class:`Source`."""
        self.controls: dict[str, Control] = dict(controls)
        """Control id -> :class:`Control`, in file order."""
        self.mappings = mappings
        """Every :class:`ControlMapping`, in file order."""

    def __repr__(self) -> str:
        return f"<ControlMappings: {len(self.mappings)} mappings to {', '.join(self.controls)}>"

    def controls_for(self, requirement_id: str) -> tuple[Control, ...]:
        """The controls a requirement is mapped to, in file order, each once ((): none)."""
        wanted = _normal(requirement_id)
        found = {m.control: None for m in self.mappings if wanted in m.requirements}
        return tuple(self.controls[control] for control in found)

    def requirements_for(self, control_id: str) -> tuple[str, ...]:
        """The requirement ids mapped to a control, in file order, each once.

        An unknown control raises :class:`InputError` naming the known ones.
        """
        wanted = _normal(control_id)
        if wanted not in self.controls:
            raise InputError(
                f"unknown control {control_id!r}", hint=f"known: {', '.join(self.controls)}"
            )
        ids = {i: None for m in self.mappings if m.control == wanted for i in m.requirements}
        return tuple(ids)

    def for_requirement(self, requirement_id: str) -> tuple[ControlMapping, ...]:
        """The mapping entries naming a requirement (with their notes and sources)."""
        wanted = _normal(requirement_id)
        return tuple(m for m in self.mappings if wanted in m.requirements)


@cache
def control_mappings() -> ControlMappings:
    """The control mappings shipped with twofa-sim, checked against the catalog (cached)."""
    text = files("twofa_sim").joinpath("data", _MAPPINGS_FILE).read_text(encoding="utf-8")
    return parse_control_mappings(json.loads(text), where=_MAPPINGS_FILE)


def parse_control_mappings(
    document: object, *, where: str, catalog: Catalog | None = None
) -> ControlMappings:
    """Control mappings from a decoded JSON document; :class:`InputError` names the bad field.

    Every mapped requirement id must be in ``catalog`` (the shipped one by default), every
    control declared, every entry must cite its source with an https:// address.
    """
    catalog = load_catalog() if catalog is None else catalog
    root = _mapping(document, where)
    if root.get("version") != _VERSION:
        raise InputError(f"'version' must be {_VERSION}").at(where)
    raw_frameworks = _mapping(root.get("frameworks"), f"{where}: frameworks")
    frameworks = {
        key: Source(
            key=key,
            title=_text(entry, "title", f"{where}: frameworks.{key}"),
            url=_https(entry, f"{where}: frameworks.{key}"),
            revision=_text(entry, "revision", f"{where}: frameworks.{key}"),
        )
        for key, entry in raw_frameworks.items()
    }
    raw_controls = _mapping(root.get("controls"), f"{where}: controls")
    controls: dict[str, Control] = {}
    for control_id, entry in raw_controls.items():
        place = f"{where}: controls.{control_id}"
        framework = _text(entry, "framework", place)
        if framework not in frameworks:
            raise InputError(f"unknown framework {framework!r}").at(place)
        if not control_id.startswith(f"{framework}-") or control_id != _normal(control_id):
            raise InputError(f"control id {control_id!r} must be {framework}-SECTION").at(place)
        controls[control_id] = Control(
            id=control_id,
            framework=framework,
            section=_text(entry, "section", place),
            title=_text(entry, "title", place),
            summary=_line(_mapping(entry, place), "summary", place),
            citation=_text(entry, "citation", place),
            url=_https(entry, place),
        )
    raw_mappings = root.get("mappings")
    if not isinstance(raw_mappings, list) or not raw_mappings:
        raise InputError("'mappings' must be a non-empty list").at(where)
    mappings = tuple(
        _control_mapping(entry, controls, catalog, f"{where}: mappings[{index}]")
        for index, entry in enumerate(raw_mappings)
    )
    return ControlMappings(frameworks, controls, mappings)


def _control_mapping(
    entry: object, controls: dict[str, Control], catalog: Catalog, where: str
) -> ControlMapping:
    fields = _mapping(entry, where)
    control = _text(fields, "control", where)
    if control not in controls:
        raise InputError(
            f"unknown control {control!r}", hint="declare it under the top-level 'controls'"
        ).at(where)
    raw_ids = fields.get("requirements")
    if not isinstance(raw_ids, list) or not raw_ids:
        raise InputError("'requirements' must be a non-empty list of catalog ids").at(where)
    ids: list[str] = []
    for requirement_id in raw_ids:
        if not isinstance(requirement_id, str) or requirement_id not in catalog:
            close = catalog.suggest(requirement_id) if isinstance(requirement_id, str) else []
            raise InputError(
                f"requirement {requirement_id!r} is not in the catalog",
                hint=f"did you mean {' or '.join(close)}?" if close else "",
            ).at(where)
        ids.append(catalog.get(requirement_id).id)
    basis = _text(fields, "basis", where)
    if basis not in _BASES:
        raise InputError(f"'basis' must be one of {', '.join(sorted(_BASES))}").at(where)
    note = _line(fields, "note", where)
    if basis == "interpretation" and "interpretation" not in note.lower():
        raise InputError("an interpretation's 'note' must say it is one").at(where)
    return ControlMapping(
        control=control,
        topic=_line(fields, "topic", where),
        requirements=tuple(ids),
        basis=basis,
        note=note,
        source=_text(fields, "source", where),
        url=_https(fields, where),
    )


def _https(fields: object, where: str) -> str:
    url = _text(fields, "url", where)
    if not url.startswith("https://"):
        raise InputError("'url' must be an https:// address").at(where)
    return url

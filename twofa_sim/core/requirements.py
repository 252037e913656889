"""The requirements catalog: every rule twofa-sim checks against, under a stable id.

The catalog ships as ``data/requirements.json``. Each :class:`Requirement` is one testable (or
documentation-only) rule from a source — RFC 4226, RFC 6238, the Google Authenticator Key Uri
Format, OWASP ASVS 5.0.0 and 4.0.3, NIST SP 800-63B revision 3 — named ``SOURCE-SECTION``, with a
``-SUFFIX`` where one section holds separate requirements (``RFC6238-5.2-ONCE``). Requirements with
``testable=False`` are documentation, process or deployment items a simulation cannot exercise;
reports list them apart instead of as gaps.

>>> catalog = load_catalog()
>>> catalog.get("ASVS5-6.5.5").summary
'Out-of-band requests and codes live at most 10 minutes, TOTPs at most 30 seconds'
>>> ids_for_citation("RFC 6238 5.2; ASVS 5.0 6.6.3, 2.4.1")
['RFC6238-5.2', 'RFC6238-5.2-ONCE', 'ASVS5-6.6.3', 'ASVS5-2.4.1']
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
    "Requirement",
    "Source",
    "as_json",
    "format_table",
    "ids_for_citation",
    "load_catalog",
    "parse_catalog",
]

_DATA_FILE = "requirements.json"
_VERSION = 1
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Za-z0-9.]+)+$")
_LEVELS = frozenset({"L1", "L2", "L3"})
_MAX_SUMMARY = 100
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
class Requirement:
    """One requirement: what ``source`` asks in ``section``, in one line of at most 100 chars.

    ``level`` is the source's own level (``"L2"`` for ASVS) or None where the source has none;
    ``testable`` is False for documentation or process items a simulation cannot exercise.
    """

    id: str
    source: str
    section: str
    summary: str
    level: str | None
    testable: bool
    source_title: str
    url: str


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
    return Requirement(
        id=requirement_id,
        source=key,
        section=_text(fields, "section", where),
        summary=summary,
        level=level if isinstance(level, str) else None,
        testable=testable,
        source_title=source.title,
        url=source.url,
    )


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
    tries 5.0 and then 4.0.3. Catalog ids (``ASVS5-6.5.1``) are accepted as they are. Parenthesised
    notes and words that are not sections are ignored; NIST 800-63B-4 (other numbering) maps to
    nothing.

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
        return ("NIST-63B",) if revision == "3" else ()
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
    """The catalog (or one source of it) as aligned columns ID, SOURCE, SUMMARY.

    Requirements a simulation cannot exercise end in ``(not testable)``. No line has trailing
    spaces and there is no final newline. An unknown ``source`` raises :class:`InputError`.

    >>> print(format_table(load_catalog(), "RFC6238").splitlines()[0])
    ID                 SOURCE   SUMMARY
    """
    if source is None:
        rows = list(catalog)
    else:
        key = catalog.source(source).key
        rows = [r for r in catalog if r.source == key]
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

    Every requirement carries ``level`` (null where the source has none) and ``testable``;
    ``parse_catalog(as_json(c), where=...)`` gives back an equal catalog.
    """
    return {
        "version": _VERSION,
        "sources": {
            key: {"title": s.title, "url": s.url, "revision": s.revision}
            for key, s in catalog.sources.items()
        },
        "requirements": [
            {
                "id": r.id,
                "source": r.source,
                "section": r.section,
                "summary": r.summary,
                "level": r.level,
                "testable": r.testable,
            }
            for r in catalog
        ],
    }

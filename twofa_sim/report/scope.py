"""What an assessment covers: the system under test, the standards and levels in scope, the
requirements declared not applicable (each with its reason), and who signs the report off.

A scope file is YAML (``twofa-sim run --scope scope.yaml``; its JSON Schema is
``twofa_sim/data/scope.schema.json``, printed by ``twofa-sim schema --scope``)::

    system: {name: Acme Login, version: 2.4.1, environment: staging, owner: Identity team}
    standards: {ASVS5: L2, NIST-63B4: AAL2, PCIDSS4: all}
    not_applicable:
      - {id: ASVS5-6.6.4, reason: No push notifications are offered}
    sign_off: [{role: Security lead}, {role: QA lead, name: R. Roe}]

Applicability follows the levels. A catalog item's ``level`` is the lowest level it applies at,
and levels are cumulative: OWASP ASVS 5.0 says each level contains the requirements of the
levels below it ("Using ASVS", the levels), so an L3 item is out of scope at L2, and an L1 item
is in scope at L2. NIST SP 800-63B-4's AAL items are read the same way (an AAL2 constraint
still holds at AAL3, which adds its own, section 2.3); an item with no level (the
authenticator and lifecycle sections) applies at every AAL. A standard the scope does not
name is out of scope as a whole. An item the scope declares not applicable shows the reason
given. :func:`apply_scope` writes all of this into results.json: the ``scope`` block, and on
every requirement row its ``level``, ``applicability`` (``in_scope``, ``out_of_scope`` or
``not_applicable``) and, when not in scope, the ``reason``. Nothing here reads a clock: the
same scope file gives the same bytes.

A scope file is input like any other: anything wrong with it is one :class:`InputError` at
``FILE:LINE:COLUMN`` naming the first bad field (exit 2), in bounded time and memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from twofa_sim.core.requirements import Catalog, load_catalog
from twofa_sim.errors import InputError
from twofa_sim.files import read_bytes

__all__ = [
    "APPLICABILITY",
    "LEVELS",
    "MAX_SCOPE_BYTES",
    "SCHEMA_FILE",
    "Scope",
    "apply_scope",
    "judge",
    "load_scope",
    "parse_scope",
    "scope_schema",
]

SCHEMA_FILE = "scope.schema.json"
MAX_SCOPE_BYTES = 256 << 10
"""A scope file: 256 KiB (a real one is well under 4 KiB)."""
_MAX_NODES = 20_000
_MAX_DEPTH = 20
_MAX_TEXT = 500
_ALL = "all"
LEVELS: dict[str, tuple[str, ...]] = {
    "ASVS5": ("L1", "L2", "L3"),
    "ASVS4": ("L1", "L2", "L3"),
    "NIST-63B4": ("AAL1", "AAL2", "AAL3"),
    "NIST-63B": ("AAL1", "AAL2", "AAL3"),
}
"""The levels a scope may name per standard (the catalog's source keys); a standard not listed
here has no levels and is named with ``all``."""
APPLICABILITY = ("in_scope", "out_of_scope", "not_applicable")


def _levels(source: str) -> tuple[str, ...]:
    return LEVELS.get(source, (_ALL,))


# --- the schema ------------------------------------------------------------------------------


def scope_schema(catalog: Catalog | None = None) -> dict[str, Any]:
    """The JSON Schema of scope files, built from the catalog's sources (the shipped
    ``scope.schema.json`` is this, written out; a test keeps them equal)."""
    catalog = catalog or load_catalog()
    text = {"type": "string", "minLength": 1, "maxLength": _MAX_TEXT}
    standards = {
        key: {
            "description": f"{source.title} ({source.revision})",
            "enum": list(_levels(key)),
        }
        for key, source in catalog.sources.items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://twofa-sim.invalid/schema/scope-1.json",
        "title": "twofa-sim scope file (twofa-sim run --scope FILE)",
        "description": (
            "What an assessment covers: the system under test, the standards and levels in "
            "scope, requirements declared not applicable with a reason, and the sign-off roles. "
            "A catalog item applies at its level and above; a standard not named is out of scope."
        ),
        "type": "object",
        "required": ["system", "standards"],
        "additionalProperties": False,
        "properties": {
            "system": {
                "description": "The system under test.",
                "type": "object",
                "required": ["name", "version"],
                "additionalProperties": False,
                "properties": {
                    "name": text,
                    "version": text,
                    "environment": {**text, "description": "e.g. staging, production"},
                    "owner": {**text, "description": "who answers for the system"},
                    "description": text,
                },
            },
            "standards": {
                "description": (
                    "Standard (a requirement catalog source) -> the level assessed; "
                    "`all` for a standard without levels."
                ),
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": standards,
            },
            "not_applicable": {
                "description": "Requirements that do not apply to this system, each with why.",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "reason"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "minLength": 1, "maxLength": 80},
                        "reason": text,
                    },
                },
            },
            "sign_off": {
                "description": "The roles that sign the report off (a line each in the PDF).",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role"],
                    "additionalProperties": False,
                    "properties": {"role": text, "name": text},
                },
            },
        },
    }


@cache
def _shipped_schema() -> dict[str, Any]:
    text = files("twofa_sim").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --- reading YAML with positions ---------------------------------------------------------------

_Path = tuple[str | int, ...]
_Y = "tag:yaml.org,2002:"
_SCALARS = frozenset(_Y + t for t in ("str", "int", "float", "bool", "timestamp"))


class _Reader:
    """Plain data from a YAML node tree, and the line:column of every value (1-based)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.marks: dict[_Path, tuple[int, int]] = {}
        self.keys: dict[_Path, tuple[int, int]] = {}
        self.nodes = 0

    def fail(self, node: Node, what: str, hint: str = "") -> InputError:
        mark = node.start_mark
        return InputError(what, where=f"{self.where}:{mark.line + 1}:{mark.column + 1}", hint=hint)

    def value(self, node: Node, path: _Path, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES or depth > _MAX_DEPTH:
            raise self.fail(node, "too large or too deeply nested for a scope file")
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            if node.tag != _Y + "map":
                raise self.fail(node, f"tag {node.tag} is not allowed in a scope file")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag != _Y + "str":
                    raise self.fail(key_node, "keys must be plain text")
                key = str(key_node.value)
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r}")
                self.keys[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.value(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, SequenceNode):
            if node.tag != _Y + "seq":
                raise self.fail(node, f"tag {node.tag} is not allowed in a scope file")
            return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if node.tag == _Y + "null":
            return None
        if node.tag in _SCALARS:
            return str(node.value)  # every value is text: `version: 2.10` stays "2.10"
        raise self.fail(node, f"tag {node.tag} is not allowed in a scope file")

    def mark(self, path: Sequence[str | int], *, key: bool = False) -> str:
        if key and tuple(path) in self.keys:
            line, column = self.keys[tuple(path)]
            return f"{self.where}:{line}:{column}"
        for cut in range(len(path), -1, -1):
            found = self.marks.get(tuple(path[:cut]))
            if found is not None:
                return f"{self.where}:{found[0]}:{found[1]}"
        return self.where


def _pointer(path: Sequence[str | int]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _describe(error: Any) -> tuple[list[str | int], str, str]:
    """(path, what, hint) for a jsonschema error, on one line (an unknown key's path ends in
    the key)."""
    path: list[str | int] = list(error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if name not in value]
        return path, f"missing {missing[0] if missing else '?'!r}", ""
    if kind == "additionalProperties":
        known = list((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in value if k not in known) if isinstance(value, Mapping) else []
        name = extra[0] if extra else "?"
        import difflib

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        where = "standard" if path == ["standards"] else "key"
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        return [*path, name], f"unknown {where} {name!r}", hint
    if kind == "enum":
        shown = ", ".join(str(v) for v in expected)
        return path, f"{json.dumps(value)[:60]} is not one of {shown}", ""
    if kind == "type":
        return (
            path,
            f"should be {expected if isinstance(expected, str) else ' or '.join(expected)}",
            "",
        )
    if kind == "minLength":
        return path, "should not be empty", ""
    if kind == "maxLength":
        return path, f"longer than {expected} characters", ""
    if kind == "minProperties":
        return path, "names no standard", "for example {ASVS5: L2, NIST-63B4: AAL2}"
    if kind == "const":
        return path, f"should be {json.dumps(expected)}", ""
    return path, str(error.message)[:160], ""


# --- the scope ------------------------------------------------------------------------------


class Scope:
    """A checked scope: what :func:`apply_scope` writes into results.json (:attr:`block`)."""

    def __init__(self, data: Mapping[str, Any], digest: str) -> None:
        catalog = load_catalog()
        self.system: dict[str, str] = dict(data["system"])
        self.standards: dict[str, str] = dict(data["standards"])
        self.not_applicable: dict[str, str] = {
            catalog.get(item["id"]).id: item["reason"] for item in data.get("not_applicable") or []
        }
        self.sign_off: list[dict[str, str]] = [dict(s) for s in data.get("sign_off") or []]
        self.sha256 = digest

    @property
    def block(self) -> dict[str, Any]:
        """The ``scope`` block of results.json."""
        catalog = load_catalog()
        return {
            "system": self.system,
            "standards": [
                {
                    "source": key,
                    "level": level,
                    "title": catalog.sources[key].title,
                    "revision": catalog.sources[key].revision,
                }
                for key, level in self.standards.items()
            ],
            "not_applicable": [{"id": i, "reason": r} for i, r in self.not_applicable.items()],
            "sign_off": self.sign_off,
            "sha256": self.sha256,
        }

    def applicability(self, source: str, level: str | None, rid: str) -> tuple[str, str]:
        """(``in_scope`` | ``out_of_scope`` | ``not_applicable``, the reason when not in)."""
        return _rule(self.standards, self.not_applicable, source, level, rid)


def _rule(
    standards: Mapping[str, str],
    declared: Mapping[str, str],
    source: str,
    level: str | None,
    rid: str,
) -> tuple[str, str]:
    if rid in declared:
        return "not_applicable", declared[rid]
    wanted = standards.get(source)
    if wanted is None:
        return "out_of_scope", f"{source} is not in scope"
    order = _levels(source)
    if level in order and wanted in order and order.index(level) > order.index(wanted):
        return "out_of_scope", f"a {level} item; the scope is {source} {wanted}"
    return "in_scope", ""


def judge(block: Mapping[str, Any], rid: str, source: str) -> tuple[str, str, str | None]:
    """(applicability, reason, level) of a requirement row that lacks them, from a results
    file's ``scope`` block (a killed run's results.jsonl, or shards merged, whose rows were
    traced again without the scope): the catalog gives the level."""
    catalog = load_catalog()
    level = catalog.get(rid).level if rid in catalog else None
    standards = {
        str(s.get("source")): str(s.get("level"))
        for s in block.get("standards") or []
        if isinstance(s, Mapping)
    }
    declared = {
        str(d.get("id")): str(d.get("reason", ""))
        for d in block.get("not_applicable") or []
        if isinstance(d, Mapping)
    }
    status, reason = _rule(standards, declared, source, level, rid)
    return status, reason, level


def _shallow(text: str, where: str) -> None:
    """Refuse nesting deeper than a scope file needs from the parser's events (iterative, so a
    file of 100,000 ``[`` is refused at the 21st, before anything recurses)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                mark = event.start_mark
                at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
                raise InputError("nested too deeply for a scope file", where=at)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def parse_scope(text: str, *, where: str) -> Scope:
    """A :class:`Scope` from YAML text; :class:`InputError` at ``where:LINE:COLUMN``."""
    try:
        _shallow(text, where)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
        problem = getattr(exc, "problem", None) or "not YAML"
        raise InputError(f"not YAML: {problem}", where=at) from None
    if root is None:
        raise InputError("empty: a scope names the system and the standards", where=where)
    reader = _Reader(where)
    data = reader.value(root, ())
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(_shipped_schema()).iter_errors(data))
    if error is not None:
        path, what, hint = _describe(error)
        at = reader.mark(path, key=error.validator == "additionalProperties")
        raise InputError(f"at {_pointer(path)}: {what}", where=at, hint=hint)
    catalog = load_catalog()
    seen: set[str] = set()
    for index, item in enumerate(data.get("not_applicable") or []):
        spot: list[str | int] = ["not_applicable", index, "id"]
        if item["id"] not in catalog:
            close = catalog.suggest(item["id"])
            raise InputError(
                f"at {_pointer(spot)}: unknown requirement {item['id']!r}",
                where=reader.mark(spot),
                hint=f"did you mean {' or '.join(close)}?"
                if close
                else "twofa-sim requirements lists them",
            )
        rid = catalog.get(item["id"]).id
        if rid in seen:
            raise InputError(
                f"at {_pointer(spot)}: {rid} is declared not applicable twice",
                where=reader.mark(spot),
            )
        seen.add(rid)
    roles = [s["role"] for s in data.get("sign_off") or []]
    for index, role in enumerate(roles):
        if role in roles[:index]:
            spot = ["sign_off", index, "role"]
            raise InputError(f"at {_pointer(spot)}: role {role!r} twice", where=reader.mark(spot))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Scope(data, digest)


def load_scope(path: Path) -> Scope:
    """The scope file at ``path`` (a regular file of at most :data:`MAX_SCOPE_BYTES`)."""
    where = str(path)
    raw = read_bytes(path, limit=MAX_SCOPE_BYTES, where=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=where) from None
    return parse_scope(text, where=where)


def apply_scope(results: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
    """``results`` with the ``scope`` block and every requirement row's ``level``,
    ``applicability`` and ``reason``; the summary gains the in-scope counts. Rows the catalog
    lacks (from another twofa-sim) are judged by their ID's source, without a level."""
    catalog = load_catalog()
    rows: list[dict[str, Any]] = []
    for row in results.get("requirements") or []:
        rid = str(row.get("id", ""))
        known = catalog.get(rid) if rid in catalog else None
        source = known.source if known else str(row.get("source", ""))
        level = known.level if known else None
        status, reason = scope.applicability(source, level, rid)
        entry = {**row, "level": level, "applicability": status}
        if reason:
            entry["reason"] = reason
        rows.append(entry)
    testable_in = [r for r in rows if r["applicability"] == "in_scope" and r.get("testable")]
    summary = dict(results.get("summary") or {})
    summary.update(
        requirements_in_scope=len(testable_in),
        requirements_in_scope_covered=sum(1 for r in testable_in if r.get("scenarios")),
        requirements_out_of_scope=sum(r["applicability"] == "out_of_scope" for r in rows),
        requirements_declared_not_applicable=sum(
            r["applicability"] == "not_applicable" for r in rows
        ),
    )
    return {**results, "summary": summary, "requirements": rows, "scope": scope.block}

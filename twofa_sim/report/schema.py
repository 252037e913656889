"""Checking results before anything reads them: ``results.schema.json`` and a guarded parser.

A results file is untrusted input like any other (it may be edited, truncated, or written by
something else). :func:`parse_json` turns text into data in bounded time and memory: nesting
deeper than :data:`MAX_DEPTH` is refused (json's own recursion is caught, so a 200,000-deep
array is one line of error, not a crash). :func:`check_results` and :func:`check_line` hold the
data against the shipped JSON Schema and raise :class:`~twofa_sim.errors.InputError` naming the
file, the JSON Lines line when there is one, and the JSON pointer of the first bad field.

>>> check_results({"schema_version": 1}, where="results.json")
Traceback (most recent call last):
...
twofa_sim.errors.InputError: results.json: at /seed: missing (hint: not a results.json as \
twofa-sim run writes it: see results.schema.json)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from twofa_sim.errors import InputError
from twofa_sim.report.precheck import Check, compile_check

__all__ = [
    "MAX_DEPTH",
    "SCHEMA_FILE",
    "check_line",
    "check_results",
    "parse_json",
    "pointer",
    "results_schema",
]

SCHEMA_FILE = "results.schema.json"
MAX_DEPTH = 64
"""Arrays and objects nested deeper than this are refused (a run's results nest about 8 deep)."""
_HINT = "not a results.json as twofa-sim run writes it: see results.schema.json"
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (``twofa_sim/data/results.schema.json``)."""
    text = files("twofa_sim").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by its definition (the schema has no
    cycles): jsonschema then checks a run's results about twice as fast."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**definitions[name], **rest}, definitions)
        return {k: _inline(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


@cache
def _inlined(definition: str | None) -> Any:
    schema = results_schema()
    top = schema if definition is None else {"$ref": f"#/$defs/{definition}"}
    return _inline(top, schema["$defs"])


@cache
def _validator(definition: str | None) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inlined(definition))


@cache
def _precheck(definition: str | None) -> Check | None:
    return compile_check(_inlined(definition))


def _too_deep(data: Any) -> bool:
    """Whether arrays and objects nest deeper than :data:`MAX_DEPTH`, found iteratively (no
    recursion to exhaust) and visiting containers only."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        items = value.values() if isinstance(value, dict) else value
        if depth > MAX_DEPTH:
            return True
        stack.extend((v, depth + 1) for v in items if isinstance(v, dict | list))
    return False


def _deep_path(data: Any) -> list[str | int]:
    """The path to the first container nested deeper than :data:`MAX_DEPTH` (slower than
    :func:`_too_deep`: only asked once the answer is known to exist)."""
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            return path
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((v, [*path, k]) for k, v in pairs if isinstance(v, dict | list))
    return []


def pointer(path: Any) -> str:
    r"""A JSON pointer (RFC 6901) for a path of keys and indexes, shown on one line (a key from
    the file with a control character shows it escaped; a very long key is cut).

    >>> pointer(["scenarios", 0, "a/b"]), pointer(["evil\nkey"])
    ('/scenarios/0/a~1b', '/evil\\x0akey')
    """
    parts = [_printable(str(p).replace("~", "~0").replace("/", "~1"), 40) for p in path]
    return "/" + "/".join(parts) if parts else "/"


def _printable(text: str, limit: int = 80) -> str:
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def parse_json(text: str, *, where: str) -> Any:
    """``text`` as JSON, refused with a located error when it is not JSON or nests deeper than
    :data:`MAX_DEPTH`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", where=where
        ) from None
    except RecursionError:
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", where=where) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError(f"not JSON: {_printable(str(exc))}", where=where) from None
    if isinstance(data, dict | list) and _too_deep(data):
        path = _deep_path(data)
        raise InputError(f"at {pointer(path)}: nested deeper than {MAX_DEPTH} levels", where=where)
    return data


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _describe(error: Any) -> tuple[list[str | int], str]:
    """(path, what is wrong) for a jsonschema error, in words that fit on one line and never
    repeat a (possibly huge) value."""
    path: list[str | int] = list(error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if name not in value]
        return [*path, missing[0] if missing else "?"], "missing"
    if kind == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return path, f"should be {' or '.join(wanted)}, not {_json_type(value)}"
    if kind == "enum":
        return path, "should be one of " + ", ".join(json.dumps(v) for v in expected)
    if kind == "const":
        return path, f"should be {json.dumps(expected)}"
    if kind == "minimum":
        return path, f"should be at least {expected}"
    if kind == "minLength":
        return path, "should not be empty"
    return path, _printable(str(error.message))


def _first_error(definition: str | None, data: Any) -> Any:
    """jsonschema's most relevant error, or None; a value the fast check accepts is valid
    (see :mod:`twofa_sim.report.precheck`), so jsonschema only walks what is not."""
    check = _precheck(definition)
    if check is not None and check(data):
        return None
    from jsonschema.exceptions import best_match

    return best_match(_validator(definition).iter_errors(data))


def check_results(data: Any, *, where: str) -> dict[str, Any]:
    """``data`` when it is a results.json as a run writes it (see ``results.schema.json``);
    otherwise an :class:`InputError` at the first bad field's JSON pointer."""
    if isinstance(data, Mapping) and data.get("schema_version") not in (None, 1, 2):
        raise InputError(
            f"at /schema_version: version {_printable(json.dumps(data['schema_version']))} "
            "is not one this twofa-sim reads (1)",
            where=where,
            hint="render it with the twofa-sim that wrote it",
        )
    error = _first_error(None, data)
    if error is not None:
        path, what = _describe(error)
        raise InputError(f"at {pointer(path)}: {what}", where=where, hint=_HINT)
    assert isinstance(data, dict)
    return data


def check_line(data: Any, *, where: str) -> dict[str, Any]:
    """One line of results.jsonl: the run header (``"kind": "run"``) or a finished scenario
    (``"kind": "scenario"``), checked like :func:`check_results`."""
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if kind not in ("run", "scenario"):
        shown = "not an object" if not isinstance(data, Mapping) else "kind is not run or scenario"
        raise InputError(
            f"at {pointer(['kind'] if isinstance(data, Mapping) else [])}: {shown}",
            where=where,
            hint="each line of results.jsonl is a run header or a scenario",
        )
    error = _first_error(f"jsonl_{kind}", data)
    if error is not None:
        path, what = _describe(error)
        raise InputError(f"at {pointer(path)}: {what}", where=where, hint=_HINT)
    assert isinstance(data, dict)
    return data

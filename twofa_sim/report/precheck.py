"""A fast yes/no check of data against a JSON Schema, for the few keywords results.schema.json
uses; jsonschema still decides and words every error.

jsonschema spends about 50 µs per value it descends into, so checking a 1,000-scenario
results.json took longer than rendering it. :func:`compile_check` turns a schema (its ``$ref``s
already inlined) into nested closures that answer only "valid or not", in a few µs per value.
When the answer is "not valid", the caller asks jsonschema for the error; when it is "valid",
jsonschema would have said so too: a property test holds the two to the same answers. For a
schema with a keyword or a value this module does not handle, :func:`compile_check` gives
``None`` and the caller uses jsonschema alone.

>>> check = compile_check({"type": "object", "required": ["n"],
...                        "properties": {"n": {"type": "integer", "minimum": 0}}})
>>> check is not None and (check({"n": 3}), check({"n": -1}), check({"n": True}), check({}))
(True, False, False, False)
>>> compile_check({"pattern": "^a"}) is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Check", "compile_check", "supported"]

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples"})
_KEYWORDS = frozenset(
    {"type", "enum", "const", "properties", "required", "additionalProperties"}
    | {"items", "allOf", "minimum", "minLength"}
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
}


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float)


def _equal(a: object, b: object) -> bool:
    """JSON equality for scalars: booleans are not numbers; 1 and 1.0 are equal."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _type(expected: Any) -> Check:
    names = [expected] if isinstance(expected, str) else list(expected)
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _enum(options: Any) -> Check:
    return lambda v: _scalar(v) and any(_equal(v, o) for o in options)


def _const(value: Any) -> Check:
    return lambda v: _scalar(v) and _equal(v, value)


def _properties(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
    required = list(schema.get("required", []))
    extra = schema.get("additionalProperties", True)
    if required:
        checks.append(lambda v: not isinstance(v, dict) or all(name in v for name in required))
    if properties:

        def known(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(check(v[name]) for name, check in properties.items() if name in v)

        checks.append(known)
    if extra is not True:
        if extra is False:
            others: Check = lambda v: False  # noqa: E731
        else:
            others = _compile(extra)
        checks.append(
            lambda v: (
                not isinstance(v, dict)
                or all(others(item) for key, item in v.items() if key not in properties)
            )
        )
    return checks


def supported(schema: Any) -> bool:
    """Whether :func:`compile_check` handles every keyword and value of ``schema``."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, Mapping) or set(schema) - _KEYWORDS - _ANNOTATIONS:
        return False
    types = schema.get("type", "null")
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not all(name in _TYPES for name in names):
        return False
    options = schema.get("enum", [])
    if not isinstance(options, list) or not all(_scalar(o) for o in options):
        return False
    if not _scalar(schema.get("const")):
        return False
    subschemas = [*schema.get("properties", {}).values(), *schema.get("allOf", [])]
    subschemas += [schema.get("additionalProperties", True), schema.get("items", True)]
    return all(supported(sub) for sub in subschemas)


def compile_check(schema: Any) -> Check | None:
    """A function telling whether a value matches ``schema`` (which has no ``$ref``), or
    ``None`` when the schema uses what this module does not handle."""
    return _compile(schema) if supported(schema) else None


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda v: True
    if schema is False:
        return lambda v: False
    checks: list[Check] = []
    if "type" in schema:
        checks.append(_type(schema["type"]))
    if "enum" in schema:
        checks.append(_enum(schema["enum"]))
    if "const" in schema:
        checks.append(_const(schema["const"]))
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: not _is_number(v) or v >= low)
    if "minLength" in schema:
        shortest = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= shortest)
    checks += _properties(schema)
    if "items" in schema:
        item = _compile(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    for sub in schema.get("allOf", []):
        checks.append(_compile(sub))
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)

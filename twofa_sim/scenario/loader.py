"""Scenario files to validated :class:`Scenario` objects, or located errors.

Everything that can be checked without running is checked when a file is loaded (collection time
under pytest): the file's size (:data:`~twofa_sim.files.MAX_SCENARIO_BYTES`), YAML syntax, the
format (JSON Schema, with jsonschema; ids, titles and tags of bounded length), unknown steps
(with a did-you-mean), step fields and the durations, offsets and instants inside them, the
world and every policy problem in ``given``, requirement IDs against the catalog, captures used
before they are defined, users and phones that are not in ``given``, duplicate ids across the
library. All of a file's problems are reported at once, each as ``FILE:LINE:COLUMN: message``
with the line and a hint; a section the schema refuses is not read further, the others are.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jsonschema

from twofa_sim.errors import InputError, ScenarioFileError
from twofa_sim.scenario.context import APP_ALIASES, placeholders
from twofa_sim.scenario.declared import POLICY_FIELDS, PREFIX
from twofa_sim.scenario.overrides import PolicyOverrides
from twofa_sim.scenario.source import Document, Problem, load_file, paused_gc
from twofa_sim.scenario.steps import EXPECT, EXPECT_WORDS, REGISTRY, StepSpec
from twofa_sim.scenario.steps.fields import PHONE, VALUE_FORMATS

if TYPE_CHECKING:
    from twofa_sim.world import WorldSpec

__all__ = [
    "MAX_ID",
    "MAX_TAG",
    "MAX_TITLE",
    "SUFFIX",
    "Scenario",
    "StepDef",
    "UserSpec",
    "document_schema",
    "find_files",
    "load_paths",
    "load_scenarios",
    "read_users",
]

SUFFIX = ".scenario.yaml"
MAX_ID = 80
"""Longest scenario id, in characters (ids name tests, files and report anchors)."""
MAX_TITLE = 200
"""Longest scenario title, in characters (a heading in reports, not a payload)."""
MAX_TAG = 40
"""Longest tag, in characters."""
_ID = "^[a-z0-9][a-z0-9._-]*$"
_TAG = "^[A-Za-z_][A-Za-z0-9_-]*$"

_VALUE_RANGE: dict[str, Any] = {
    "type": "array",
    "items": {"type": ["number", "string"]},
    "minItems": 2,
    "maxItems": 2,
}
_FOR_ALL: dict[str, Any] = {
    "type": "object",
    "description": "values hypothesis draws for each example; use them as {name}",
    "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "between": {
                **_VALUE_RANGE,
                "description": "a number or duration between the two (inclusive): [-29s, 29s]",
            },
            "integers": {**_VALUE_RANGE, "items": {"type": "integer"}},
            "choice": {"type": "array", "minItems": 1},
        },
    },
}
_USER: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "password": {"type": "string"},
                "phone": {"type": "string"},
                "registered": {
                    "type": "boolean",
                    "description": "false: a name that has no account (an attacker's guess)",
                },
            },
        },
    ]
}
_GIVEN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "start": {"type": ["string", "number"], "description": "ISO 8601 instant or Unix seconds"},
        "seed": {"type": ["integer", "string"]},
        "policy": {"type": "object", "description": "reference policy settings to override"},
        "users": {"type": "array", "items": _USER},
        "phones": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["number"],
                "properties": {
                    "number": {"type": "string"},
                    "offset": {"type": ["string", "number"]},
                    "drift_ppm": {"type": ["number", "string"]},
                    "apps": {"type": "array", "items": {"type": "string"}},
                    "authy": {"type": ["boolean", "string"]},
                    "verify_push": {"type": "boolean"},
                },
            },
        },
        "sms": {"type": "object"},
        "faults": {"type": "object"},
        "store": {"enum": ["memory", "sqlite"]},
        "freeze_system_time": {"type": "boolean"},
        "provider": {"enum": ["messages", "verify"], "description": "what the reference uses"},
    },
}


def document_schema(*, for_editors: bool = True) -> dict[str, Any]:
    """The JSON Schema of one scenario document (what ``twofa-sim schema`` prints)."""
    step_names = sorted(REGISTRY)
    if for_editors:
        steps_item: dict[str, Any] = {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "propertyNames": {"enum": step_names},
            "properties": {
                name: spec.schema(for_editors=True) for name, spec in sorted(REGISTRY.items())
            },
        }
    else:
        steps_item = {"type": "object"}
    covers_item: dict[str, Any] = {"type": "string"}
    if for_editors:
        from twofa_sim.core.requirements import load_catalog

        covers_item = {"enum": list(load_catalog().ids)}
    given = _GIVEN
    if for_editors:
        from twofa_sim.reference.policy import policy_schema

        given = {
            **_GIVEN,
            "properties": {
                **_GIVEN["properties"],
                "policy": policy_schema(),
                "sms": sms_schema(),
                "faults": faults_schema(),
            },
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://twofa-sim.invalid/schema/scenario-1.json",
        "title": "twofa-sim scenario",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "steps"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": _ID,
                "maxLength": MAX_ID,
                "description": "unique in the library",
            },
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
            "covers": {
                "type": "array",
                "items": covers_item,
                "description": "requirement IDs (twofa-sim requirements)",
            },
            "tags": {
                "type": "array",
                "items": {"type": "string", "pattern": _TAG, "maxLength": MAX_TAG},
            },
            "given": given,
            "for_all": _FOR_ALL,
            "examples": {"type": "integer", "minimum": 1, "maximum": 10000},
            "steps": {"type": "array", "minItems": 1, "items": steps_item},
        },
        "$defs": {"expect": EXPECT},
    }


_SMS_FIELDS = {
    "delay": "seconds every SMS takes to arrive (5s, 2m)",
    "jitter": "up to this many seconds more, drawn uniformly per message",
    "loss": "probability 0-1 that a message never arrives",
    "duplicate": "probability 0-1 that a message arrives twice",
}
_FAULT_FIELDS = {
    "kind": "what goes wrong",
    "endpoint": "only this endpoint of the provider (every one by default)",
    "start": "from this long after the world's start",
    "until": "until this long after the world's start",
    "probability": "probability 0-1 that a request is hit",
    "times": "hit at most this many requests",
    "seconds": "how long a timeout or slow answer takes",
}


def _field_schema(default: Any, description: str) -> dict[str, Any]:
    """A JSON Schema for a dataclass field from its default (durations for seconds)."""
    if isinstance(default, float) and description.startswith("probability"):
        return {"type": "number", "minimum": 0, "maximum": 1, "description": description}
    if isinstance(default, float) or "seconds" in description or "long" in description:
        return {"type": ["number", "string"], "format": "duration", "description": description}
    if isinstance(default, int) or description.startswith("hit at most"):
        return {"type": "integer", "minimum": 1, "description": description}
    return {"type": "string", "description": description}


def sms_schema() -> dict[str, Any]:
    """The JSON Schema of ``given.sms``, made from the network's
    :class:`~twofa_sim.providers.Delivery` fields."""
    from dataclasses import fields

    from twofa_sim.providers import Delivery

    base = Delivery()
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "how the phone network delivers SMS",
        "properties": {
            item.name: _field_schema(getattr(base, item.name), _SMS_FIELDS.get(item.name, ""))
            for item in fields(Delivery)
        },
    }


def faults_schema() -> dict[str, Any]:
    """The JSON Schema of ``given.faults``, made from :class:`~twofa_sim.world.FaultSpec`."""
    from dataclasses import MISSING, fields

    from twofa_sim.providers import FAULT_KINDS
    from twofa_sim.world import FaultSpec

    properties: dict[str, Any] = {}
    for item in fields(FaultSpec):
        if item.name == "provider":
            continue
        default = None if item.default is MISSING else item.default
        properties[item.name] = _field_schema(default, _FAULT_FIELDS.get(item.name, ""))
    properties["kind"] = {"enum": list(FAULT_KINDS), "description": _FAULT_FIELDS["kind"]}
    fault = {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind"],
        "properties": properties,
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "faults each provider injects: {twilio: [{kind: http_503, start: 10m}]}",
        "properties": {
            name: {"type": "array", "items": fault} for name in ("twilio", "authy", "verify")
        },
    }


_DOCUMENT_SCHEMA = document_schema(for_editors=False)


@dataclass(frozen=True)
class StepDef:
    """One step as written: its name, its fields (shorthand expanded), where it is."""

    name: str
    args: Mapping[str, Any]
    line: int
    path: tuple[str | int, ...]
    substeps: tuple[StepDef, ...] = ()
    proves: tuple[str, ...] | None = None
    """The requirements this step proves, as written (``proves:``); None: its kind decides
    (:func:`~twofa_sim.core.verdicts.proof_sets`)."""

    @property
    def spec(self) -> StepSpec:
        return REGISTRY[self.name]


@dataclass(frozen=True)
class UserSpec:
    """A user of ``given.users``, as read once at load."""

    name: str
    password: str | None = None
    """None: the default password."""
    phone: str | None = None
    """E.164, when ``phone:`` names one."""
    registered: bool = True


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``given`` is kept as written; ``world`` and ``users`` are its parts
    as parsed once at load (None when ``given`` takes for_all values: read per example)."""

    id: str
    title: str
    file: str
    line: int
    covers: tuple[str, ...]
    tags: tuple[str, ...]
    given: Mapping[str, Any]
    steps: tuple[StepDef, ...]
    for_all: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    examples: int = 25
    id_at: Problem | None = field(default=None, repr=False, compare=False)
    """Where the id is written (its line, to show), for a problem found across files; the YAML
    nodes themselves are not kept once the file is loaded."""
    world: WorldSpec | None = field(default=None, repr=False, compare=False)
    """The world ``given`` describes, read at load (seed and provider as written)."""
    users: tuple[UserSpec, ...] | None = field(default=None, repr=False, compare=False)
    policy: PolicyOverrides | None = field(default=None, repr=False, compare=False)
    """``given.policy`` as read at load (durations in seconds), or None when it takes for_all
    values itself (read per example)."""
    store: str = field(default="memory", repr=False, compare=False)
    """``given.store``: ``memory`` or ``sqlite``."""


# --- loading ----------------------------------------------------------------------------------


def find_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Scenario files under ``paths`` (files are taken as given; directories are searched for
    ``*.scenario.yaml``), sorted; a path that does not exist is an error."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{SUFFIX}")))
        elif path.is_file() or path.exists():  # a device or a FIFO: reading says what it is
            found.append(path)
        else:
            raise InputError(f"no such file or directory: {path}", where=str(path))
    return sorted(dict.fromkeys(found))


def load_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Every scenario under ``paths``; all problems of all files in one
    :class:`ScenarioFileError`."""
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    seen: dict[str, Scenario] = {}
    for path in find_files(paths):
        try:
            loaded = load_scenarios(path)
        except ScenarioFileError as exc:
            problems.extend(exc.problems)
            continue
        for scenario in loaded:
            first = seen.get(scenario.id)
            if first is not None and scenario.id_at is not None:
                problems.append(
                    replace(
                        scenario.id_at,
                        message=f"duplicate scenario id {scenario.id!r}",
                        hint=f"first used at {first.file}:{first.line}",
                    )
                )
                continue
            seen[scenario.id] = scenario
            scenarios.append(scenario)
    if problems:
        raise ScenarioFileError(problems)
    return scenarios


def load_scenarios(path: str | os.PathLike[str]) -> list[Scenario]:
    """The scenarios of one file (one or several YAML documents), named as ``path`` is."""
    documents = load_file(path)
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for document in documents:
        checker = _Checker(document)
        with paused_gc():
            scenario = checker.scenario()
        problems.extend(checker.problems)
        if scenario is None:
            continue
        if scenario.id in seen:
            problems.append(
                document.problem(
                    ("id",),
                    f"duplicate scenario id {scenario.id!r}",
                    hint=f"first used at line {seen[scenario.id]} of this file",
                )
            )
            continue
        seen[scenario.id] = scenario.line
        scenarios.append(scenario)
    if not documents:
        raise ScenarioFileError(
            [Problem(str(path), 1, 1, "the file holds no scenario", hint="see twofa-sim schema")]
        )
    if problems:
        raise ScenarioFileError(problems)
    return scenarios


# --- checking one document --------------------------------------------------------------------


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


_NUMERAL = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_WHERE = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _path_of(where: str) -> tuple[str | int, ...]:
    """``given.phones[1].offset`` -> ("given", "phones", 1, "offset")."""
    return tuple(
        int(index) if index else name for name, index in _WHERE.findall(where) if name or index
    )


class _Checker:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.covered: set[str] | None = None
        """The scenario's covers (None when they could not be read)."""

    def problem(
        self, path: Sequence[str | int], message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self.problems.append(self.document.problem(path, message, hint, key=key))

    def schema_errors(
        self,
        value: Any,
        schema: Mapping[str, Any],
        base: tuple[str | int, ...],
        *,
        unwrap: str | None = None,
    ) -> set[str | int]:
        """Report every way ``value`` breaks ``schema``; the first path parts that did (``""``
        for the value itself). ``unwrap``: a field written as ``base`` itself (a shorthand)."""
        broken: set[str | int] = set()
        errors = _validator(schema).iter_errors(value)
        for error in sorted(errors, key=lambda e: list(map(str, e.path))):
            error = _specific(error)
            relative = tuple(error.absolute_path)
            broken.add(relative[0] if relative else "")
            if unwrap is not None and relative[:1] == (unwrap,):
                relative = relative[1:]
            path = base + relative
            message, hint, key = _explain(error)
            if key:
                path = (*path, key)
            self.problem(path, message, hint, key=bool(key))
        return broken

    def scenario(self) -> Scenario | None:
        data = self.document.data
        if not isinstance(data, Mapping):
            self.problem((), "a scenario must be a mapping (id:, title:, steps:)")
            return None
        # A section the schema refuses is not read further; the others still are, so a file's
        # problems are all reported at once.
        broken = self.schema_errors(data, _DOCUMENT_SCHEMA, ())
        if "covers" not in broken:
            self.covers(data.get("covers", []))
        for_all = data.get("for_all", {}) if "for_all" not in broken else {}
        if "for_all" not in broken:
            self.for_all(for_all)
        variables = (
            set(data.get("for_all", {})) if isinstance(data.get("for_all"), Mapping) else set()
        )
        given_ok = "given" not in broken
        given = data.get("given", {}) if given_ok else {}
        world: WorldSpec | None = None
        policy: PolicyOverrides | None = None
        if given_ok:
            world, policy = self.given(given, variables)
        steps: list[StepDef] = []
        self.covered = (
            set(data.get("covers", []))
            if "covers" not in broken and isinstance(data.get("covers", []), list)
            else None
        )
        if "steps" not in broken:
            users = self.user_names(given) if given_ok else None
            phones = self.phone_numbers(given) if given_ok else None
            steps = self.steps(data["steps"], ("steps",), set(variables), users, phones)
        if self.problems:
            return None
        return Scenario(
            id=data["id"],
            title=data["title"],
            file=self.document.file,
            line=self.document.mark(()).line,
            covers=tuple(data.get("covers", [])),
            tags=tuple(data.get("tags", [])),
            given=data.get("given", {}),
            steps=tuple(steps),
            for_all=for_all,
            examples=int(data.get("examples", 25)),
            id_at=self.document.problem(("id",), ""),
            world=world,
            users=None if world is None else read_users(given),
            policy=policy,
            store=str(given.get("store", "memory")),
        )

    def covers(self, covers: list[str]) -> None:
        from twofa_sim.core.requirements import load_catalog

        catalog = load_catalog()
        for index, requirement in enumerate(covers):
            if requirement not in catalog:
                close = catalog.suggest(requirement, max_results=1)
                hint = f"did you mean {close[0]!r}?" if close else ""
                self.problem(
                    ("covers", index),
                    f"unknown requirement {requirement!r}",
                    hint or "twofa-sim requirements lists them",
                )

    def given(
        self, given: Mapping[str, Any], variables: set[str]
    ) -> tuple[WorldSpec | None, PolicyOverrides | None]:
        """Check ``given``; the world it describes and its policy overrides (None: it takes
        for_all values, or is wrong)."""
        from twofa_sim.world import WorldSpec

        for name, _index in placeholders(given):
            if name not in variables:
                self.problem(("given",), f"{{{name}}} is not a for_all value", hint="")
        policy: PolicyOverrides | None = None
        raw_policy = given.get("policy", {})
        if not variables & {n for n, _ in placeholders({"policy": raw_policy})}:
            policy, problems = PolicyOverrides.read(raw_policy)
            for found in problems:
                unknown = found.what.startswith("no ") and " setting " in found.what
                where = _path_of(found.where or "given.policy")
                self.problem(where, found.what, found.hint or "", key=unknown)
        if variables & {n for n, _ in placeholders(given)}:
            return None, policy  # the world is read per example, once the values are drawn
        world = None
        try:
            world = WorldSpec.read(world_description(given), where="given")
        except InputError as exc:
            self.problem(_path_of(exc.where or "given"), exc.what, exc.hint or "")
        return world, policy

    def policy_name(self, name: str, path: tuple[str | int, ...]) -> None:
        """``{policy.NAME}``: NAME must be a reference policy field."""
        setting = name[len(PREFIX) :]
        if setting not in POLICY_FIELDS:
            self.problem(
                path,
                f"{{{name}}}: no policy setting {setting!r}",
                _did_you_mean(setting, POLICY_FIELDS) or f"settings: {', '.join(POLICY_FIELDS)}",
            )

    def for_all(self, for_all: Mapping[str, Mapping[str, Any]]) -> None:
        from twofa_sim.core.clock import parse_duration

        for name, spec in for_all.items():
            for kind in ("between", "integers"):
                if kind in spec and any(placeholders(spec[kind])):
                    # a bound from the target's policy: read once the target is known
                    for used, _ in placeholders(spec[kind]):
                        if used.startswith(PREFIX):
                            self.policy_name(used, ("for_all", name, kind))
                        else:
                            self.problem(
                                ("for_all", name, kind),
                                f"{{{used}}}: a range may use only {{policy.NAME}}",
                            )
                elif kind in spec:
                    try:
                        low, high = (parse_duration(v) for v in spec[kind])
                    except InputError as exc:
                        self.problem(("for_all", name, kind), exc.what, exc.hint or "")
                        continue
                    if low > high:
                        self.problem(("for_all", name, kind), f"{low:g} is above {high:g}")

    def user_names(self, given: Mapping[str, Any]) -> set[str]:
        names: set[str] = set()
        for item in given.get("users", []):
            names.add(item if isinstance(item, str) else item["name"])
        return names

    def phone_numbers(self, given: Mapping[str, Any]) -> set[str]:
        from twofa_sim.core.phone import parse_e164

        numbers: set[str] = set()
        for phone in given.get("phones", []):
            with contextlib.suppress(InputError):  # reported by the given check
                numbers.add(parse_e164(str(phone["number"])).e164)
        return numbers

    def steps(
        self,
        items: list[Any],
        base: tuple[str | int, ...],
        defined: set[str],
        users: set[str] | None,
        phones: set[str] | None,
    ) -> list[StepDef]:
        """The steps of a list, checked; ``users`` and ``phones`` are None when ``given`` could
        not be read (then names are not checked against it)."""
        steps: list[StepDef] = []
        for index, item in enumerate(items):
            path = (*base, index)
            if not isinstance(item, Mapping) or len(item) != 1:
                names = ", ".join(map(repr, item)) if isinstance(item, Mapping) else ""
                self.problem(
                    path,
                    "a step is one action: '- name: fields'"
                    + (f" (found {len(item)}: {names})" if isinstance(item, Mapping) else ""),
                    hint="put expectations in their own step, or in the action's expect:",
                )
                continue
            ((name, value),) = item.items()
            spec = REGISTRY.get(name)
            if spec is None:
                hint = _did_you_mean(str(name), REGISTRY) or "twofa-sim steps lists them"
                self.problem((*path, name), f"unknown step {name!r}", hint, key=True)
                continue
            args = spec.normalise(value)
            before = len(self.problems)
            if not isinstance(args, Mapping):
                self.problem(
                    (*path, name),
                    f"{name} takes a mapping of fields",
                    hint=f"for example: {spec.example.strip().lstrip('- ')}",
                )
                continue
            # Written as the step's value (``- advance: 5s``), the shorthand field is located
            # at that value.
            wrapped = spec.shorthand is not None and args is not value and value is not None
            unwrap = spec.shorthand if wrapped else None
            self.schema_errors(args, _step_schema(name), (*path, name), unwrap=unwrap)
            if len(self.problems) > before:
                continue
            properties = _step_schema(name)["properties"]
            for key, item in args.items():
                if key in properties and key != "steps":
                    here = (*path, name) if key == unwrap else (*path, name, key)
                    self.values(item, properties[key], here, name)
            if len(self.problems) > before:
                continue
            self.references(args, (*path, name), defined, users, phones)
            substeps: tuple[StepDef, ...] = ()
            if name == "repeat":
                inner = self.steps(
                    list(args["steps"]), (*path, name, "steps"), defined | {"i"}, users, phones
                )
                substeps = tuple(inner)
            capture = args.get("capture")
            if isinstance(capture, str):
                defined.add(capture)
            proves = None
            if "proves" in args:
                where = (*path, name, "proves")
                proves = self.proves(args["proves"], where, nested=len(base) > 1)
                args = {k: v for k, v in args.items() if k != "proves"}
            line = self.document.mark(path).line
            steps.append(StepDef(name, args, line, path, substeps, proves))
        return steps

    def proves(
        self, ids: list[str], path: tuple[str | int, ...], *, nested: bool
    ) -> tuple[str, ...]:
        """A step's ``proves:``: requirement IDs of the catalog, among the scenario's covers."""
        from twofa_sim.core.requirements import load_catalog

        if nested:
            self.problem(path, "proves: on a step inside repeat", "write it on the repeat step")
            return ()
        catalog = load_catalog()
        for index, requirement in enumerate(ids):
            if requirement not in catalog:
                close = catalog.suggest(requirement, max_results=1)
                self.problem(
                    (*path, index),
                    f"unknown requirement {requirement!r}",
                    f"did you mean {close[0]!r}?" if close else "twofa-sim requirements lists them",
                )
            elif self.covered is not None and requirement not in self.covered:
                self.problem(
                    (*path, index),
                    f"{requirement} is not in the scenario's covers",
                    "add it to covers, or prove one of: "
                    + (", ".join(sorted(self.covered)) or "none"),
                )
        return tuple(ids)

    def values(
        self, value: Any, schema: Mapping[str, Any], path: tuple[str | int, ...], step: str
    ) -> None:
        """Read every duration, offset and instant in a step's field (a value that is a
        placeholder is read when it is drawn)."""
        check = VALUE_FORMATS.get(str(schema.get("format")))
        if check is not None and not (isinstance(value, str) and "{" in value):
            try:
                check(value, step)
            except InputError as exc:
                self.problem(path, exc.what, exc.hint or "")
            return
        if isinstance(value, Mapping):
            properties: dict[str, Any] = dict(schema.get("properties", {}))
            for alternative in schema.get("anyOf", ()):
                properties.update(alternative.get("properties", {}))
            for key, item in value.items():
                if key in properties:
                    self.values(item, properties[key], (*path, key), step)

    def references(
        self,
        args: Mapping[str, Any],
        path: tuple[str | int, ...],
        defined: set[str],
        users: set[str] | None,
        phones: set[str] | None,
    ) -> None:
        from twofa_sim.core.phone import parse_e164

        for key, value in args.items():
            if key == "steps":
                continue
            for name, _ in placeholders(value):
                if name.startswith(PREFIX):
                    self.policy_name(name, (*path, key))
                elif name not in defined:
                    hint = _did_you_mean(name, defined) or (
                        "defined so far: " + ", ".join(sorted(defined))
                        if defined
                        else "capture it first (read_code: {from: sms, capture: NAME})"
                    )
                    self.problem((*path, key), f"{{{name}}} is used before it is defined", hint)
            if not isinstance(value, str) or "{" in value:
                continue
            if key == "user" and users is not None and value not in users:
                self.problem(
                    (*path, key),
                    f"no user {value!r} in given.users",
                    _did_you_mean(value, users) or f"users: {', '.join(sorted(users)) or 'none'}",
                )
            elif (
                key == "phone"
                and phones is not None
                and REGISTRY[str(path[-1])].fields.get("phone") is PHONE
            ):
                try:
                    number = parse_e164(value).e164
                except InputError as exc:
                    self.problem((*path, key), exc.what, exc.hint or "")
                    continue
                if number not in phones:
                    self.problem(
                        (*path, key),
                        f"no phone {value} in given.phones",
                        f"phones: {', '.join(sorted(phones)) or 'none'}",
                    )
            elif key == "app" and value not in APP_ALIASES and "-" not in value:
                self.problem(
                    (*path, key),
                    f"unknown app {value!r}",
                    _did_you_mean(value, APP_ALIASES) or ", ".join(APP_ALIASES),
                )


_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    """One validator per schema object (building one costs more than validating a step)."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        found = (schema, jsonschema.Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = found
    return found[1]


@functools.cache
def _step_schema(name: str) -> dict[str, Any]:
    """A step's schema as the loader checks it (``repeat``'s nested steps are checked one by
    one, as steps)."""
    schema = REGISTRY[name].schema()
    if name == "repeat":
        schema["properties"]["steps"] = {"type": "array", "minItems": 1}
    return schema


def _specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a mapping that matches none of ``anyOf``'s choices, the error of the choice that
    takes mappings (``expect: {stats: x}``: an unknown field, not "not an expectation")."""
    if (
        error.validator == "anyOf"
        and not isinstance(error.instance, Mapping)
        and "enum" not in str(error.schema)
    ):
        # A number or {policy.NAME} (repeat's times): the number's error says what is wrong.
        first = [e for e in error.context or () if e.relative_schema_path[0] == 0]
        if first:
            return first[0]
    while error.validator == "anyOf" and isinstance(error.instance, Mapping):
        choices = cast(list[Any], error.validator_value)
        inside = [
            e
            for e in error.context or ()
            if isinstance(choices[int(e.relative_schema_path[0])], Mapping)
            and choices[int(e.relative_schema_path[0])].get("type") == "object"
        ]
        if not inside:
            break
        error = inside[0]
    return error


def _explain(error: jsonschema.ValidationError) -> tuple[str, str, str]:
    """A jsonschema error as (message, hint, offending key or '')."""
    validator = error.validator
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties" and isinstance(instance, Mapping):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in instance if k not in allowed]
        key = str(extra[0]) if extra else ""
        return (
            f"unknown field {key!r}",
            _did_you_mean(key, allowed) or f"fields: {', '.join(allowed)}",
            key,
        )
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return f"missing field {missing!r}", "", ""
    if validator == "enum":
        choices = [str(c) for c in cast(list[Any], error.validator_value)]
        return (
            f"{_shown(instance)} is not one of the allowed values",
            _did_you_mean(str(instance), choices) or f"one of: {', '.join(choices[:12])}",
            "",
        )
    if validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        hint = ""
        if wanted == "boolean" and isinstance(instance, str):
            hint = "write true or false (yes, no, on and off are text in scenario files)"
        elif isinstance(instance, str) and wanted in ("integer", "number"):
            hint = (
                "write the number without quotes"
                if _NUMERAL.fullmatch(instance.strip())
                else f"a {'whole ' if wanted == 'integer' else ''}number in digits, like 3"
            )
        return f"expected {wanted}, found {_kind(instance)} {_shown(instance)}", hint, ""
    if validator == "anyOf" and error.schema is not None and "enum" in str(error.schema):
        words = list(EXPECT_WORDS)
        return (
            f"{_shown(instance)} is not an expectation",
            _did_you_mean(str(instance), words) or "accepted, rejected, or a reason",
            "",
        )
    if validator == "maxLength" and isinstance(instance, str):
        limit = error.validator_value
        return f"too long: {len(instance):,} characters (at most {limit})", "", ""
    if validator == "pattern":
        return (
            f"{_shown(instance)} is not allowed here",
            f"it must match {error.validator_value}",
            "",
        )
    return _cut(str(error.message), 200), "", ""


def _shown(value: Any) -> str:
    """``repr(value)``, cut short: a problem never echoes a long value back."""
    return _cut(repr(value), 60)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def world_description(given: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``given`` a :class:`~twofa_sim.world.World` is built from, app names
    resolved to profiles."""
    from twofa_sim.world import WORLD_KEYS

    description = {k: v for k, v in given.items() if k in WORLD_KEYS}
    phones = []
    for phone in description.get("phones", []):
        if isinstance(phone, Mapping):
            phone = dict(phone)
            if isinstance(phone.get("apps"), list):
                phone["apps"] = [APP_ALIASES.get(a, a) for a in phone["apps"]]
        phones.append(phone)
    if phones:
        description["phones"] = phones
    return description


def read_users(given: Mapping[str, Any]) -> tuple[UserSpec, ...]:
    """``given.users`` as :class:`UserSpec` (a name alone is a user with the defaults)."""
    from twofa_sim.core.phone import parse_e164

    users = []
    for item in given.get("users", []):
        if isinstance(item, str):
            users.append(UserSpec(item))
            continue
        phone = item.get("phone")
        users.append(
            UserSpec(
                str(item["name"]),
                None if item.get("password") is None else str(item["password"]),
                parse_e164(str(phone)).e164 if phone else None,
                bool(item.get("registered", True)),
            )
        )
    return tuple(users)


def iter_steps(steps: Sequence[StepDef]) -> Iterator[StepDef]:
    """Every step, nested ones included."""
    for one in steps:
        yield one
        yield from iter_steps(one.substeps)

"""Scenario files as YAML: plain data plus the line and column of every value.

:func:`load_file` and :func:`load_documents` return one :class:`Document` per YAML document (``---``
separates them). ``Document.data`` is plain Python (dict, list, str, int, float, bool, None) and
``Document.mark(path)`` says where a value sits, so a validator can point at it::

    >>> text = "name: login\\nsteps:\\n  - enter_code: {user: alice, code: '123456'}\\n"
    >>> [doc] = load_documents(text, "login.yaml")
    >>> doc.data["steps"][0]["enter_code"]["code"]
    '123456'
    >>> doc.mark(("steps", 0, "enter_code", "code"))
    Mark(line=3, column=37)
    >>> print(doc.problem(("steps", 0, "enter_code", "code"), "code is wrong").format())
    login.yaml:3:37: code is wrong
          - enter_code: {user: alice, code: '123456'}
                                            ^

Everything wrong with the file itself is one :class:`ScenarioFileError` listing every problem:
YAML syntax errors (with a hint when the mistake is a common one), duplicate keys (YAML keeps the
last one silently; we refuse), keys that are not strings, tags (``!!python/object`` and friends are
refused: scenario files hold data, never objects), alias bombs and nesting deeper than
:data:`MAX_DEPTH`. Anchors, aliases and ``<<`` merge keys work; the marks of an aliased value point
at the text where its anchor was defined, since that is where the value is written.

The YAML 1.1 schema of ``yaml.safe_load``, with four readings removed, because each one turns an
ordinary scenario value into something else without a word:

* timestamps: ``at: 2026-03-01T09:00:00Z`` stays the string ``"2026-03-01T09:00:00Z"`` (our
  instant parsers take ISO text; a ``datetime`` here would bypass them and their messages);
* ``yes``/``no``/``on``/``off`` stay strings (``tracking: off``); only ``true``/``false`` are
  booleans;
* sexagesimal numbers: ``at: 9:30`` stays ``"9:30"`` (YAML 1.1 reads it as the integer 570);
* leading-zero octal: ``code: 012345`` stays ``"012345"`` (YAML 1.1 reads it as 5349; it is a
  one-time code). Other numbers stay numbers: ``30`` is an int, ``0.5`` a float, ``0x1F`` 31.

Composing runs in libyaml when PyYAML was built with it (then a file loads about as fast as
``yaml.load(text, yaml.CSafeLoader)``), in pure Python otherwise (about five times slower, and
syntax errors are worded by PyYAML instead of libyaml).
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from twofa_sim.errors import ScenarioFileError
from twofa_sim.files import MAX_SCENARIO_BYTES, read_bytes

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Document",
    "Mark",
    "Problem",
    "ScenarioFileError",
    "load_documents",
    "load_file",
    "paused_gc",
]

MAX_NODES = 100_000
"""Most values one document may expand to once aliases are followed (refuses "billion laughs")."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists a document may have."""

_TAB_SIZE = 4
_MAX_SHOWN = 160
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break
_Y = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _STR = (_Y + t for t in ("null", "bool", "int", "float", "str"))
_SEQ, _MAP, _MERGE, _TIMESTAMP = (_Y + t for t in ("seq", "map", "merge", "timestamp"))

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    """A position in a file: ``line`` and ``column`` both count from 1."""

    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario file, located, with the text of its line to show."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    source_line: str = ""

    def format(self) -> str:
        """``FILE:LINE:COLUMN: message``, the line with a caret under the column, then the hint."""
        where = self.file
        if self.line > 0:
            where += f":{self.line}" + (f":{self.column}" if self.column > 0 else "")
        out = [f"{where}: {self.message}"]
        if self.source_line:
            shown, caret = _excerpt(self.source_line, max(self.column, 1))
            out += [f"    {shown}".rstrip(), "    " + " " * caret + "^"]
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


def _excerpt(line: str, column: int) -> tuple[str, int]:
    """The line as shown (tabs expanded, long lines trimmed with "…") and the caret's offset."""
    caret = len(line[: column - 1].expandtabs(_TAB_SIZE))
    shown = "".join(c if c.isprintable() else "\ufffd" for c in line.expandtabs(_TAB_SIZE))
    if len(shown) <= _MAX_SHOWN:
        return shown, caret
    start = max(0, min(caret - _MAX_SHOWN // 2, len(shown) - _MAX_SHOWN))
    end = start + _MAX_SHOWN
    head = "…" if start > 0 else ""
    tail = "…" if end < len(shown) else ""
    return head + shown[start:end] + tail, caret - start + len(head)


def _source_line(lines: Sequence[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass
class Document:
    """One YAML document of a scenario file: its data and where each value was written."""

    file: str
    index: int
    data: Any
    text: str = field(repr=False)
    # The composed nodes by path; a Mark is made only for the few positions asked for.
    _values: dict[Path, Node] = field(default_factory=dict, init=False, repr=False, compare=False)
    _keys: dict[Path, Node] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def _lines(self) -> list[str]:
        return _LINE_BREAK.split(self.text)

    def mark(self, path: Sequence[str | int], *, key: bool = False) -> Mark:
        """Where the value at ``path`` starts; with ``key=True`` where its mapping key starts.

        A path that does not exist (a missing field, an index past the end) gives the position of
        its nearest existing ancestor: that ancestor's key when it has one (the ``enter_code:``
        line for a missing ``code``), else its value.
        """
        here = tuple(path)
        if here in self._values:
            return _mark(self._keys.get(here, self._values[here]) if key else self._values[here])
        while here:
            here = here[:-1]
            if here in self._values:
                return _mark(self._keys.get(here, self._values[here]))
        return Mark(1, 1)

    def problem(
        self, path: Sequence[str | int], message: str, hint: str = "", *, key: bool = False
    ) -> Problem:
        """A :class:`Problem` located at ``mark(path, key=key)``, with its line's text."""
        at = self.mark(path, key=key)
        return Problem(
            self.file, at.line, at.column, message, hint, _source_line(self._lines, at.line)
        )


# --- Loading -----------------------------------------------------------------------------------

try:
    _BaseLoader: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Composes nodes only; tags resolved with the schema described in the module docstring."""

    # PyYAML's resolve() also serves path resolvers, which we do not use; composing calls it for
    # every node, and this leaner one takes a quarter off the time to compose.
    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool] | None) -> str:
        if kind is ScalarNode:
            if implicit and implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    keep = (_NULL, _MERGE)
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {
        first: [(tag, rx) for tag, rx in pairs if tag in keep]
        for first, pairs in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    ours = [
        (_BOOL, r"true|True|TRUE|false|False|FALSE", "tTfF"),
        (_INT, r"[-+]?0b[0-1_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+", "-+0123456789"),
        (
            _FLOAT,
            r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            "-+0123456789.",
        ),
    ]
    for tag, pattern, firsts in ours:
        for first in firsts:
            table.setdefault(first, []).append((tag, re.compile(f"^(?:{pattern})$")))
    return {first: pairs for first, pairs in table.items() if pairs}


_IMPLICIT = _resolvers()


def load_file(path: str | os.PathLike[str]) -> list[Document]:
    """Read a UTF-8 scenario file (a BOM is fine) and load its documents.

    Raises :class:`~twofa_sim.errors.InputError` when the file cannot be read, is not a regular
    file or is larger than :data:`~twofa_sim.files.MAX_SCENARIO_BYTES` (1 MiB), and
    :class:`ScenarioFileError` when it is not UTF-8 or not valid scenario YAML.
    """
    name = os.fspath(path)
    raw = read_bytes(path, limit=MAX_SCENARIO_BYTES, where=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError([_decode_problem(raw, exc, name)]) from None
    return load_documents(text, name)


def _decode_problem(raw: bytes, exc: UnicodeDecodeError, file: str) -> Problem:
    before = _LINE_BREAK.split(raw[: exc.start].decode("utf-8-sig"))
    line, column = len(before), len(before[-1]) + 1
    shown = _source_line(_LINE_BREAK.split(raw.decode("utf-8-sig", errors="replace")), line)
    hint = "save the file as UTF-8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        hint = "this file looks like UTF-16; save it as UTF-8"
    message = f"not valid UTF-8: byte 0x{raw[exc.start]:02x}"
    return Problem(file, line, column, message, hint, shown)


def load_documents(text: str, file: str) -> list[Document]:
    """Load every non-empty YAML document in ``text``; ``file`` names it in marks and problems.

    A document that is not a mapping is returned as it is: the caller decides what it accepts.
    ``Document.index`` counts every document in the file, empty ones included, so it matches what
    a reader counts between ``---`` lines.
    """
    with paused_gc():
        return _load_documents(text, file)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is read into many small objects.

    Loading allocates a tree of nodes and values and frees none of it; each collection the
    allocations trigger walks everything allocated so far, which made loading a 1 MB file
    six times slower than the same work without (and the time grow faster than the size).
    The loaded data holds no reference cycles, so nothing is kept that a collection would free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_documents(text: str, file: str) -> list[Document]:
    text = text.removeprefix("\ufeff")
    lines = _LINE_BREAK.split(text)
    problems: list[Problem] = []
    documents: list[Document] = []
    loader = None
    index = 0
    try:
        loader = _Loader(text)  # the pure-Python reader checks characters here already
        while loader.check_node():
            root = loader.get_node()
            if not (isinstance(root, ScalarNode) and root.tag == _NULL and root.value == ""):
                builder = _Builder(loader, file, lines, problems)
                data = builder.build(root, text)
                document = Document(file, index, data, text)
                document._values, document._keys = builder.values, builder.keys
                documents.append(document)
            index += 1
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, file, lines))
    except yaml.reader.ReaderError as exc:
        problems.append(_reader_problem(exc, text, file, lines))
    except RecursionError:  # only the pure-Python composer recurses; libyaml stops at depth 1000
        problems.append(Problem(file, 1, 1, f"nested more than {MAX_DEPTH} levels deep"))
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise ScenarioFileError(problems)
    return documents


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_Y) if tag.startswith(_Y) else tag


class _Builder:
    """Turns one composed node tree into plain data, recording the marks of every value and key."""

    def __init__(self, loader: Any, file: str, lines: Sequence[str], out: list[Problem]) -> None:
        self.scalars: dict[str, Callable[[ScalarNode], Any]] = {
            _TIMESTAMP: lambda node: node.value,
            _NULL: loader.construct_yaml_null,
            _BOOL: loader.construct_yaml_bool,
            _INT: loader.construct_yaml_int,
            _FLOAT: loader.construct_yaml_float,
        }
        self.file, self.lines, self.out = file, lines, out
        self.values: dict[Path, Node] = {}
        self.keys: dict[Path, Node] = {}

    def problem(self, node: Node, message: str, hint: str = "") -> None:
        at = _mark(node)
        line = _source_line(self.lines, at.line)
        self.out.append(Problem(self.file, at.line, at.column, message, hint, line))

    def build(self, root: Node, text: str) -> Any:
        # Without an anchor there is no alias, so the tree is no bigger than the text.
        if "&" in text and self._size(root, {}, set(), 0) is None:
            return None
        return self._build(root, (), 0)

    def _size(self, node: Node, sizes: dict[int, int], open_: set[int], depth: int) -> int | None:
        """How many values ``node`` expands to; None (and a problem) when too many or cyclic."""
        if id(node) in sizes:
            return sizes[id(node)]
        if depth >= MAX_DEPTH and not isinstance(node, ScalarNode):
            self.problem(node, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if id(node) in open_:
            self.problem(node, "an alias refers to the anchor that contains it (a cycle)")
            return None
        total = 1
        if not isinstance(node, ScalarNode):
            open_.add(id(node))
            children = node.value if isinstance(node, SequenceNode) else _flat(node.value)
            for child in children:
                size = self._size(child, sizes, open_, depth + 1)
                if size is None:
                    return None
                total += size
            open_.discard(id(node))
            if total > MAX_NODES:
                self.problem(
                    node,
                    f"this value holds {total:,} values once aliases are expanded "
                    f"(at most {MAX_NODES:,})",
                    "aliases (*name) may repeat an anchor's content, but not this much",
                )
                return None
        sizes[id(node)] = total
        return total

    def _build(self, node: Node, path: Path, depth: int) -> Any:
        self.values[path] = node
        tag = node.tag
        if isinstance(node, ScalarNode):
            if tag == _STR:  # most values: no constructor to look up
                return node.value
            if tag in self.scalars:
                try:
                    return self.scalars[tag](node)
                except (KeyError, ValueError):
                    self.problem(node, f"cannot read {node.value!r} as {_show_tag(tag)}")
                    return None
        elif depth == MAX_DEPTH:
            self.problem(node, f"nested more than {MAX_DEPTH} levels deep")
            return None
        elif tag == _SEQ and isinstance(node, SequenceNode):
            return [self._build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        elif tag == _MAP and isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            for name, (key_node, value_node) in self._entries(node).items():
                self.keys[(*path, name)] = key_node
                result[name] = self._build(value_node, (*path, name), depth + 1)
            return result
        if tag.startswith(_Y + "python/"):
            self.problem(
                node,
                f"tag {_show_tag(tag)} refused: scenario files hold plain data, never objects",
                "remove the tag",
            )
        elif tag.startswith(_Y):
            self.problem(node, f"tag {_show_tag(tag)} is not supported here", "remove the tag")
        else:
            self.problem(node, f"unknown tag {tag}", "scenario files use no tags; remove it")
        return None

    def _entries(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        """The mapping's keys with their nodes; explicit keys first, then those merged by ``<<``."""
        explicit: dict[str, tuple[Node, Node]] = {}
        merged: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in self._merge_sources(value_node):
                    for merged_name, pair in self._entries(source).items():
                        merged.setdefault(merged_name, pair)
                continue
            name = self._key(key_node)
            if name is None:
                continue
            if name in explicit:
                first = _mark(explicit[name][0]).line
                self.problem(
                    key_node,
                    f"duplicate key {name!r} (first on line {first})",
                    "YAML would keep only the last one; remove or rename one of them",
                )
                continue
            explicit[name] = (key_node, value_node)
        if not merged:
            return explicit
        return explicit | {k: v for k, v in merged.items() if k not in explicit}

    def _merge_sources(self, node: Node) -> Iterator[MappingNode]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        for item in items:
            if isinstance(item, MappingNode):
                yield item
            else:
                self.problem(item, "<< (merge) takes a mapping or a list of mappings")

    def _key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == _STR:
            return str(node.value)
        if isinstance(node, ScalarNode):
            shown = node.value or "(empty)"
            self.problem(node, f"mapping key {shown} is not a string", f'quote it: "{node.value}":')
        else:
            self.problem(node, "mapping key is a list or mapping; keys must be strings")
        return None


def _flat(pairs: list[tuple[Node, Node]]) -> Iterator[Node]:
    for key, value in pairs:
        yield key
        yield value


# --- Syntax errors -----------------------------------------------------------------------------

_TAB_HINT = "indent with spaces only; YAML does not accept tabs for indentation"
_DASH = re.compile(r"\s*-[^\s-]")


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str, lines: Sequence[str]) -> Problem:
    """The YAML error in words a scenario author can act on, at the most useful position."""
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    at = exc.problem_mark or exc.context_mark
    line, column = (at.line + 1, at.column + 1) if at else (1, 1)
    started = exc.context_mark
    source = _source_line(lines, line)
    hint = ""
    if started and ("quoted scalar" in context or "simple key" in context):
        # The scanner only notices at a later line; the mistake is where the text started.
        line, column = started.line + 1, started.column + 1
        source = _source_line(lines, line)
    message = "YAML syntax: " + problem.replace("in this context", "here")
    if "quoted scalar" in context and "end of stream" in problem:
        message = "YAML syntax: this quote is never closed"
        hint = "close the quote; inside '...' write '' for a single quote"
    elif "tab" in problem or source[column - 1 : column] == "\t":
        message, hint = "YAML syntax: a tab character here", _TAB_HINT
    elif "cannot start any token" in problem:
        char = source[column - 1 : column]
        message = f"YAML syntax: a plain value cannot start with {char!r}"
        hint = "quote the value"
    elif "duplicate anchor" in context and started:
        message = f"YAML syntax: this anchor is defined twice (first on line {started.line + 1})"
        hint = "rename one of the anchors"
    elif "undefined alias" in problem:
        message = "YAML syntax: this alias refers to no anchor defined above it"
        hint = "define the anchor (&name) before the alias (*name) that uses it"
    elif _DASH.match(source) or _DASH.match(_line_above(lines, line)):
        hint = 'put a space after "-" to start a list item'
    elif "mapping values" in problem:
        hint = "check the indentation of this line against the lines above"
        if ": " in source[: column - 1]:
            hint = 'a value that contains ": " must be quoted, e.g. message: "Error: bad"'
    elif "simple key" in context:
        hint = 'each line in a mapping needs "key: value"'
    elif "expected key" in problem or "indicator" in problem or "block end" in problem:
        hint = "check the indentation of this line against the lines above"
        quoted = [n for n in range(1, line) if _source_line(lines, n).count('"') % 2]
        if quoted:
            hint = f"line {quoted[-1]} has an unclosed quote"
    elif started and started.line + 1 != line and context.startswith("while "):
        what = context.removeprefix("while parsing ").removeprefix("while scanning ")
        message += f" (in {what} that starts on line {started.line + 1})"
    return Problem(file, line, column, message, hint, source)


def _line_above(lines: Sequence[str], line: int) -> str:
    """The nearest line above ``line`` that holds more than a comment."""
    for text in reversed(lines[: max(line - 1, 0)]):
        if text.strip() and not text.lstrip().startswith("#"):
            return text
    return ""


def _reader_problem(
    exc: yaml.reader.ReaderError, text: str, file: str, lines: Sequence[str]
) -> Problem:
    char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
    found = text.find(char)
    before = _LINE_BREAK.split(text[: max(found, 0)])
    line, column = len(before), len(before[-1]) + 1
    return Problem(
        file,
        line,
        column,
        f"YAML syntax: control character U+{ord(char):04X} is not allowed",
        "remove it; inside a double-quoted string it can be written as an escape",
        _source_line(lines, line),
    )

"""The package's shape, checked: layer contracts, no import cycles, no reach into private names.

ARCHITECTURE.md draws the layers (entry points > report > scenario > labs > world > reference >
providers > core > files > errors); pyproject.toml writes them as import-linter contracts, and
these tests keep them, so CI (which runs only ``make test``) enforces them too.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "twofa_sim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private_module_owner(module: str) -> str | None:
    """The package allowed to import ``module`` if some part of its dotted name is private."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[:i])
    return None


def _may_import(importer_package: str, module: str) -> bool:
    owner = _private_module_owner(module)
    return owner is None or importer_package == owner or importer_package.startswith(owner + ".")


def _reaches(module: str, path: Path, modules: set[str]) -> Iterator[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = _package_of(module, path)
    module_aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("twofa_sim"):
                continue
            if not _may_import(package, node.module):
                yield f"{module}:{node.lineno} imports the private module {node.module}"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    module_aliases[alias.asname or alias.name] = full
                    if not _may_import(package, full):
                        yield f"{module}:{node.lineno} imports the private module {full}"
                elif _is_private(alias.name):
                    yield f"{module}:{node.lineno} imports {node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("twofa_sim"):
                    if not _may_import(package, alias.name):
                        yield f"{module}:{node.lineno} imports the private module {alias.name}"
                    if alias.asname:
                        module_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and _is_private(node.attr)
        ):
            yield f"{module}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}"


def test_no_module_uses_another_modules_private_names() -> None:
    """A ``_name`` is its module's own; a ``_module`` is its package's own (httpx's rule)."""
    modules = _modules()
    found = [
        reach for name, path in modules.items() for reach in _reaches(name, path, set(modules))
    ]
    assert found == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle check can fail: a two-module loop and a three-module loop are both found."""
    edges = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(_cycles(edges)) == [["a", "b"], ["c", "d", "e"]]


def test_no_import_cycles_inside_the_package() -> None:
    """No module imports itself back through others (function-level imports count too)."""
    graph = grimp.build_graph("twofa_sim")
    edges = {
        m: {d for d in graph.find_modules_directly_imported_by(m) if d.startswith("twofa_sim")}
        for m in graph.modules
        if m.startswith("twofa_sim")
    }
    assert _cycles(edges) == []


@pytest.mark.skipif(
    shutil.which("lint-imports") is None
    and not (Path(sys.executable).parent / "lint-imports").exists(),
    reason="import-linter is not installed (pip install -e '.[test]')",
)
def test_layer_contracts_are_kept() -> None:
    """pyproject.toml's import-linter contracts (the layers of ARCHITECTURE.md) all hold."""
    command = str(Path(sys.executable).parent / "lint-imports")
    if not Path(command).exists():
        command = "lint-imports"
    done = subprocess.run(
        [command, "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]

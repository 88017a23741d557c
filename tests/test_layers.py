"""The package's layers import one way: records, schemas <- core <- store <- transforms <- pipelines <- cli.

Every ``import`` in every module counts, also those inside functions. A module may import
its own layer or a lower one; a cycle between modules fails too, whatever the layers.
"""
from __future__ import annotations

import ast
import pathlib

import newsbeam

PACKAGE = pathlib.Path(newsbeam.__file__).parent
LAYERS = ["records", "schemas", "config", "core", "store", "transforms", "pipelines", "modes", "cli", "__main__"]
# config (settings dataclasses, validation only) and schemas sit with records: every layer reads them.
RANK = {**{name: index for index, name in enumerate(LAYERS)}, "config": 0, "records": 0, "schemas": 0}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path, modules: set[str]) -> set[str]:
    """The newsbeam modules ``path`` imports (a name imported from a package counts as its
    submodule when there is one)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules and name != "newsbeam")
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) for name, path in paths.items()}


def test_every_module_belongs_to_a_layer():
    graph = import_graph()
    assert "newsbeam.core.dedup.rank" in graph and "newsbeam.transforms.sinks" in graph
    unknown = {m for m in graph if layer_of(m) not in RANK and layer_of(m) != "__init__"}
    assert not unknown, f"modules outside the layers {LAYERS}: {sorted(unknown)}"


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in graph.items() if layer_of(module) in RANK
        for target in targets
        if layer_of(target) in RANK and RANK[layer_of(target)] > RANK[layer_of(module)])


def test_imports_never_point_up_a_layer():
    wrong = back_arrows(import_graph())
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_catch_a_back_arrow_and_a_cycle():
    graph = {"newsbeam.core.a": {"newsbeam.transforms.b"}, "newsbeam.transforms.b": {"newsbeam.core.a"}}
    assert find_cycle(graph) == ["newsbeam.core.a", "newsbeam.transforms.b", "newsbeam.core.a"]
    assert back_arrows(graph) == ["newsbeam.core.a (core) imports newsbeam.transforms.b (transforms)"]
    assert back_arrows({"newsbeam.transforms.b": {"newsbeam.core.a"}}) == []


def test_core_records_and_schemas_never_import_beam():
    offenders = []
    for path in [*PACKAGE.joinpath("core").rglob("*.py"), *PACKAGE.joinpath("records").rglob("*.py"),
                 *PACKAGE.joinpath("schemas").rglob("*.py"),
                 *PACKAGE.joinpath("config").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names
                          if n.split(".")[0] == "apache_beam"]
    assert not offenders, offenders

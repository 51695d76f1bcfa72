"""The packages of facecompare/ form layers: none imports a package that imports it back, directly or through
others. Every import counts, also those inside functions, except those only for type checkers."""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "facecompare"


def _unit(parts: tuple[str, ...]) -> str:
    """The layer a module belongs to: its sub-package (facecompare.training), or a top-level module itself."""
    return ".".join(parts[:2])


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in found if name.startswith("facecompare.")]


def import_graph() -> dict[str, dict[str, set[str]]]:
    """{layer: {imported layer: files that import it}}."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    root = PACKAGE.parent
    for path in PACKAGE.rglob("*.py"):
        source = _unit(path.relative_to(root).with_suffix("").parts)
        for name in _imports(path):
            parts = tuple(name.split("."))
            head = root.joinpath(*parts[:2])  # "from facecompare import X": X may be a module or a name
            target = _unit(parts) if head.is_dir() or head.with_suffix(".py").is_file() else None
            if target and target != source:
                graph[source][target].add(str(path.relative_to(root)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one layer (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "facecompare.training" in graph and "facecompare.evaluation" in graph["facecompare.training"]
    problems = []
    for component in cycles(graph):
        edges = [
            f"  {a} -> {b} ({', '.join(sorted(graph[a][b]))})" for a in component for b in component if b in graph[a]
        ]
        problems.append("import cycle among " + ", ".join(component) + ":\n" + "\n".join(edges))
    assert not problems, "\n".join(problems)


def test_the_walk_finds_a_cycle_where_there_is_one():
    graph = {"a": {"b": {"a.py"}}, "b": {"c": {"b.py"}}, "c": {"a": {"c.py"}}, "d": {"a": {"d.py"}}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": {"a.py"}}, "b": {}}) == []

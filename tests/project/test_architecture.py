"""The package stack, read from the source: imports run one way, and modules stay small.

Every ``ecsdeploy.X`` import (also inside functions and ``TYPE_CHECKING`` blocks, since
they couple the code as much) must name a package at or below the importer's in
``LAYERS``; the modules must not import each other in a cycle; no module is over 500
lines. docs/architecture.md draws the same stack.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "ecsdeploy"

# bottom first: a package may import only packages before it in this list (and itself)
LAYERS = (
    "aws",  # clients, error mapping, waits' raw calls: the seam to AWS
    "spec",  # the YAML spec: models, loader, checks, naming
    "images",  # where images come from, content tags, docker-py builds, registry access
    "resources",  # one module per AWS kind, the handler contract, the kind registry
    "desired",  # spec -> desired resources, one module per layer (pure)
    "plan",  # plan model, planner, preflight checks, cost (pure apart from preflight reads)
    "reconcile",  # observe, executor, lock, applied record, rollouts, status
    "output",  # rich lives here: console, plan view, progress, status view
    "ops",  # use cases: up, down, plan, status, logs, exec, init
    "cli",  # typer app: parse arguments, call one use case, render its result
    "entry",  # the executable
    "__main__",
)
MAX_LINES = 500


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _exists(root: Path, module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def _imports(root: Path, path: Path) -> set[str]:
    """The ecsdeploy modules ``path`` imports (``from ecsdeploy.x import y`` counts
    ``ecsdeploy.x.y`` when that is a module, else ``ecsdeploy.x``)."""
    module = _module_name(root, path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ecsdeploy")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                anchor = module.split(".")
                anchor = anchor if path.name == "__init__.py" else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.startswith("ecsdeploy"):
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if _exists(root, sub) else base)
    return found - {module}


def _graph(root: Path) -> dict[str, set[str]]:
    return {_module_name(root, p): _imports(root, p) for p in sorted(root.rglob("*.py"))}


def _upward(graph: dict[str, set[str]]) -> list[str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    rank["ecsdeploy"] = -1  # the package's own __init__: imports nothing
    unplaced = len(LAYERS)  # a package missing from LAYERS fails its own test; rank it top
    return sorted(
        f"{module} imports {target}"
        for module, imported in graph.items()
        if module != "ecsdeploy"
        for target in imported
        if rank.get(_package(target), unplaced) > rank.get(_package(module), unplaced)
    )


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return []


def _long(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): n
        for p in root.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m in _graph(SRC) if m != "ecsdeploy"}
    assert packages <= set(LAYERS), f"place these in LAYERS: {sorted(packages - set(LAYERS))}"


def test_imports_run_down_the_stack() -> None:
    upward = _upward(_graph(SRC))
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_modules_import_no_cycle() -> None:
    cycle = _cycle(_graph(SRC))
    assert not cycle, f"import cycle: {' -> '.join(cycle)}"


def test_no_module_is_over_the_limit() -> None:
    long = _long(SRC)
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """A tree that breaks each rule is caught: absolute, relative and function-level
    imports are read, so the tests above cannot pass on a tree that breaks them."""
    root = tmp_path / "ecsdeploy"
    (root / "aws").mkdir(parents=True)
    (root / "spec").mkdir()
    for pkg in (root, root / "aws", root / "spec"):
        (pkg / "__init__.py").write_text("")
    (root / "aws" / "clients.py").write_text(
        "from ..spec import models\ndef f():\n    import ecsdeploy.cli.app\n"
    )
    (root / "spec" / "models.py").write_text(
        "from ecsdeploy.aws import clients\n" + "x = 1\n" * MAX_LINES
    )
    graph = _graph(root)
    assert graph["ecsdeploy.aws.clients"] == {"ecsdeploy.spec.models", "ecsdeploy.cli.app"}
    assert _upward(graph) == [
        "ecsdeploy.aws.clients imports ecsdeploy.cli.app",
        "ecsdeploy.aws.clients imports ecsdeploy.spec.models",
    ]
    assert set(_cycle(graph)) == {"ecsdeploy.aws.clients", "ecsdeploy.spec.models"}
    assert _long(root) == {"spec/models.py": MAX_LINES + 1}


def test_test_modules_have_unique_names() -> None:
    # the test folders are on pytest's pythonpath, not packages: two test files with one
    # name stop the collection of the whole suite ("import file mismatch")
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name in ("__init__.py", "conftest.py") or "golden" in path.parts:
            continue
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(ROOT)} and {path.relative_to(ROOT)}")
        seen.setdefault(path.name, path)
    assert clashes == []

"""The package's shape: its modules import each other without a circle, and no module reaches into another's
private names (an underscore name is the module's own business)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "calculators"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in the file, at any depth (a lazy import still ties two modules)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.append((module, [alias.name for alias in node.names]))
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        targets = set()
        for module, names in imports(path):
            targets |= {m for m in [module, *(f"{module}.{n}" for n in names)] if m in MODULES and m != name}
        edges[name] = targets
    return edges


def test_the_graph_reads_the_package():
    edges = graph()
    assert "calculators.model.families" in edges["calculators.model.configs"]
    assert "calculators.model.spec" in edges["calculators.model.families"]


def test_no_import_circle():
    edges, state, circles = graph(), {}, []

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not circles, circles


# The package's layers from the ground up (calculators/__init__.py's docstring says what each holds); the layers in
# one tuple stand side by side. "__init__" is the package's own face, which hands names on at the top.
LAYERS = (("messages",), ("errors",), ("model",), ("memory",), ("plan",), ("presentation", "options"), ("cli",),
          ("web", "__main__", "__init__"))
RANK = {layer: rank for rank, group in enumerate(LAYERS) for layer in group}


def layer(module: str) -> str:
    """``calculators.plan.engines.vllm`` -> ``plan``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_stands_in_a_layer():
    assert {layer(name) for name in MODULES} == set(RANK)


def test_each_layer_imports_only_the_layers_below_it():
    """No arrow runs back up or sideways: a module imports its own layer and those under it (a lazy import too)."""
    edges = graph()
    upward = sorted((name, target) for name, targets in edges.items() for target in targets
                    if layer(target) != layer(name) and RANK[layer(target)] >= RANK[layer(name)])
    assert not upward, upward


def test_no_private_name_is_imported_from_another_module():
    users = [*PACKAGE.rglob("*.py"), *(ROOT / "hooks").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    private = [(path.relative_to(ROOT).as_posix(), module, name) for path in users for module, names in imports(path)
               if module.startswith("calculators") for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert not private, private


def test_each_layer_kind_owns_its_rules():
    """KV cache, plan and training ask a layer (``spec.mixers``) for its numbers; none branches on its type."""
    import re

    from calculators.model.spec import FullAttention, MLAAttention, RecurrentMixer, SlidingAttention

    asked = ("caches_tokens", "window", "num_kv_heads", "cached_tokens", "config_problem", "split_problem",
             "saved_bytes_per_token")
    for kind in (FullAttention, SlidingAttention, MLAAttention, RecurrentMixer):
        assert all(hasattr(kind, name) or name in kind.__dataclass_fields__ for name in asked), kind
    kinds = re.compile(r"isinstance\([^)]*\b(FullAttention|SlidingAttention|MLAAttention|RecurrentMixer)\b")
    readers = PACKAGE / "model" / "families"
    branches = [path.relative_to(ROOT).as_posix() for path in PACKAGE.rglob("*.py")
                if readers not in path.parents and kinds.search(path.read_text(encoding="utf-8"))]
    assert not branches, branches

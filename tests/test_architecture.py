"""Import rules of the package: data flows one way, and no two modules import each other.

Every ``import`` of a ``vidsynth`` module in every file of the package is read from the source (an
AST walk, so imports inside functions count too: they run as soon as the function does). Each module
belongs to a layer; the layers, lowest first (a module may import its own layer and those below)::

    0 utils        vidsynth.utils (files, seeding, deprecation), errors, device
    1 config       vidsynth.config (dataclasses, presets, validation, the name tables it checks)
    2 video        vidsynth.video (reading, writing, streaming videos; suffixes; frame rates)
    3 nn, data     building blocks; datasets
    4 models       vidsynth.models, vidsynth.registry (model classes and samplers by name)
    5 export       vidsynth.export (exported model folders), importers (official checkpoints)
    6 training     vidsynth.training (loop, trainers, checkpoints, run folders, snapshot callback protocol)
    7 apps         vidsynth.apps, vidsynth.loader (``vidsynth.load``: a sampler from any model path),
                   checkpoint_model, export_hub, export_graph, the ``vidsynth`` package itself
    8 downstream   vidsynth.metrics, report, bench, app (measure, show and serve runs)
    9 top          vidsynth.cli (one thin module per command) and vidsynth.demo (orchestrates training,
                   apps and the report)

``test_lower_layers_import_nothing_above_them`` fails when a module of ``training``, ``models``,
``nn``, ``data``, ``utils``, ``video``, ``config`` or ``export`` imports a module of a higher layer (e.g.
training importing metrics or report: training's snapshot work for those is done by callbacks the
CLI passes in, ``training/callbacks.py``). ``test_no_import_cycles`` fails on any cycle between
modules (a package's ``__init__`` counts as a module; importing ``a.b`` is not counted as importing
``a``). Deprecation shims (old module paths kept for one release, ``vidsynth.utils.deprecation``) import
nothing but that helper and are left out.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vidsynth"

# Longest matching prefix wins.
LAYERS = {
    "vidsynth.utils": 0, "vidsynth.errors": 0, "vidsynth.device": 0,
    "vidsynth.config": 1,
    "vidsynth.video": 2,
    "vidsynth.nn": 3, "vidsynth.data": 3,
    "vidsynth.models": 4, "vidsynth.registry": 4,
    "vidsynth.export": 5, "vidsynth.importers": 5,
    "vidsynth.training": 6,
    # the run-folder layout (names, lock, where a run's model is) imports only errors: exported-model
    # loading below training reads run folders through it
    "vidsynth.training.run_dir": 5,
    "vidsynth": 7, "vidsynth.apps": 7, "vidsynth.loader": 7, "vidsynth.checkpoint_model": 7,
    "vidsynth.export_hub": 7, "vidsynth.export_graph": 7,
    "vidsynth.metrics": 8, "vidsynth.report": 8, "vidsynth.bench": 8, "vidsynth.app": 8,
    "vidsynth.cli": 9, "vidsynth.__main__": 9, "vidsynth.demo": 9,
}
# The layers that must not import upwards.
CHECKED = ("vidsynth.training", "vidsynth.models", "vidsynth.nn", "vidsynth.data", "vidsynth.utils",
           "vidsynth.video", "vidsynth.config", "vidsynth.export", "vidsynth.importers", "vidsynth.registry",
           "vidsynth.errors", "vidsynth.device")


def is_shim(path: Path) -> bool:
    """An old module path kept for one release: it only calls ``moved_module`` (tests/test_deprecations.py)."""
    return "moved_module(__name__" in path.read_text()


def module_names() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package (``a/__init__.py`` is ``a``)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not is_shim(path):
            names[".".join(parts)] = path
    return names


def _known(name: str, modules) -> str | None:
    """The module ``name`` refers to: itself, or its nearest enclosing module/package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules) -> dict[str, int]:
    """``{imported vidsynth module: line}`` for every import statement in ``path``, at any depth."""
    found: dict[str, int] = {}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [_known(a.name, modules) for a in node.names if a.name.split(".")[0] == "vidsynth"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                       # relative import: from .x import y
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            if base.split(".")[0] == "vidsynth":
                # "from a import b": the submodule a.b if there is one, else the module a
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else _known(base, modules)
                           for a in node.names]
        for target in targets:
            if target and target != module:
                found.setdefault(target, node.lineno)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    modules = module_names()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def violations(graph) -> list[str]:
    """``"a (layer) imports b (higher layer) at line N"`` for each upward import of a checked module."""
    out = []
    for module, targets in sorted(graph.items()):
        if not any(module == c or module.startswith(c + ".") for c in CHECKED) or layer(module) >= 9:
            continue
        for target, line in sorted(targets.items()):
            if layer(target) > layer(module):
                out.append(f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)}) at line {line}")
    return out


def cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    edges = {m: list(ts) for m, ts in graph.items()}

    def visit(v):                               # iterative: the graph is deep enough to matter
        work = [(v, iter(edges.get(v, ())))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges.get(child, ()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def test_every_module_has_a_layer():
    """A new top-level module or package must be placed in LAYERS (not fall back to the package's layer)."""
    unplaced = [m for m in module_names() if m != "vidsynth" and not any(
        m == p or m.startswith(p + ".") for p in LAYERS if p != "vidsynth")]
    assert not unplaced, f"add these to LAYERS in tests/test_architecture.py: {unplaced}"


def test_lower_layers_import_nothing_above_them():
    bad = violations(import_graph())
    assert not bad, "imports against the layer order (see tests/test_architecture.py):\n" + "\n".join(bad)


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    """The checker itself: an import inside a function and a relative import are both found."""
    pkg = tmp_path / "vidsynth" / "training"
    pkg.mkdir(parents=True)
    (tmp_path / "vidsynth" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "loop.py").write_text("def f():\n    from vidsynth.metrics import evaluate\n\nfrom . import base\n")
    (pkg / "base.py").write_text("")
    (tmp_path / "vidsynth" / "metrics.py").write_text("")
    modules = {"vidsynth": 0, "vidsynth.training": 0, "vidsynth.training.loop": 0, "vidsynth.training.base": 0,
               "vidsynth.metrics": 0}
    found = imports_of("vidsynth.training.loop", pkg / "loop.py", modules)
    assert found == {"vidsynth.metrics": 2, "vidsynth.training.base": 4}
    assert violations({"vidsynth.training.loop": found}) == [
        "vidsynth.training.loop (layer 6) imports vidsynth.metrics (layer 8) at line 2"]
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]

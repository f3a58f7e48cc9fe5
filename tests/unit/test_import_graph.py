"""No import cycle inside ``inforidge``: no module needs, directly or not, a module that needs it.

What counts as an edge M -> X (read with :func:`inforidge.workflow.codedeps.module_imports`, nothing imported):

- every import statement that can run: at module level (inside module-level ``if``/``try``/
  ``with`` blocks and class bodies too) and inside functions. A function-level import defers a
  cycle to call time rather than removing it (the old ``config -> probes.registry -> figures
  -> planning -> config`` knot ran through one), so it counts. Imports under
  ``if TYPE_CHECKING:`` never run (annotations only) and do not count.
- ``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``, so each is an edge; ``from a.b import c``
  runs ``a``, ``a.b``, and ``a.b.c`` when that is a module (relative imports resolved).
- except the packages that contain M: Python imports a package before its submodules, so they
  are already loading whenever M runs (``tasks/__init__`` importing ``tasks.arithmetic``, which
  imports ``tasks.registry``, is no cycle). ``from <such a package> import name`` still counts
  when ``name`` is not a submodule: it reads an attribute the package may not have set yet.
"""

from __future__ import annotations

from pathlib import Path

from inforidge.workflow.codedeps import PACKAGE, module_file, module_imports, package_of

SRC = Path(__file__).resolve().parents[2] / "src"


def module_names(src: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the package under ``src``."""
    names = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def import_graph(src: Path) -> dict[str, set[str]]:
    """Module -> the package modules it runs while it is imported (the edges described above)."""
    modules = module_names(src)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        loading = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}  # name and its packages
        for imp in module_imports(path, package_of(path, src)):
            if imp.type_checking or not (imp.module == PACKAGE or imp.module.startswith(PACKAGE + ".")):
                continue
            parts = imp.module.split(".")
            edges.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            submodules = {f"{imp.module}.{n}" for n in imp.names if module_file(f"{imp.module}.{n}", src)}
            edges.update(submodules)
            reads_attribute = len(submodules) < len(imp.names)
            edges -= loading - ({imp.module} if reads_attribute and imp.module != name else set())
        graph[name] = {edge for edge in edges if edge in modules}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None (depth-first search, deterministic order)."""
    state: dict[str, str] = {}  # "active" on the current path, "done" when fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "active"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "active":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_package_imports_without_a_cycle():
    graph = import_graph(SRC)
    assert len(graph) > 50 and graph["inforidge.config"], "the graph was not read"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_figure_registry_is_a_leaf():
    """figures/registry.py declares figures; it imports no analysis registry, and the config for annotations only."""
    assert import_graph(SRC)["inforidge.figures.registry"] <= {
        "inforidge.core", "inforidge.core.registry", "inforidge.workflow", "inforidge.workflow.planning"}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_what_counts_as_an_edge(tmp_path):
    write(tmp_path, {
        "inforidge/__init__.py": "",
        "inforidge/a.py": ("from typing import TYPE_CHECKING\nfrom inforidge import b\n"
                           "if TYPE_CHECKING:\n    from inforidge.c import C\n"
                           "def f():\n    import inforidge.pkg.leaf\n"),
        "inforidge/b.py": "try:\n    from .pkg import thing\nexcept ImportError:\n    pass\n",
        "inforidge/c.py": "import inforidge.a\n",
        "inforidge/pkg/__init__.py": "from inforidge.pkg import sub\nthing = 1\n",
        "inforidge/pkg/sub.py": "from inforidge.pkg.leaf import x\nfrom inforidge.pkg import leaf\n",
        "inforidge/pkg/leaf.py": "x = 1\n",
        "inforidge/pkg/bad.py": "from inforidge.pkg import thing\n",
    })
    graph = import_graph(tmp_path)
    assert graph["inforidge.a"] == {"inforidge.b", "inforidge.pkg", "inforidge.pkg.leaf"}  # not TYPE_CHECKING
    assert graph["inforidge.b"] == {"inforidge.pkg"}  # relative, inside try; `thing` is an attribute
    assert graph["inforidge.pkg"] == {"inforidge.pkg.sub"}
    assert graph["inforidge.pkg.sub"] == {"inforidge.pkg.leaf"}  # its own packages are loading already
    assert graph["inforidge.pkg.bad"] == {"inforidge.pkg"}  # reads an attribute of its loading package
    assert find_cycle(graph) is None
    graph["inforidge.pkg"].add("inforidge.pkg.bad")
    assert find_cycle(graph) == ["inforidge.pkg", "inforidge.pkg.bad", "inforidge.pkg"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    write(tmp_path, {
        "inforidge/__init__.py": "",
        "inforidge/a.py": "import inforidge.b\n",
        "inforidge/b.py": "def f():\n    from inforidge.a import x\n",
    })
    assert find_cycle(import_graph(tmp_path)) == ["inforidge.a", "inforidge.b", "inforidge.a"]


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...]) -> int | None:
    """Index of ``module``'s layer: the layer of its longest listed prefix (None when unlisted)."""
    relative = module.removeprefix(PACKAGE + ".")
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (relative == prefix or relative.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def layer_violations(graph: dict[str, set[str]], layers: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """Every import of a higher layer, and every module no layer lists (the package root aside).

    A subpackage's ``__init__`` runs before any of its modules, so it counts in the lowest layer
    among them (``inforidge.mi`` loads with ``mi.registry``, a declaration): its own imports
    must stay that low, and importing it costs only that.
    """
    layer = {module: layer_of(module, layers) for module in graph}
    for package in graph:
        inside = [layer[m] for m in graph if m.startswith(package + ".") and layer[m] is not None]
        if inside and layer[package] is not None:
            layer[package] = min([layer[package], *inside])
    problems = []
    for module in sorted(graph):
        if module == PACKAGE:
            continue
        own = layer[module]
        if own is None:
            problems.append(f"{module}: in no layer of inforidge.LAYERS")
            continue
        for target in sorted(graph[module] - {PACKAGE}):
            other = layer.get(target)
            if other is not None and other > own:
                problems.append(f"{module} ({layers[own][0]}) imports {target} ({layers[other][0]})")
    return problems


def test_the_package_imports_only_downward():
    """Each import goes to the module's own layer or a lower one, in the order inforidge.LAYERS declares."""
    from inforidge import LAYERS

    assert layer_violations(import_graph(SRC), LAYERS) == []


def test_an_upward_or_unlisted_import_is_a_violation(tmp_path):
    write(tmp_path, {
        "inforidge/__init__.py": "",
        "inforidge/core/__init__.py": "",
        "inforidge/core/leaf.py": "def f():\n    from inforidge.mi.stage import run\n",  # upward, at call time
        "inforidge/mi/__init__.py": "",
        "inforidge/mi/registry.py": "from inforidge.core import leaf\n",
        "inforidge/mi/stage.py": "from inforidge.config import X\nfrom inforidge.mi import registry\n",
        "inforidge/config.py": "from inforidge.mi.registry import K\n",
        "inforidge/stray.py": "",
    })
    layers = (("core", ("core",)), ("declarations", ("mi.registry",)), ("config", ("config",)), ("mi", ("mi",)))
    assert layer_of("inforidge.mi.registry", layers) == 1 and layer_of("inforidge.mi.stage", layers) == 3
    assert layer_violations(import_graph(tmp_path), layers) == [
        "inforidge.core.leaf (core) imports inforidge.mi (declarations)",  # the package loads with mi.registry
        "inforidge.core.leaf (core) imports inforidge.mi.stage (mi)",
        "inforidge.stray: in no layer of inforidge.LAYERS",
    ]
    write(tmp_path, {"inforidge/mi/__init__.py": "from inforidge.mi import stage\n"})  # an eager package
    assert "inforidge.mi (declarations) imports inforidge.mi.stage (mi)" in layer_violations(
        import_graph(tmp_path), layers)

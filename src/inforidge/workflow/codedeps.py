"""Which package files a rule script runs: its ``inforidge`` imports, followed transitively.

Rules declare these files as inputs, so editing any library code a stage runs reruns that
stage, and editing code it does not run leaves it alone. The graph is read from the import
statements with :mod:`ast` (nothing is imported), so planning the DAG stays fast and torch-free.
:func:`module_imports` is the one reader of import statements; the import-cycle check of the
test suite (``tests/unit/test_import_graph.py``) reads the package through it too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "inforidge"

NOT_CODE_INPUTS = frozenset({
    "inforidge.config", "inforidge.core.configschema", "inforidge.workflow.jobs",
    "inforidge.core.registry", "inforidge.analyses.spec", "inforidge.analyses.registry", "inforidge.probes.registry",
    "inforidge.readouts.registry", "inforidge.figures.registry", "inforidge.figures.report", "inforidge.tasks.registry",
})
"""Modules whose edits must not rerun stages (and whose imports are not followed).

Settings reach every job as rule params, which Snakemake already tracks: a changed default
reruns exactly the stages whose params change, while a new field or a doc edit in the config
schema reruns nothing (it would otherwise retrain every model). ``jobs`` is logging and
error-reporting glue that never touches a result. The registries are declarations like
the config: a job's code inputs are the module its spec names (:func:`reference_files`), so
registering a new probe or figure reruns nothing that exists (``report`` only
gathers the figure declarations).
"""


@dataclass(frozen=True)
class ModuleImport:
    """One import statement: the module it names, the names it takes from it, whether it ever runs.

    ``module`` is absolute (relative imports are resolved); ``names`` are the ``from``-list
    (empty for ``import a.b``), each either an attribute or a submodule of ``module``.
    ``type_checking``: the statement is under ``if TYPE_CHECKING:``, read by type checkers only.
    """

    module: str
    names: tuple[str, ...]
    type_checking: bool


def module_imports(source: Path, package: str = "") -> list[ModuleImport]:
    """Every import statement of ``source`` (module level and inside functions), in file order.

    ``package`` is the package ``source`` belongs to (a package's ``__init__.py`` belongs to
    the package itself); it resolves relative imports, which are dropped without it.
    """
    tree = ast.parse(source.read_text(), filename=str(source))
    found: list[ModuleImport] = []
    for node, type_checking in _statements(tree.body, type_checking=False):
        if isinstance(node, ast.Import):
            found.extend(ModuleImport(alias.name, (), type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            if module is not None:
                found.append(ModuleImport(module, tuple(alias.name for alias in node.names), type_checking))
    return found


def _statements(body: list[ast.stmt], type_checking: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement under ``body``, nested ones too, with whether it is under ``if TYPE_CHECKING:``."""
    for node in body:
        yield node, type_checking
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _statements(node.body, type_checking=True)
            yield from _statements(node.orelse, type_checking)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _statements([child], type_checking)
            elif isinstance(child, ast.excepthandler):
                yield from _statements(child.body, type_checking)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    """The absolute module of ``from ... import``; None for a relative import without ``package``."""
    if node.level == 0:
        return node.module
    if not package:
        return None
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def imported_modules(source: Path, package: str = "") -> set[str]:
    """Dotted names of the ``inforidge`` modules ``source`` imports (``from a import b`` gives a and a.b).

    Every import counts, wherever it runs: a rule runs the code its script imports lazily too.
    """
    names: set[str] = set()
    for imp in module_imports(source, package):
        names.add(imp.module)
        # `from inforidge.mi import spectra` may name a submodule; non-modules are dropped later.
        names.update(f"{imp.module}.{name}" for name in imp.names)
    return {name for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")}


def module_file(name: str, src: Path) -> Path | None:
    """The file of module ``name`` under ``src`` (a package's ``__init__.py``), or None if there is none."""
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_of(path: Path, src: Path) -> str:
    """The package a file under ``src`` belongs to (a package's own for ``__init__.py``); "" outside ``src``."""
    if not path.is_relative_to(src):
        return ""
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1])


def code_files(script: Path, src: Path) -> list[Path]:
    """Package files (sorted) that ``script`` imports, directly or through one another.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so those count.
    Imports inside functions count (they run when the stage does); :data:`NOT_CODE_INPUTS`
    do not. ``src`` is the directory holding the ``inforidge`` package.
    """
    return CodeGraph(src).code_files(script)


def reference_files(ref: str, src: Path) -> list[Path]:
    """Package files a registry reference ``"package.module:function"`` runs: the module, the
    ``__init__.py`` of each package above it (importing it runs them), and their imports."""
    return CodeGraph(src).reference_files(ref)


class CodeGraph:
    """The import graph of the package under ``src``, each file read once.

    Planning asks for the code of ~60 rule scripts and registry references, which share most
    of their modules; parsing each file once per ask took 4.8 of the default DAG's 6.6 s of
    planning (benchmarks/README-overhead.md). One graph per planning pass: it assumes the files
    do not change while it lives.
    """

    def __init__(self, src: Path) -> None:
        self.src = src
        self._imports: dict[Path, set[str]] = {}
        self._files: dict[str, tuple[Path, ...]] = {}

    def code_files(self, script: Path) -> list[Path]:
        """:func:`code_files` of ``script``."""
        return sorted(self._closure([script]))

    def reference_files(self, ref: str) -> list[Path]:
        """:func:`reference_files` of ``ref``."""
        name = ref.partition(":")[0]
        if module_file(name, self.src) is None:
            raise ValueError(f"{ref}: no module file under {self.src}")
        files = list(self._module_files(name))
        return sorted(set(files) | self._closure(files))

    def _module_files(self, name: str) -> tuple[Path, ...]:
        """What importing module ``name`` runs itself: each enclosing package's ``__init__.py``, then the
        module's file, up to the first :data:`NOT_CODE_INPUTS` module (a declaration ends the chain)."""
        if name not in self._files:
            parts = name.split(".")
            files = []
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                if module in NOT_CODE_INPUTS:
                    break
                path = module_file(module, self.src)
                if path is not None:
                    files.append(path)
            self._files[name] = tuple(files)
        return self._files[name]

    def _imported(self, source: Path) -> set[str]:
        if source not in self._imports:
            self._imports[source] = imported_modules(source, package_of(source, self.src))
        return self._imports[source]

    def _closure(self, sources: list[Path]) -> set[Path]:
        """Package files the ``sources`` import, followed transitively (the sources themselves excluded
        unless one imports another)."""
        seen: set[Path] = set()
        pending = list(sources)
        while pending:
            source = pending.pop()
            for name in self._imported(source):
                for path in self._module_files(name):
                    if path not in seen:
                        seen.add(path)
                        pending.append(path)
        return seen

"""Which package files a rule script runs: its ``inforidge`` imports, followed transitively.

Rules declare these files as inputs, so editing any library code a stage runs reruns that
stage, and editing code it does not run leaves it alone. The graph is read from the import
statements with :mod:`ast` (nothing is imported), so planning the DAG stays fast and torch-free.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "inforidge"

NOT_CODE_INPUTS = frozenset({
    "inforidge.config", "inforidge.configschema", "inforidge.jobs",
    "inforidge.registry", "inforidge.probes.registry", "inforidge.figures", "inforidge.tasks.registry",
})
"""Modules whose edits must not rerun stages (and whose imports are not followed).

Settings reach every job as rule params, which Snakemake already tracks: a changed default
reruns exactly the stages whose params change, while a new field or a doc edit in the config
schema reruns nothing (it would otherwise retrain every model). ``jobs`` is logging and
error-reporting glue that never touches a result. The registries are declarations like
the config: a job's code inputs are the module its spec names (:func:`reference_files`), so
registering a new probe or figure reruns nothing that exists.
"""


def imported_modules(source: Path) -> set[str]:
    """Dotted names of the ``inforidge`` modules ``source`` imports (``from a import b`` gives a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from inforidge.mi import spectra` may name a submodule; non-modules are dropped later.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")}


def module_file(name: str, src: Path) -> Path | None:
    """The file of module ``name`` under ``src`` (a package's ``__init__.py``), or None if there is none."""
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def code_files(script: Path, src: Path) -> list[Path]:
    """Package files (sorted) that ``script`` imports, directly or through one another.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so those count.
    Imports inside functions count (they run when the stage does); :data:`NOT_CODE_INPUTS`
    do not. ``src`` is the directory holding the ``inforidge`` package.
    """
    seen: set[Path] = set()
    pending = [script]
    while pending:
        for name in imported_modules(pending.pop()):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                if module in NOT_CODE_INPUTS:
                    break
                path = module_file(module, src)
                if path is not None and path not in seen:
                    seen.add(path)
                    pending.append(path)
    return sorted(seen)


def reference_files(ref: str, src: Path) -> list[Path]:
    """Package files a registry reference ``"package.module:function"`` runs: the module and its imports."""
    module = module_file(ref.partition(":")[0], src)
    if module is None:
        raise ValueError(f"{ref}: no module file under {src}")
    return sorted({module, *code_files(module, src)})

"""Light stages start fast: table, data and figure jobs do not import what they do not use.

Importing torch and transformers costs seconds of CPU per job, more than the work of a
table job (benchmarks/README-overhead.md); the default run has dozens of such jobs.
"""

import re
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "peft")
DRAWING = ("matplotlib", "seaborn")
# script → libraries its imports must not load
LIGHT_SCRIPTS = {
    "data.py": HEAVY + DRAWING,
    "table_mi.py": HEAVY + DRAWING,
    "table_analysis.py": HEAVY + DRAWING,
    "table_runs.py": HEAVY + DRAWING,
    "table_training.py": HEAVY + DRAWING,
    "capacity_table.py": HEAVY + DRAWING,
    "table_ridge.py": HEAVY + DRAWING,
    "table_verdict.py": HEAVY + DRAWING,
    "run_record.py": HEAVY + DRAWING,
    # Probes and read-outs: the registered job loads torch (and a probe the model libraries) when it runs.
    "analysis.py": HEAVY + DRAWING,
    "mi.py": ("transformers", "peft") + DRAWING,  # the MI estimator needs torch, not the model libraries
    "figure_draw.py": HEAVY,
}


def script_imports(path) -> str:
    """The script's top-level import statements (everything it loads before its job body)."""
    return "\n".join(line for line in path.read_text().splitlines() if re.match(r"(from|import) \S", line))


@pytest.mark.parametrize("script", sorted(LIGHT_SCRIPTS))
def test_light_stage_does_not_import_heavy_libraries(repo_root, script: str) -> None:
    imports = script_imports(repo_root / "workflow" / "scripts" / script)
    code = f"import sys\n{imports}\nprint(' '.join(m for m in {LIGHT_SCRIPTS[script]!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"{script} imports {loaded}"


def test_registered_drawing_functions_load_no_heavy_library():
    """figure_draw.py resolves each figure's drawing function from the registry: those modules stay light too."""
    code = ("import sys; from inforidge.figures.report import all_figures; from inforidge.core.registry import resolve; "
            "[resolve(f.draw) for f in all_figures()]; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out

"""Planning the DAG must not import torch: a 1,000-job dry run stays fast (benchmarks/README-dag.md)."""

import subprocess
import sys

# Every package module the rule files import at parse time.
PLANNING_MODULES = [
    "inforidge.config", "inforidge.core.configschema", "inforidge.models.schedule", "inforidge.tasks", "inforidge.tasks.sources",
    "inforidge.tables.capacity", "inforidge.mi.multitoken", "inforidge.workflow.codedeps", "inforidge.workflow.planning", "inforidge.workflow.clusterplan", "inforidge.workflow.fetch",
    "inforidge.core.threads", "inforidge.workflow.series", "inforidge.workflow.splitsets", "inforidge.core.hub",
    "inforidge.figures.registry", "inforidge.probes.registry", "inforidge.tasks.registry",
    "inforidge.readouts.registry", "inforidge.figures.report", "inforidge.mi.registry", "inforidge.analyses.registry",
    "inforidge.analyses.verdictspec",
]


def test_planning_modules_do_not_import_torch():
    code = f"import sys; import {', '.join(PLANNING_MODULES)}; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_rule_files_import_only_planning_modules(repo_root):
    imported = set()
    for smk in [repo_root / "Snakefile", *(repo_root / "workflow" / "rules").glob("*.smk")]:
        for line in smk.read_text().splitlines():
            if line.startswith("from inforidge"):
                imported.add(line.split()[1])
    assert imported <= set(PLANNING_MODULES), imported - set(PLANNING_MODULES)

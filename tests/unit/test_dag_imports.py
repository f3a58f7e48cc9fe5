"""Planning the DAG must not import torch: a 1,000-job dry run stays fast (benchmarks/README-dag.md)."""

import subprocess
import sys

# Every package module the rule files import at parse time.
PLANNING_MODULES = [
    "inforidge.config", "inforidge.configschema", "inforidge.schedule", "inforidge.tasks", "inforidge.tasks.sources",
    "inforidge.capacity", "inforidge.mi.multitoken", "inforidge.codedeps", "inforidge.planning", "inforidge.clusterplan", "inforidge.fetch",
    "inforidge.threads", "inforidge.series", "inforidge.hub",
    "inforidge.figures", "inforidge.probes.registry", "inforidge.tasks.registry",
    "inforidge.readouts.registry", "inforidge.report", "inforidge.mi.registry", "inforidge.analyses",
    "inforidge.verdictspec",
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

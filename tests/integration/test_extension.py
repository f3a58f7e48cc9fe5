"""The extension promise of docs/extending.md, kept: a probe, a read-out, a figure, a task kind and
a kernel each take one new module plus its registration (and a caption per figure), nothing else.

In a copy of the repository (``tests.workflow_runs.copy_repo``) the test adds one of each,
checks that exactly those files differ from the checkout, and shows that everything else
follows from the registries: the dry-run DAG (rules, tables, figures, the new task's data),
the report's figure list, the tables built by the unit tests' synthetic data, the generated
docs, and an MI estimate under the new kernel. Dry runs only: nothing trains.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inforidge.analyses.registry import SHARED_PROBES_RULE
from tests.workflow_runs import REPO, copy_repo, env, snakemake, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The drawing function both throwaway analyses register as their figure.
DRAW = '''

def draw(table, look=None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot(table["layer"], table["value"])
    ax.set_xlabel("layer")
    ax.set_ylabel("value")
    return fig
'''
PROBE_MODULE = '''"""A throwaway probe: the mean of each layer's last-position state (extension test)."""

import pandas as pd


def job(checkpoint, frames, settings, device):
    return {"throwaway": pd.DataFrame({"split": ["id"], "layer": [0], "value": [0.0]})}
'''
PROBE_REGISTRATION = '''
PROBES.register(AnalysisSpec(
    name="throwaway",
    input="checkpoint",
    settings=ReadoutProbeConfig,
    doc="a throwaway probe (extension test)",
    job="inforidge.probes.throwaway:job",
    tables={"throwaway": run_schema("throwaway", "A throwaway probe table.", [
        STEP, SPLIT, Column("layer", INT, "layer"), Column("value", FLOAT, "a value"),
    ], ["run", "step", "split", "layer"])},
    figures=(FigureSpec("throwaway_probe", ("throwaway",), "inforidge.probes.throwaway:draw", "Probes",
                        "throwaway probe"),),
))
'''
READOUT_MODULE = '''"""A throwaway read-out of the activation dump (extension test)."""

import pandas as pd


def job(manifest, settings):
    return pd.DataFrame({"site": ["resid_post"], "layer": [0], "value": [0.0]})
'''
READOUT_REGISTRATION = '''
READOUTS.register(AnalysisSpec(
    name="throwaway_readout",
    input="activations",
    settings=LinearProbeConfig,
    doc="a throwaway read-out (extension test)",
    job="inforidge.readouts.throwaway:job",
    tables={"throwaway_readout": run_schema("throwaway_readout", "A throwaway read-out table.", [
        *_READOUT_KEYS, Column("value", FLOAT, "a value"),
    ], ["run", "step", "split", "site", "layer"])},
    figures=(FigureSpec("throwaway_readout", ("throwaway_readout",), "inforidge.readouts.throwaway:draw",
                        "Read-outs", "throwaway read-out"),),
))
'''
FIGURE_MODULE = '''"""A throwaway figure of the mi table (extension test)."""


def draw(mi, look=None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot(mi["layer"], mi["mi"], ".")
    ax.set_xlabel("layer")
    ax.set_ylabel("MI")
    return fig
'''
FIGURE_REGISTRATION = '''
figure("throwaway_figure", ("mi",), "inforidge.figures.throwaway_plots:draw", _MI, "throwaway figure")
'''
TASK_MODULE = '''"""A throwaway task kind: the prompt's first word is the answer (extension test)."""

from dataclasses import dataclass

import pandas as pd

from inforidge.core.configschema import doc
from inforidge.tasks.base import StandardSplits, check_split_frame
from inforidge.tasks.registry import TaskKind, register_task_kind


@dataclass(frozen=True)
class ThrowawayTask(StandardSplits):
    words: int
    sizes: dict

    def build_split(self, split):
        rows = [{"example_id": i, "prompt": " ".join(f"w{(i + j) % self.words}" for j in range(3)),
                 "target": f" w{i % self.words}", "answer": f"w{i % self.words}", "signal_positions": [0]}
                for i in range(self.sizes[split])]
        return check_split_frame(pd.DataFrame(rows), split)


@dataclass(frozen=True)
class ThrowawaySettings:
    words: int = doc("distinct words (extension test)", 5)


register_task_kind(TaskKind("throwaway", ThrowawaySettings,
                            build=lambda s, cfg, sizes: ThrowawayTask(words=s.words, sizes=sizes)))
'''
TASK_REGISTRATION = "from inforidge.tasks import throwaway  # noqa: F401, E402\n"
KERNEL_MODULE = '''"""A throwaway kernel, (<a, b> + 1) (extension test)."""


def gram(x, sigma):
    return x @ x.transpose(-1, -2) + 1.0
'''
KERNEL_REGISTRATION = 'KERNELS.register(KernelSpec("throwaway", "inforidge.mi.throwaway_kernel:gram", doc="<a,b> + 1"))\n'
CAPTION = "A throwaway figure added by tests/integration/test_extension.py.\n"

#: Per extension: the files it adds or edits, nothing else.
EXTENSIONS = {
    "probe": {"src/inforidge/probes/throwaway.py", "src/inforidge/probes/registry.py",
              "workflow/report/throwaway_probe.rst"},
    "read-out": {"src/inforidge/readouts/throwaway.py", "src/inforidge/readouts/registry.py",
                 "workflow/report/throwaway_readout.rst"},
    "figure": {"src/inforidge/figures/throwaway_plots.py", "src/inforidge/figures/registry.py", "workflow/report/throwaway_figure.rst"},
    "task kind": {"src/inforidge/tasks/throwaway.py", "src/inforidge/tasks/__init__.py"},
    "MI kernel": {"src/inforidge/mi/throwaway_kernel.py", "src/inforidge/mi/registry.py"},
}


def extend(repo: Path) -> None:
    """Add the five throwaway extensions to the repository copy ``repo``."""
    src = repo / "src/inforidge"

    def append(path: Path, text: str, before: str | None = None) -> None:
        old = path.read_text()
        path.write_text(old.replace(before, text + before, 1) if before else old + text)

    (src / "probes/throwaway.py").write_text(PROBE_MODULE + DRAW)
    append(src / "probes/registry.py", PROBE_REGISTRATION)
    (src / "readouts/throwaway.py").write_text(READOUT_MODULE + DRAW)
    append(src / "readouts/registry.py", READOUT_REGISTRATION)
    (src / "figures/throwaway_plots.py").write_text(FIGURE_MODULE)
    append(src / "figures/registry.py", FIGURE_REGISTRATION, before="\n# --- sweep figures")
    (src / "tasks/throwaway.py").write_text(TASK_MODULE)
    append(src / "tasks/__init__.py", TASK_REGISTRATION, before="from inforidge.tasks.base import Task\n")
    (src / "mi/throwaway_kernel.py").write_text(KERNEL_MODULE)
    # LAYER_KERNELS (and so the config's kernel choices) is derived right after the built-in entries.
    append(src / "mi/registry.py", KERNEL_REGISTRATION, before="\n#: Kernels a layer's state may use")
    for name in ("throwaway_probe", "throwaway_readout", "throwaway_figure"):
        (repo / f"workflow/report/{name}.rst").write_text(CAPTION)


def changed_files(copy: Path, original: Path) -> set[str]:
    """Files of ``copy`` that are new or differ from ``original`` (relative paths)."""
    changed = set()
    for path in copy.rglob("*"):
        rel = path.relative_to(copy)
        if path.is_file() and "__pycache__" not in rel.parts and not (
                (original / rel).is_file() and filecmp.cmp(path, original / rel, shallow=False)):
            changed.add(str(rel))
    return changed


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> tuple[Path, Path, set[str]]:
    """(repository copy with the five extensions, a config that uses all of them, the files they changed)."""
    base = tmp_path_factory.mktemp("extension")
    repo = copy_repo(base / "repo")
    extend(repo)
    changed = changed_files(repo, REPO)
    sizes = {"train": 64, "eval_id": 64, "eval_ood": 64, "probe_ood": 64}
    config = write_config(base / "config.yaml", **{
        "tasks.other": {"kind": "throwaway", "words": 4, "sizes": sizes},
        "runs.tiny.task": "other", "mi.kernels": ["gaussian", "throwaway"]})
    return repo, config, changed


def in_copy(repo: Path, code: str) -> str:
    """Run ``code`` with the copy's package (and this checkout's tests) importable; its stdout."""
    path = os.pathsep.join([str(repo / "src"), str(REPO)])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, timeout=300,
                            env={**env(), "PYTHONPATH": path, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def test_each_extension_touches_only_its_own_files(extended):
    assert extended[2] == set().union(*EXTENSIONS.values())


def test_extending_md_states_these_counts():
    text = (REPO / "docs/extending.md").read_text()
    for kind, files in EXTENSIONS.items():
        assert f"| {kind} | {len(files)}: " in text, kind


def test_the_dag_runs_the_new_probe_table_figures_task_and_kernel(extended, tmp_path):
    repo, config, _ = extended
    out = snakemake(repo, tmp_path, "-n", "--cores", "2", config=config, timeout=300).stdout
    for rule in ("table_throwaway", "figure_throwaway_probe", "readout_throwaway_readout",
                 "table_throwaway_readout", "figure_throwaway_readout", "figure_throwaway_figure",
                 "figure_kernel_ablation"):  # the second kernel asks for the kernel ablation
        assert f"rule {rule}:" in out or f"localrule {rule}:" in out, rule
    # The new probe runs at every checkpoint (its settings' default), in the job those probes share.
    assert f"rule {SHARED_PROBES_RULE}:" in out and "probes/step-0/throwaway.parquet" in out
    assert "task=other" in out  # the data rule builds the new task's splits
    assert "src/inforidge/mi/throwaway_kernel.py" in out  # the MI rule's code inputs name the kernel


def test_report_tables_and_docs_follow_the_registries(extended):
    repo, config, _ = extended
    got = json.loads(in_copy(repo, f"""
import json, tempfile
from pathlib import Path
from inforidge import cli
from inforidge import results
from inforidge.config import load_config
from inforidge.figures import plots
from inforidge.figures.report import wanted_figures
from inforidge.mi.stage import estimator_settings
from inforidge.tables.tidy import TABLES
from tests.unit.test_tables import write_synthetic_tables

cfg = load_config({str(config)!r})
done = write_synthetic_tables(Path(tempfile.mkdtemp()) / "results")
plots.draw("throwaway_probe", {{"throwaway": results.load("throwaway", done)}})
plots.draw("throwaway_readout", {{"throwaway_readout": results.load("throwaway_readout", done)}})
print(json.dumps({{
    "report": {{f.name: f.category for f in wanted_figures(cfg)}},
    "tables": sorted(TABLES),
    "written": sorted(p.stem for p in (done / "tables").glob("*.parquet")),
    "kernels": [s.z_kernel.name for s in estimator_settings(cfg.mi)],
    "config_doc": cli.schema_markdown(),
    "tables_doc": cli.tables_markdown(),
}}))
"""))
    assert {name: got["report"][name] for name in ("throwaway_probe", "throwaway_readout", "throwaway_figure")} == {
        "throwaway_probe": "Probes", "throwaway_readout": "Read-outs", "throwaway_figure": "Mutual information"}
    assert {"throwaway", "throwaway_readout"} <= set(got["tables"]) & set(got["written"])
    assert got["kernels"] == ["gaussian", "throwaway"]
    # The generated docs (docs/tables.md, workflow/schemas/config.md) name the new table, probe, kind and kernel.
    assert "## `throwaway`" in got["tables_doc"] and "(gaussian, laplacian, polynomial, linear, throwaway)" in got[
        "tables_doc"]
    for key in ("`probes.throwaway.enabled`", "`readouts.throwaway_readout.enabled`", "`tasks.<name>.words`",
                "'throwaway'"):
        assert key in got["config_doc"], key


def test_an_mi_estimate_runs_under_the_new_kernel(extended):
    repo, _, _ = extended
    value = float(in_copy(repo, """
import numpy as np
from inforidge.mi import EstimatorSettings, mutual_information
z = np.random.default_rng(0).normal(size=(32, 4))
print(mutual_information(z, z[:, :2], EstimatorSettings(kernel="throwaway")))
"""))
    assert np.isfinite(value) and value > 0

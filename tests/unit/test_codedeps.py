"""The code inputs of a rule are the package files its script imports, followed transitively."""

from __future__ import annotations

from pathlib import Path

from inforidge.analyses.registry import analyses
from inforidge.workflow.codedeps import CodeGraph, code_files, reference_files

REPO = Path(__file__).resolve().parents[2]
SRC, SCRIPTS = REPO / "src", REPO / "workflow" / "scripts"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def names(paths: list[Path], root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in paths}


def test_follows_imports_packages_submodules_and_lazy_imports(tmp_path):
    write(tmp_path / "src", {
        "inforidge/__init__.py": "",
        "inforidge/a.py": "import os\nfrom inforidge.b import helper\n",
        "inforidge/b.py": "def helper():\n    from inforidge.sub import leaf\n    return leaf\n",
        "inforidge/sub/__init__.py": "",
        "inforidge/sub/leaf.py": "import inforidge.a\n",  # a cycle back to a
        "inforidge/sub/unused.py": "",
        "inforidge/config.py": "import inforidge.unused_by_config\n",
        "inforidge/unused_by_config.py": "",
        "inforidge/unrelated.py": "",
    })
    write(tmp_path, {"script.py": "from inforidge.a import x\nfrom inforidge import config\nimport numpy\n"})
    got = names(code_files(tmp_path / "script.py", tmp_path / "src"), tmp_path / "src")
    assert got == {"inforidge/__init__.py", "inforidge/a.py", "inforidge/b.py",
                   "inforidge/sub/__init__.py", "inforidge/sub/leaf.py"}


def test_mi_stage_code_includes_the_eigensolver_and_device_choice():
    got = names(code_files(SCRIPTS / "mi.py", SRC), SRC)
    assert {"inforidge/mi/eigensolver.py", "inforidge/mi/kernels.py", "inforidge/core/devices.py"} <= got
    assert not {"inforidge/models/training.py", "inforidge/probes/stage.py", "inforidge/config.py"} & got


def test_analysis_stages_include_their_registered_job_module():
    """An analysis rule's code is the one script plus what its spec names: the job's module (and the
    packages above it, which importing it runs) and, for a read-out, the reader of the dump's keys."""
    for spec in analyses():
        files = set(code_files(SCRIPTS / "analysis.py", SRC)).union(*(reference_files(r, SRC) for r in spec.code))
        got = names(sorted(files), SRC)
        job_path = spec.job.partition(":")[0].replace(".", "/")
        job_module = job_path + ".py"
        assert {job_module, job_path.rsplit("/", 1)[0] + "/__init__.py", "inforidge/core/devices.py"} <= got, spec.name
        # A probe reloads the model; only a read-out reads the activation store (its keys too).
        assert spec.input != "checkpoint" or "inforidge/models/modeling.py" in got, spec.name
        assert ("inforidge/activations/reader.py" in got) == (spec.input == "activations"), spec.name
        # The registries are declarations, like the config: editing them reruns no job.
        assert not {"inforidge/probes/registry.py", "inforidge/readouts/registry.py", "inforidge/analyses/registry.py",
                    "inforidge/figures/registry.py", "inforidge/config.py"} & got, spec.name


def test_reference_files_include_the_packages_that_importing_the_module_runs(tmp_path):
    write(tmp_path / "src", {
        "inforidge/__init__.py": "",
        "inforidge/pkg/__init__.py": "from inforidge import helper\n",
        "inforidge/pkg/job.py": "",
        "inforidge/helper.py": "",
    })
    got = names(reference_files("inforidge.pkg.job:run", tmp_path / "src"), tmp_path / "src")
    assert got == {"inforidge/__init__.py", "inforidge/pkg/__init__.py", "inforidge/pkg/job.py", "inforidge/helper.py"}


def test_every_rule_script_runs_some_package_code():
    for script in sorted(SCRIPTS.glob("*.py")):
        assert code_files(script, SRC), script.name


def test_data_stage_code_includes_every_registered_task_kind_module():
    """Kinds register on import; the imports are statements, so each kind's module is a data-rule input."""
    from inforidge.tasks.registry import TASK_KINDS

    got = names(code_files(SCRIPTS / "data.py", SRC), SRC)
    assert {f"inforidge/tasks/{kind}.py" for kind in TASK_KINDS.names()} <= got
    assert "inforidge/tasks/registry.py" not in got  # the registry itself is a declaration


def test_one_graph_for_every_rule_answers_as_a_fresh_graph_per_question():
    """Planning asks one CodeGraph (common.smk) for every rule; its file caches change no answer."""
    shared = CodeGraph(SRC)
    for script in sorted(SCRIPTS.glob("*.py")):
        assert shared.code_files(script) == CodeGraph(SRC).code_files(script), script.name
    for ref in {ref for spec in analyses() for ref in spec.code}:
        assert shared.reference_files(ref) == CodeGraph(SRC).reference_files(ref), ref

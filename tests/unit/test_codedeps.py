"""The code inputs of a rule are the package files its script imports, followed transitively."""

from __future__ import annotations

from pathlib import Path

from inforidge.probes.registry import PROBES
from inforidge.workflow.codedeps import code_files, reference_files

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


def test_probe_stages_include_their_registered_job_module():
    """A probe rule's code is the generic script plus the module its registry entry names."""
    for spec in PROBES:
        files = set(code_files(SCRIPTS / "probe.py", SRC)) | set(reference_files(spec.job, SRC))
        got = names(sorted(files), SRC)
        job_module = "inforidge/" + spec.job.partition(":")[0].removeprefix("inforidge.").replace(".", "/") + ".py"
        assert {"inforidge/models/modeling.py", "inforidge/core/devices.py", job_module} <= got, spec.name
        # The registries are declarations, like the config: editing them reruns no job.
        assert not {"inforidge/probes/registry.py", "inforidge/figures/registry.py", "inforidge/config.py"} & got, spec.name


def test_every_rule_script_runs_some_package_code():
    for script in sorted(SCRIPTS.glob("*.py")):
        assert code_files(script, SRC), script.name


def test_data_stage_code_includes_every_registered_task_kind_module():
    """Kinds register on import; the imports are statements, so each kind's module is a data-rule input."""
    from inforidge.tasks.registry import TASK_KINDS

    got = names(code_files(SCRIPTS / "data.py", SRC), SRC)
    assert {f"inforidge/tasks/{kind}.py" for kind in TASK_KINDS.names()} <= got
    assert "inforidge/tasks/registry.py" not in got  # the registry itself is a declaration

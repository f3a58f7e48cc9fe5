"""envs/*.yaml (Snakemake conda environments) parse and agree with requirements.lock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENVS = sorted((REPO / "envs").glob("*.yaml"))
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|=)\s*([^\s=;#]+)\s*$")


def normalize(name: str) -> str:
    """PEP 503 name normalization (PyYAML == pyyaml, huggingface_hub == huggingface-hub)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = PIN.match(line)
            assert m and m.group(2) == "==", f"requirements.lock: unpinned line {line!r}"
            pins[normalize(m.group(1))] = m.group(3)
    return pins


def env_pins(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(conda pins, pip pins) of an environment file."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict) and isinstance(data.get("dependencies"), list), f"{path.name}: no dependencies list"
    conda, pip = {}, {}
    for dep in data["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, f"{path.name}: unexpected mapping {dep}"
            for req in dep["pip"]:
                m = PIN.match(req)
                assert m and m.group(2) == "==", f"{path.name}: pip requirement {req!r} is not pinned with =="
                pip[normalize(m.group(1))] = m.group(3)
        else:
            m = PIN.match(str(dep))
            if m:
                conda[normalize(m.group(1))] = m.group(3)
    return conda, pip


def test_there_are_stage_environments():
    assert {p.stem for p in ENVS} >= {"train", "analysis"}, ENVS


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_parses_and_matches_the_lock(path):
    data = yaml.safe_load(path.read_text())
    assert data.get("channels"), f"{path.name}: name the channels (conda-forge)"
    conda, pip = env_pins(path)
    assert "python" in conda, f"{path.name}: pin the python version"
    assert "pip" in [str(d) for d in data["dependencies"]], f"{path.name}: pip deps need `- pip`"
    pins = lock()
    for name, version in {**conda, **pip}.items():
        if name == "python":
            continue
        assert name in pins, f"{path.name}: {name} is not in requirements.lock"
        assert version == pins[name], f"{path.name}: {name}=={version} but requirements.lock pins {pins[name]}"
    # Every stage imports inforidge.workflow.jobs, hence threadpoolctl (inforidge.core.threads); model stages need torch;
    # the config reader needs PyYAML.
    assert {"torch", "pyyaml", "pandas", "threadpoolctl"} <= set(pip), f"{path.name}: misses the packages every stage imports"


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_python_matches_the_venv(path):
    import sys

    conda, _ = env_pins(path)
    assert conda["python"] == f"{sys.version_info.major}.{sys.version_info.minor}", path.name


@pytest.mark.parametrize("smk", sorted((REPO / "workflow" / "rules").glob("*.smk")), ids=lambda p: p.name)
def test_every_script_rule_names_a_conda_env(smk):
    """`--sdm conda` runs each stage in its pinned environment: no script rule may fall back to the host's."""
    text = smk.read_text()
    scripts = len(re.findall(r"^\s*script:", text, re.M))
    envs = re.findall(r'^\s*conda:\s*\n\s*"\.\./\.\./envs/([a-z]+\.yaml)"', text, re.M)
    assert len(envs) == scripts, f"{smk.name}: {scripts} script rules, {len(envs)} conda directives"
    assert {REPO / "envs" / name for name in envs} <= set(ENVS), envs

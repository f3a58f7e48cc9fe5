"""Reaching the hub or failing at once (inforidge.core.hub); nothing here touches the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from inforidge.core.hub import MISSING, REASON_ENV, hub_unreachable, missing_line

# Runs in a fresh process: huggingface_hub and datasets read HF_HOME / HF_HUB_OFFLINE when imported.
LOADER = """
from inforidge.models.modeling import load_model
from inforidge.tasks.sources import load_table
for load in (lambda: load_model("org/absent", revision="step7"), lambda: load_table("org/absent-data")):
    try:
        load()
    except FileNotFoundError as err:
        print(type(err).__name__, err)
"""


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_is_known_without_a_probe(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_unreachable() == "HF_HUB_OFFLINE is set"


def test_an_unreachable_endpoint_is_reported_in_seconds(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    start = time.perf_counter()
    reason = hub_unreachable(timeout=1.0)
    assert reason is not None and reason.startswith("cannot connect to 127.0.0.1:"), reason
    assert time.perf_counter() - start < 3


def test_the_line_names_what_is_missing_and_why(monkeypatch):
    monkeypatch.setenv(REASON_ENV, "cannot resolve huggingface.co")
    line = missing_line("model", "org/m", "step7")
    assert line.startswith(f"model 'org/m' at revision step7 {MISSING} (")
    assert line.endswith("and the hub cannot be reached (cannot resolve huggingface.co)")


def test_offline_loads_from_an_empty_cache_fail_naming_the_source(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop(REASON_ENV, None)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LOADER], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"HubUnavailable tokenizer of model 'org/absent' at revision step7 {MISSING} "
                               f"({tmp_path / 'hub'}) and the hub cannot be reached (HF_HUB_OFFLINE is set)"), lines
    assert lines[1].startswith(f"HubUnavailable dataset 'org/absent-data' {MISSING} ({tmp_path / 'datasets'})"), lines
    assert time.perf_counter() - start < 60  # no retries

# Front door: `make run` runs the embedded default, `make test` runs the test suite.
# Both create the virtual environment (.venv) with the pinned dependencies first.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: install run cluster test dry-run report clean fixtures paper-offline

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# --rerun-incomplete: a job killed last time is simply redone (its outputs never look complete).
# --keep-going: a failing run does not stop the others; the end of the output names what failed.
run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete --keep-going

# Submit heavy jobs to SLURM with the profile profiles/slurm (./slurm links to it; docs/cluster.md).
cluster: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --profile slurm

dry-run: $(STAMP)
	$(BIN)/snakemake -n

report: run
	$(BIN)/snakemake --report results/report.html

# Two pytest workers (pytest-xdist): one runs a workflow while the other fills the idle core;
# a module's tests, and the users of the shared reference run, stay on one worker, the longest
# groups first (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -q -n $(TEST_WORKERS) --no-loadscope-reorder

# Small real-architecture models with the real GPT-2/Llama 3/Qwen2 tokenizers (offline stand-ins).
FIXTURES ?= .cache/inforidge-fixtures/models
fixtures: $(STAMP)
	$(BIN)/python -m inforidge.fixtures build $(FIXTURES)

# The offline mirror of configs/paper.yaml: the family fixtures and local dataset files (in the
# hub datasets' schemas) under .cache/inforidge-fixtures/, then every stage and the HTML report.
MIRROR_DATA ?= .cache/inforidge-fixtures/data
paper-offline: fixtures
	$(BIN)/python -m inforidge.fixtures.datasets $(MIRROR_DATA)
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete --keep-going --configfile configs/paper-offline.yaml
	$(BIN)/snakemake --cores $(CORES) --configfile configs/paper-offline.yaml --report results/report.html

clean:
	rm -rf results logs .snakemake benchmarks/results

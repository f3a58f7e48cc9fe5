# Front door: `make run` runs the embedded default, `make test` runs the test suite.
# Both create the virtual environment (.venv) with the pinned dependencies first.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: install run test dry-run report clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

dry-run: $(STAMP)
	$(BIN)/snakemake -n

report: run
	$(BIN)/snakemake --report results/report.html

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -q

clean:
	rm -rf results logs .snakemake benchmarks/results

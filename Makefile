# The two commands in the README are `make run` and `make test`; each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit docs browser bench clean

# The virtual environment is rebuilt whenever a file that declares a dependency changes.
$(STAMP): pyproject.toml requirements-dev.txt $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(STAMP)
	$(BIN)/layerkit train

test: lint unit docs browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not browser"

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

browser: $(STAMP)
	bash scripts/install_chromium.sh
	$(BIN)/python -m pytest -m browser

# PyTorch (the CPU build) is only for the benchmark's comparison column, so it is installed
# here and not by the test set-up; without it the column says "not installed".
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet "torch==2.13.0" || echo "PyTorch could not be installed: its column will be empty"
	$(BIN)/python benchmarks/train_step.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) site .pytest_cache .ruff_cache .hypothesis

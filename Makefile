# The two commands in the README are `make run` and `make test`; each sets up what it needs in
# a local virtual environment (.venv), one level at a time: `make run` installs only what the
# main job needs (requirements-run.txt), `make test` adds the test and docs tools
# (requirements-dev.txt). `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# -qq: pip prints errors only, so a failed install stands out (not every package's warnings).
PIP    := $(BIN)/python -m pip --disable-pip-version-check install --quiet --quiet
# Extra arguments for `python -m venv` (the tests of this Makefile pass --without-pip).
VENV_ARGS :=

# One stamp per level, written only after that level's pip call succeeded. While a call runs,
# .incomplete exists; if it fails or is interrupted, the next make rebuilds the venv.
MADE       := $(VENV)/.made-by-make
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DECLARED   := pyproject.toml $(wildcard plugins/*/pyproject.toml)

.DEFAULT_GOAL := help
.PHONY: help run test setup setup-dev lint unit docs browser bench bench-device clean FORCE

help: ## list the targets, one line each
	@echo "usage: make TARGET   (the virtual environment is $(VENV), made with PYTHON=$(PYTHON))"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/\1|\2/' \
		| awk -F'|' '{ printf "  %-11s %s\n", $$1, $$2 }'

# Checked on every call: a venv of another Python, or one a failed set-up left, is rebuilt.
$(MADE): FORCE
	@bash scripts/ensure_venv.sh "$(PYTHON)" $(VENV) $(VENV_ARGS)

$(RUN_STAMP): $(MADE) requirements-run.txt $(DECLARED)
	@touch $(VENV)/.incomplete
	$(PIP) -r requirements-run.txt
	@rm $(VENV)/.incomplete
	@touch $@

$(TEST_STAMP): $(RUN_STAMP) requirements-dev.txt
	@touch $(VENV)/.incomplete
	$(PIP) -r requirements-dev.txt
	@rm $(VENV)/.incomplete
	@touch $@

setup: $(RUN_STAMP) ## install what `make run` needs: layerkit[cli] and the first-party plugins

setup-dev: $(TEST_STAMP) ## add what `make test` needs: the test, docs and plot tools

run: $(RUN_STAMP) ## the main job: `layerkit train` on the half adder
	$(BIN)/layerkit train

# Once set up, every stage runs even when an earlier one failed, so one failure hides no
# other; the failed stages are named at the end.
test: $(TEST_STAMP) ## the whole test suite: lint, docs, unit, browser; names the failed ones
	@failed=""; for stage in lint docs unit browser; do \
		$(MAKE) --no-print-directory $$stage || failed="$$failed $$stage"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed" >&2; exit 1; fi

lint: $(TEST_STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The tests that read the built site use site/ (LAYERKIT_SITE) when `make docs` built it
# strictly after its sources last changed, so `make test` builds it once; otherwise they
# build their own (tests/conftest.py). site/.built-strictly exists only after a strict build.
unit: $(TEST_STAMP) ## every test but the browser ones, docs examples included
	LAYERKIT_SITE=$(CURDIR)/site $(BIN)/python -m pytest -m "not browser"

docs: $(TEST_STAMP) ## build the site into site/ with mkdocs build --strict
	@rm -f site/.built-strictly
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@touch site/.built-strictly

browser: $(TEST_STAMP) ## open the site in headless Chromium (installs Debian's chromium)
	bash scripts/install_chromium.sh
	LAYERKIT_SITE=$(CURDIR)/site $(BIN)/python -m pytest -m browser

# PyTorch (the CPU build) gives the benchmarks' comparison columns. `make bench` needs only the
# run level, so it installs PyTorch itself (the test set-up has it too, for the hand-over tests);
# without it those columns say "not installed".
# BENCH_ARGS go to the training-step benchmark, EPOCH_ARGS to the epoch one: --quick for a
# smoke run of either.
bench: $(RUN_STAMP) ## the speed benchmarks, a step and an epoch (installs PyTorch to compare)
	$(PIP) "torch==2.13.0" || echo "PyTorch could not be installed: its columns will be empty"
	$(BIN)/python benchmarks/train_step.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/epoch.py $(EPOCH_ARGS)

# The device benchmark uses the PyTorch (or CuPy) already in the venv, so that a CUDA build
# installed there by hand is kept; only without one it installs torch==2.13.0, which where a
# CPU-only wheel is on the local index (as on this project's machines) is that one, and the
# script then says there is no device. DEVICE_ARGS go to it, e.g. --backend cupy or --quick.
bench-device: $(RUN_STAMP) ## the device benchmark (GPU; says so and exits 0 without one)
	$(BIN)/python -c "import torch" 2>/dev/null || $(PIP) "torch==2.13.0" \
		|| echo "PyTorch could not be installed: the script will say so"
	$(BIN)/python benchmarks/device.py $(DEVICE_ARGS)

clean: ## remove the venv, the built site and the caches
	rm -rf $(VENV) site .pytest_cache .ruff_cache .hypothesis

FORCE:

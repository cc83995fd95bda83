# make demo  — run source_check on generated sample submissions for Putuo's 10 街镇
# make test  — lint, type-check and test (creates .venv on first use)
# make rules-readme — regenerate the rule catalogue rules/README.md from the packs
# make bench — speed and detection benchmarks (minutes; not part of make test)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench rules-readme clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,gx]"
	touch $(STAMP)

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,gx,bench]"
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/python -m source_check.demo demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

rules-readme: $(STAMP)
	$(BIN)/source-check rules-doc rules

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_detect.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-out source-check-out

# partrack — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export PARTRACK_TEST_PG_URL ?= $(PG_URL)

.PHONY: run setup db test test-sqlite test-postgres lint typecheck format bench clean

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	@scripts/ensure-pdf-deps.sh

## Migrate, load Plan 84 if the database is empty, and serve on http://127.0.0.1:8000
run: $(STAMP)
	@scripts/ensure-pdf-deps.sh
	$(BIN)/partrack db upgrade
	$(BIN)/partrack seed --if-empty
	$(BIN)/partrack user ensure-admin
	$(BIN)/partrack serve

## The whole suite on SQLite, then on a fresh PostgreSQL database
test: $(STAMP)
	@scripts/ensure-chromium.sh
	@scripts/ensure-pdf-deps.sh
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	@echo "=== tests on SQLite ==="
	PARTRACK_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "=== tests on PostgreSQL ($(PARTRACK_TEST_PG_URL)) ==="
	@if $(BIN)/python scripts/pg_ready.py "$(PARTRACK_TEST_PG_URL)"; then \
		PARTRACK_TEST_DB=postgresql $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
		echo "ERROR: PostgreSQL is unreachable and CI is set: the PostgreSQL leg cannot be skipped." >&2; \
		exit 1; \
	else \
		echo ""; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!  WARNING: PostgreSQL unreachable at $(PARTRACK_TEST_PG_URL)"; \
		echo "!!  The PostgreSQL leg was SKIPPED. Only SQLite was tested. CI would fail here."; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

## ruff (lint and format) and mypy; CI runs it before the tests
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## mypy over app/ (configuration in pyproject.toml; strict on the core modules)
typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	@for f in bench/*.py; do [ -e "$$f" ] && $(BIN)/python "$$f"; done; true

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

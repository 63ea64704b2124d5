# Plant Analytics: `make` lists every command. The README's two: `make up`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PA := $(VENV)/bin/plant-analytics
export PA_DATA_DIR ?= $(CURDIR)/var
# Where the tests find this machine's services; override to point elsewhere.
export PA_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export PA_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export PA_TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672/%2F

.PHONY: help
help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_%-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: install
install: $(VENV)/.installed ## Set up the Python environment in .venv (the other targets call this)

.PHONY: test
test: install ## Run every test: Python (SQLite, PostgreSQL, Redis, RabbitMQ, Airflow, deploy) and the dashboard
	$(MAKE) --no-print-directory test-python web-check-api web-test web-e2e

.PHONY: test-python
test-python: install ## Run the Python test suite only
	$(PY) -m pytest -q $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff and mypy
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy

.PHONY: fmt
fmt: install ## Format the code with ruff
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

.PHONY: migrate
migrate: install ## Apply the database migrations (PA_DATABASE_URL, SQLite by default)
	$(PA) db upgrade

.PHONY: seed
seed: migrate ## Load the bundled sample eGRID files
	$(PA) seed

.PHONY: up
up: seed web-build ## Install, migrate, load the sample data, build the dashboard, run on http://localhost:8000 (FETCH=latest|YEAR|all: EPA's files too)
	@$(if $(FETCH),$(PA) fetch $(FETCH) || echo "fetch $(FETCH) failed (see above): serving what is loaded",true)  # offline-safe: nothing is downloaded unless FETCH is set
	@$(PA) serve --target all || [ $$? -eq 130 ]  # 130: stopped with Ctrl-C

.PHONY: bench
bench: bench-ingest ## Run every benchmark

.PHONY: bench-ingest
bench-ingest: install ## Ingest speed on a full-size synthetic workbook, side by side
	$(PY) -m plant_analytics.bench.ingest

.PHONY: docs
docs: install ## Regenerate the generated sections of docs/ (settings table)
	$(PY) tools/gen_docs.py

.PHONY: clean
clean: ## Remove the environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

-include mk/*.mk

# The ingestion pipeline: Airflow's own environment, and the pipeline's tests.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_PY := $(AIRFLOW_VENV)/bin/python

# Created once, and again only when airflow/requirements.txt changes.
$(AIRFLOW_VENV)/.installed: airflow/requirements.txt
	@test -x $(AIRFLOW_PY) || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_PY) -m pip install --quiet --upgrade pip
	$(AIRFLOW_PY) -m pip install --quiet -r airflow/requirements.txt
	@touch $@

.PHONY: airflow-venv
airflow-venv: $(AIRFLOW_VENV)/.installed ## Set up Airflow's own environment in .venv-airflow (for the DAG)

# `make test` runs tests/airflow too: make sure Airflow's environment exists first.
test-python: airflow-venv

.PHONY: test-pipeline
test-pipeline: install ## Run the pipeline's tests (storage, queue, API, worker, scheduler, faults)
	$(PY) -m pytest -q tests/infra/test_storage.py tests/infra/test_queue.py tests/pipeline $(PYTEST_ARGS)

.PHONY: test-airflow
test-airflow: install airflow-venv ## Run the Airflow DAG's tests with real Airflow
	$(PY) -m pytest -q tests/airflow $(PYTEST_ARGS)

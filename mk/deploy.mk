# Deployment: validate the Helm chart, Compose file, Prometheus rules and Grafana dashboard
# (no Docker engine or cluster needed), and drive the Compose stack where Docker runs.
COMPOSE ?= docker compose

.PHONY: lint-deploy
lint-deploy: install ## Validate the Helm chart, Compose file, alert rules and dashboards (no cluster needed)
	@bash deploy/scripts/install-promtool.sh >/dev/null
	$(PY) -m pytest -q tests/deploy $(PYTEST_ARGS)

.PHONY: compose-up
compose-up: install ## Start the full stack in Docker Compose (creates .env and the JWT key on first run)
	$(PY) deploy/compose/init_env.py
	$(COMPOSE) up --detach --build --wait

.PHONY: compose-down
compose-down: ## Stop the Compose stack (keeps its volumes; docs/deployment.md says how to drop them)
	$(COMPOSE) down --remove-orphans

.PHONY: logs-%
logs-%: ## Follow one Compose service's logs, e.g. make logs-gateway
	$(COMPOSE) logs --follow --tail=200 $*

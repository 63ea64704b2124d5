# The microservices mode on this machine (plant_analytics.devstack).

.PHONY: up-services
up-services: install ## Run gateway :8000, auth :5001, api :3000, worker, scheduler as processes on local PostgreSQL, Redis, RabbitMQ
	$(PY) -m plant_analytics.devstack

.PHONY: openapi
openapi: install ## Write the platform's OpenAPI document to web/openapi.json (the dashboard's client is generated from it)
	$(PA) openapi --out web/openapi.json

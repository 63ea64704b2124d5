# The analytics API benchmark (docs/benchmarks.md, "## API"): every scenario side by side in
# one run, repeated (BENCH_API_ARGS="--repeat 5 --seconds 10"), medians reported. The gateway
# scenario starts auth, api and gateway as three processes on this machine's PostgreSQL and
# Redis (PA_BENCH_POSTGRES_URL, PA_BENCH_REDIS_URL); without them its row says why not.

.PHONY: bench-api
bench-api: install ## API req/s and p50/p99 with wrk: floor, /plants/top cached, uncached, via the gateway (PostgreSQL + Redis)
	@command -v wrk >/dev/null || { echo "installing wrk (Debian package)"; \
		(apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null; }
	$(PY) -m plant_analytics.bench.api $(BENCH_API_ARGS)

bench: bench-api

.PHONY: bench-emissions
bench-emissions: install ## Emissions estimate of 100,000 sites (parse, estimate, CSV), SQLite (docs/benchmarks.md, "## Emissions")
	$(PY) -m plant_analytics.bench.emissions $(BENCH_EMISSIONS_ARGS)

bench: bench-emissions

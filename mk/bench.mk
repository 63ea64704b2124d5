# The analytics API benchmark (docs/benchmarks.md, "## API").

.PHONY: bench-api
bench-api: install ## API req/s and p50/p99 with wrk: bare ASGI floor, /plants/top cached and uncached
	@command -v wrk >/dev/null || { echo "installing wrk (Debian package)"; \
		(apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null; }
	$(PY) -m plant_analytics.bench.api $(BENCH_API_ARGS)

bench: bench-api

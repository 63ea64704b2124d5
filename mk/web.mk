# The dashboard (web/): Vite + React + TypeScript. See docs/dashboard.md.
WEB := web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(WEB)/index.html $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/vite.config.ts \
	$(WEB)/tsconfig.json $(WEB)/tsconfig.app.json $(WEB)/tsconfig.node.json
CHROMIUM ?= /usr/bin/chromium

# npm ci only when the lock file changed since the last install.
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

.PHONY: web-install
web-install: $(WEB)/node_modules/.installed ## Install the dashboard's npm packages (npm ci, skipped when up to date)

# Rebuilt only when a source, the lock file or a config is newer than the last build.
$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && npm run build

.PHONY: web-build
web-build: $(WEB)/dist/index.html ## Build the dashboard into web/dist when missing or stale (the gateway serves it at /)

.PHONY: web-dev
web-dev: web-install ## Dashboard dev mode: Vite with hot reload on :4000, proxying /api, /auth to the platform on :8000
	cd $(WEB) && npm run dev

.PHONY: web-test
web-test: web-install ## Dashboard unit and component tests (Vitest) and the type check
	cd $(WEB) && npx tsc -b && npx vitest run

.PHONY: web-gen-api
web-gen-api: web-install install ## Regenerate the dashboard's typed API client from the platform's OpenAPI document
	cd $(WEB) && npm run gen:api

.PHONY: web-check-api
web-check-api: web-install install ## Fail when the committed API client is stale against the platform's OpenAPI document
	cd $(WEB) && npm run check:api

$(CHROMIUM):
	apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

.PHONY: web-e2e
web-e2e: web-build install $(CHROMIUM) ## End-to-end tests in headless Chromium against a real platform with the sample data
	cd $(WEB) && PA_REPO=$(CURDIR) CHROMIUM=$(CHROMIUM) npm run e2e

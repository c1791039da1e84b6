# Kuaiban: `make run` starts the whole platform, `make test` runs the whole suite.
# Both create .venv and install the pinned dependencies (requirements.lock and
# requirements-dev.lock) on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test test-unit test-interface test-e2e test-faults lint bench bench-ledger up down clean web web-test web-api-types

$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<27"
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

run: $(VENV)/.installed web  ## the whole platform on http://localhost:8000 (Ctrl-C stops it)
	$(PY) -m shared.launcher

# The suite runs as two pytest sessions side by side (tests/tiers.py): the process-heavy tiers
# mostly wait, the in-process ones keep the cores busy meanwhile.
test: $(VENV)/.installed lint web  ## lint, then the whole suite against the real broker and database (tests/faults too)
	cd web && npx vitest run
	$(PY) -m tests.tiers $(PYTEST_ARGS)

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-interface: $(VENV)/.installed
	$(PY) -m pytest tests/interface $(PYTEST_ARGS)

test-e2e: $(VENV)/.installed
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# Breaks things on purpose (broker restart, kill -9, database outage, ...) on a private RabbitMQ
# node and database of its own; needs rabbitmq-server installed. Also part of `make test`.
test-faults: $(VENV)/.installed
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

# The web workspace (web/): installed from its lockfile, built again only when its sources change.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npx tsc --noEmit && npx vite build
	touch $@

web: web/dist/index.html

web-test: web/node_modules/.installed  ## Vitest: the workspace's own logic
	cd web && npx vitest run

# The API types the workspace is compiled against, from the gateway's OpenAPI document (no server needed).
web-api-types: $(VENV)/.installed web/node_modules/.installed
	$(PY) -W ignore web/scripts/openapi_spec.py > web/openapi.json
	cd web && npx openapi-typescript openapi.json -o src/lib/api-types.ts

# Not part of `make test`: seeds BENCH_LEADS leads (default 100000) and 1,000, measures the
# platform at both sizes on the embedded database and prints one table (bench/bench.py).
bench: $(VENV)/.installed
	$(PY) bench/bench.py

# Not part of `make test`: a ledger of BENCH_LEDGER_ROWS rows (default 5,000) imported over HTTP
# (dry run, commit, the same file again, until every lead is assigned); prints the figures.
bench-ledger: $(VENV)/.installed
	$(PY) bench/ledger.py

# ruff over the whole tree; mypy over shared/ and the pure domain modules (rules, no I/O).
# Settings in pyproject.toml. Fails on the first finding.
TYPED := shared $(wildcard services/*/domain.py) services/leads/pipeline.py services/leads/progress.py \
	services/sla/calendar.py services/supervision/periods.py services/supervision/reports.py \
	services/supervision/tasks.py

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy $(TYPED)

up:  ## the platform in containers (needs a Docker engine)
	docker compose up -d --build

# compose insists on the gateway's secrets for any command; stopping needs none of them.
COMPOSE_SECRETS := KUAIBAN_ADMIN_PASSWORD KUAIBAN_JWT_SECRET KUAIBAN_RABBITMQ_PASSWORD \
	KUAIBAN_MONGO_ROOT_PASSWORD KUAIBAN_MONGO_PASSWORD
down:
	$(foreach s,$(COMPOSE_SECRETS),$(s)=$${$(s):-unset}) docker compose down

clean:
	rm -rf $(VENV) .pytest_cache

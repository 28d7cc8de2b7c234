# Two commands on a fresh machine: `make run` and `make test`. Both create .venv and install on demand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The settings keep DEBUG off unless set (production fails safe); these targets are development's.
export DEBUG ?= true
# Stamps named by the checksum of what they installed: editing a requirements file changes the name,
# so the next target that needs it installs again. The dev stamp covers both files (dev includes prod).
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install install-dev migrate seed run test bench bench-tenants run-prod load fuzz check stop-db clean-data intent-model editor

# The service's packages only (`make run`, production).
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Plus the tests' and the linter's (`make test`, `make check`); this installs requirements.txt too.
$(DEV_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP) $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	$(PY) manage.py migrate_schemas --noinput -v 0

seed: migrate
	$(PY) manage.py seed_demo --port $(PORT)

# Development runs the production server (gunicorn, config/gunicorn.conf.py) with DEBUG on: it reloads
# on code changes, reads chunked bodies and keeps a bounded pool of database connections, as production
# does. DEBUG is set here, for `run` and what it runs first (seed, migrate), whatever the default.
run: export DEBUG := true
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://localhost:$(PORT)/ (tenants: http://acme.localhost:$(PORT)/, http://globex.localhost:$(PORT)/)"
	@echo "A background worker runs evaluation jobs beside the web server; Ctrl-C stops both."
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py procrastinate worker --queues evaluations --name dev-worker & worker=$$!; \
	PORT=$(PORT) $(PY) -m gunicorn --config config/gunicorn.conf.py

test: install-dev
	$(PY) -m pytest

check: install-dev
	$(PY) -m ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The servers it measures run with DEBUG off, as in production: they serve what collectstatic gathered.
bench: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m bench

# BENCH_TENANTS tenants (default 1,000; about 20 minutes on 2 busy cores): provisioning, migrate_schemas,
# request p50 at the first and last tenant, worker memory. Merged into bench/results.json under "tenants".
BENCH_TENANTS ?= 1000
bench-tenants: migrate
	BENCH_TENANTS=$(BENCH_TENANTS) $(PY) -m bench.tenants_bench

# The production layout on one machine (docs/scaling.md): gunicorn (config/gunicorn.conf.py: gthread,
# WEB_CONCURRENCY workers × WEB_THREADS threads), a task worker, Redis, DEBUG off.
# Needs REDIS_URL (answering), SECRET_KEY and DATABASE_URL (or ALLOW_EMBEDDED_DATABASE=true to try it).
run-prod: export DEBUG := false
run-prod: install
	@test -n "$$REDIS_URL" || { echo "run-prod needs REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0"; exit 2; }
	@$(PY) -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).ping()" 2>/dev/null \
		|| { echo "Redis does not answer at $$REDIS_URL"; exit 2; }
	$(PY) manage.py migrate_schemas --noinput -v 0
	$(PY) manage.py refresh_tenant_template
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Production layout on http://127.0.0.1:$(PORT)/: gunicorn (config/gunicorn.conf.py), a task worker, Redis at $$REDIS_URL. Ctrl-C stops all."
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py procrastinate worker --queues evaluations --name prod-worker & worker=$$!; \
	PORT=$(PORT) $(PY) -m gunicorn --config config/gunicorn.conf.py

# Retrain the intent classifier from tests/personas/data/intents.jsonl (docs/intents.md).
intent-model: install-dev
	$(PY) -m personas.intents.train

# The admin's spec editor: rebuilds static/editor/ (committed) from frontend/ after a change there.
# Needs node 20+ and npm; `make run` and `make test` never do.
editor:
	cd frontend && npm ci --no-audit --no-fund && npm run build

# 50 clients for 60 s against the production server setup (bench/load.py: gunicorn, DEBUG off, Redis);
# fails on any 5xx, a twin without exactly one active version, or a publish without its audit event.
# DEBUG is on only for the migration and the runner's own set-up; the server it starts runs with it off.
load: export DEBUG := true
load: migrate
	$(PY) -m bench.load

# schemathesis over real HTTP on a fresh tenant: every operation, stateful links, FUZZ_CASES (default
# 1000) generated cases at least; fails on a 5xx or anything the OpenAPI schema does not document.
# The server it starts runs with DEBUG off, as in production: it serves what collectstatic gathered.
fuzz: install-dev migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m fuzz

# The embedded server stops by itself when the last process using it exits normally; after a
# kill -9 (or a background job killed with SIGTERM) it keeps running until this.
stop-db: install
	@$(PY) -c "from pathlib import Path; from config.database import stop_embedded_server as stop; \
	print('embedded PostgreSQL stopped' if stop(Path('.data/postgres')) else 'no embedded PostgreSQL running')"

clean-data: stop-db
	rm -rf .data

# The README's two commands are `make demo` and `make test`; each installs what it needs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export FLASK_APP := comarketing

.PHONY: install demo test test-sqlite test-postgresql lint db-check browser-deps bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

DEMO_PORT ?= 5000

## Start the app with demo data on SQLite in instance/ at http://127.0.0.1:5000, and beside it
## a job worker with the scheduler (Procfile, run by honcho; the jobs' broker is an SQLite file
## in instance/ too). Ctrl-C stops both.
demo: install
	COMARKETING_ENV=development $(VENV)/bin/flask db upgrade
	COMARKETING_ENV=development $(VENV)/bin/flask seed-demo
	COMARKETING_ENV=development PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -p $(DEMO_PORT)

## Run the whole suite: SQLite (with the browser journeys) and, if TEST_DATABASE_URL is set,
## PostgreSQL, side by side (one pass per core); each pass prints its report when it ends.
test: install browser-deps
	@echo "Running the SQLite and PostgreSQL passes side by side; each prints its report when done."
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgresql

test-sqlite: install
	@start=$$(date +%s); $(PY) -m pytest; status=$$?; \
	echo "SQLite pass: $$(( $$(date +%s) - start )) s wall"; exit $$status

## The PostgreSQL pass runs its drills (`slow`: real processes, mostly waiting out outages of
## 10-45 s) in a second process beside the rest, each on a database of its own; the drills'
## report follows the main one.
test-postgresql: install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  start=$$(date +%s); drills=$$(mktemp); \
	  $(PY) -m pytest --backend=postgresql -m "slow and not browser" > $$drills 2>&1 & drill_pid=$$!; \
	  $(PY) -m pytest --backend=postgresql -m "not browser and not slow"; status=$$?; \
	  wait $$drill_pid; drill_status=$$?; \
	  echo "== PostgreSQL drills (slow, run beside the pass above)"; cat $$drills; rm -f $$drills; \
	  echo "PostgreSQL pass: $$(( $$(date +%s) - start )) s wall"; \
	  [ $$status -eq 0 ] && [ $$drill_status -eq 0 ]; \
	else \
	  echo "TEST_DATABASE_URL is not set: the PostgreSQL pass was not run."; \
	fi

browser-deps:
	@scripts/ensure-chromium.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Models and migrations in step: upgrade a scratch database to head, then `flask db check`
db-check: install
	@tmp=$$(mktemp -d); \
	export COMARKETING_ENV=development DATABASE_URL="$${DB_CHECK_URL:-sqlite:///$$tmp/check.sqlite}" SECRET_KEY=$$(head -c 48 /dev/urandom | base64); \
	$(VENV)/bin/flask db upgrade >/dev/null && $(VENV)/bin/flask db check; status=$$?; rm -rf $$tmp; exit $$status

bench: install
	@set -e; for f in bench/*.py; do echo "== $$f"; $(PY) $$f; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

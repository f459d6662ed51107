# CoPlan: the commands the README names. Everything installs into .venv from the project's files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run prod test test-fast test-sqlite test-postgres e2e lint bench bench-load translations system-deps clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations --statistics

# Chromium, a CJK TrueType font and poppler's pdftotext/pdftoppm (browser tests, PDFs and the
# tests that read them back): installed with apt when root.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing with apt"; \
	    (apt-get install -y -q $$missing || (apt-get update -q && apt-get install -y -q $$missing)) >/dev/null; \
	  else echo "note: please install$$missing (apt-get install$$missing); browser tests and PDFs need them"; fi; \
	fi

run: translations
	@if [ "$$COPLAN_ENV" = production ]; then echo "make run seeds the demo: not with COPLAN_ENV=production (README, Deploying)"; exit 1; fi
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --url http://$(HOST):$(PORT)
	$(BIN)/python bin/run.py --host $(HOST) --port $(PORT)

# Production in one command (README, Deploying): migrations, then gunicorn (deploy/gunicorn.conf.py:
# 4 workers on COPLAN_BIND, default 127.0.0.1:8000) with COPLAN_ENV=production, on PostgreSQL, rate
# limits on Redis; deploy/preflight.py refuses first, saying why, without SECRET_KEY, PostgreSQL
# or Redis. Installs nothing (pip install -r requirements.txt first). `exec`: Ctrl-C and
# SIGTERM (make passes it on) reach gunicorn, which stops its workers.
prod: export COPLAN_ENV := production
prod:
	@[ -x $(BIN)/gunicorn ] || { echo "make prod: $(BIN)/gunicorn missing: python3 -m venv $(VENV) && $(BIN)/pip install -r requirements.txt" >&2; exit 1; }
	@$(BIN)/python deploy/preflight.py
	$(BIN)/pybabel -q compile -d app/translations
	$(BIN)/flask db upgrade
	exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'

test: translations system-deps
	$(MAKE) test-sqlite
	@if [ -n "$$COPLAN_TEST_DATABASE_URL" ]; then $(MAKE) test-postgres; \
	else echo "COPLAN_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

# pytest-xdist workers (XDIST= runs in one process); each has its own app and database.
XDIST ?= -n 2

test-sqlite:
	@echo "== tests on SQLite =="
	env -u COPLAN_TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider $(XDIST) $(PYTEST_ARGS)

# Only the tests that use the database (marker db): the pure ones already ran on SQLite.
test-postgres:
	@echo "== tests on PostgreSQL: $$COPLAN_TEST_DATABASE_URL =="
	$(BIN)/pytest -q -p no:cacheprovider $(XDIST) -m db $(PYTEST_ARGS)

# The quick loop while developing: SQLite, no slow or browser tests, few Hypothesis examples.
test-fast: translations
	env -u COPLAN_TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider $(XDIST) -m "not slow and not e2e" $(PYTEST_ARGS)

# Only the browser tests (Debian's Chromium at a phone size); screenshots in artifacts/e2e/.
e2e: translations system-deps
	$(BIN)/pytest -q -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	COPLAN_INSTANCE=$$(mktemp -d) sh -c '$(BIN)/flask db upgrade -q 2>/dev/null || $(BIN)/flask db upgrade; $(BIN)/flask db check'

bench: translations
	$(BIN)/python bench/roster_import.py
	$(BIN)/python bench/print_ballots.py
	$(BIN)/python bench/tally.py
	$(BIN)/python bench/list_pages.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/archive.py
	$(BIN)/python bench/district.py
	$(BIN)/python bench/vote_throughput.py
	$(BIN)/python bench/signin_refusal.py
	$(BIN)/python bench/hostile_uploads.py

# 200 households voting at once through gunicorn (SQLite, then PostgreSQL), then with a worker killed.
bench-load: translations
	$(BIN)/python bench/load_vote.py
	$(BIN)/python bench/load_vote.py --kill-worker

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis

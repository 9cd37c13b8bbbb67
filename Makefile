# Tallybook: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000

.PHONY: run test test-fast lint bench deliver translations clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## make run: set up, migrate, seed the demo business (first run), deliver mail to files, serve on :$(PORT);
## links in e-mails use BASE_URL, by default the address served here
run: export APP_ENV ?= development
run: export BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (e-mails go to instance/mail/ unless MAIL_SERVER is set; their links use $$BASE_URL)"
	$(FLASK) outbox deliver --loop --interval 2 & deliverer=$$!; \
	trap 'kill $$deliverer 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## make test: the whole suite on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL at the same time (one
## process per core; the SQLite pass's output follows the PostgreSQL one's); the slow tests run once:
## on PostgreSQL when it is there, else on SQLite
test: $(VENV)/.installed
	@if [ "$$REQUIRE_POSTGRES" = "1" ] && [ -z "$$TEST_DATABASE_URL" ]; then \
	  echo "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set" >&2; exit 1; fi
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  log=$$(mktemp /tmp/tallybook-sqlite-pass.XXXXXX); \
	  echo "== both passes at once (two cores): SQLite -m 'not postgres_only and not slow' into $$log, PostgreSQL ($$TEST_DATABASE_URL) -m 'not browser' here =="; \
	  env -u TEST_DATABASE_URL $(PY) -m pytest -q -p no:cacheprovider tests -m "not postgres_only and not slow" $(PYTEST_ARGS) >"$$log" 2>&1 & sqlite=$$!; \
	  $(PY) -m pytest -q tests -m "not browser" $(PYTEST_ARGS); pg=$$?; \
	  wait $$sqlite; lite=$$?; \
	  echo "== test suite on SQLite (exit $$lite) =="; cat "$$log"; rm -f "$$log"; \
	  echo "== test suite on PostgreSQL: exit $$pg =="; \
	  [ $$lite -eq 0 ] && [ $$pg -eq 0 ]; \
	else \
	  echo "== test suite on SQLite: -m 'not postgres_only' (slow tests included) =="; \
	  env -u TEST_DATABASE_URL $(PY) -m pytest -q tests -m "not postgres_only" $(PYTEST_ARGS) || exit $$?; \
	  echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped)"; fi

## make test-fast: the inner loop: SQLite only, no slow, browser or PostgreSQL-only tests, stop at the first failure
test-fast: $(VENV)/.installed
	env -u TEST_DATABASE_URL $(PY) -m pytest -q -x tests -m "not slow and not browser and not postgres_only" $(PYTEST_ARGS)

## make bench: bench/run.py, one table on SQLite and PostgreSQL (BENCH_DATABASE_URL; empty = SQLite only),
## 100,000 invoices; written to bench/RESULTS.md. Needs wrk (apt-get install wrk) for the throughput rows.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench
bench: $(VENV)/.installed
	BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) bench/run.py

## make lint: pyflakes-level checks (unused imports, undefined names)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check --select F,E9 --line-length 120 webapp tests bench migrations

## make translations: extract every text (screens, messages, e-mails, documents), update translations/*/messages.po, compile the .mo files
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _n -k lazy_gettext -k _l -k Text -k ActionError:2 -k TransitionError:1 -k Forbidden -k document_text:3 --no-location --sort-output -w 120 -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --no-fuzzy-matching -w 120
	$(VENV)/bin/pybabel compile -d translations --statistics

## make deliver: send queued e-mails once
deliver: $(VENV)/.installed
	$(FLASK) outbox deliver

clean:
	rm -rf $(VENV) .pytest_cache

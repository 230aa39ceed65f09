# forumapp: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app forumapp
# One test process per core (pytest-xdist); a file's tests stay together, so module fixtures
# such as the browser tests' served site are built once. PYTEST_WORKERS= runs in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile

.PHONY: run test test-sqlite test-postgresql install lint format bench clean translations

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/activate

install: $(BIN)/activate

## Install, migrate the SQLite database, load the demo program if empty, serve on :5000.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## The whole suite on SQLite, then on PostgreSQL (a throwaway local cluster).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) test-sqlite
	$(MAKE) test-postgresql

test-sqlite: install
	$(BIN)/python -m pytest --db sqlite $(PYTEST_WORKERS)

test-postgresql: install
	@if [ -n "$$TEST_DATABASE_URL" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(BIN)/python -m pytest --db postgresql $(PYTEST_WORKERS); \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but not installed" >&2; exit 1; \
	else \
		echo "PostgreSQL is not installed: skipping the PostgreSQL run (apt-get install postgresql)."; \
	fi

## Load and growth benchmarks on SQLite and PostgreSQL (about 10 minutes); BENCH_ARGS=--quick
## for a smoke run. Prints a table; the JSON goes to bench/results/.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

## ruff (lint, complexity, formatting) and mypy over forumapp/.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Extract the interface's messages, update the Spanish catalog, compile it. Write the new
## translations in forumapp/translations/es/LC_MESSAGES/messages.po (see GLOSSARY.md there),
## then run this again; the compiled .mo is committed so a fresh checkout runs as is.
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k ngettext:1,2 \
		--no-location --sort-output --omit-header -o forumapp/translations/messages.pot \
		forumapp templates
	$(BIN)/pybabel -q update -i forumapp/translations/messages.pot -d forumapp/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --statistics -d forumapp/translations

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

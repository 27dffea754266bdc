# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint venv bench clean constraints screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

PORT ?= 8000

## Serve the API and the web console on http://127.0.0.1:$(PORT) (`make run PORT=8080`) with an
## embedded SQLite database and a demo group (each run revokes the demo key the last one printed).
run: $(STAMP)
	$(BIN)/creditpool migrate
	$(BIN)/creditpool demo --url http://127.0.0.1:$(PORT)
	@echo "== web console: http://127.0.0.1:$(PORT)/  (demo logins above; API docs: /docs)"
	$(BIN)/creditpool serve --host 127.0.0.1 --port $(PORT)

# Only the folders that exist (bench/ arrives with the benchmarks).
LINT_PATHS := $(wildcard app tests bench migrations)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/lint-imports

## ruff, then the whole suite on SQLite, then again on PostgreSQL if TEST_DATABASE_URL is set.
test: $(STAMP) lint
	CREDITPOOL_TEST_DB=sqlite $(BIN)/python -m pytest -n 2 tests
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		CREDITPOOL_TEST_DB=postgres $(BIN)/python -m pytest -n 2 tests; \
	else echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped"; fi

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/profile.py

## Screenshots of the web console's main pages into docs/console/ (needs chromium).
screenshots: $(STAMP)
	$(BIN)/python -m tests.web.screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## The exact dependency versions the Docker image installs (constraints.txt), from a fresh
## virtual environment with the package alone (no dev extra).
constraints:
	rm -rf var/constraints-venv
	$(PYTHON) -m venv var/constraints-venv
	var/constraints-venv/bin/pip install --quiet --upgrade pip
	var/constraints-venv/bin/pip install --quiet .
	var/constraints-venv/bin/pip freeze --exclude creditpool > constraints.txt
	rm -rf var/constraints-venv

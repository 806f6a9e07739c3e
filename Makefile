# Every target CI needs. `make run` and `make test` install whatever is missing first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format setup python-deps node-deps system-deps test-external-db lock clean bench bench-http bench-rescore

run: setup
	REOS_URL=http://$(HOST):$(PORT) $(BIN)/reos demo --if-empty
	$(BIN)/reos serve --host $(HOST) --port $(PORT)

test: setup lint
	$(BIN)/pytest --cov=reos --cov-report=term:skip-covered --cov-fail-under=85 tests
	$(MAKE) test-external-db

# The database tests again, against a separately started PostgreSQL reached by
# DATABASE_URL / DATABASE_OWNER_URL (TCP + password), as production is configured.
test-external-db: setup
	$(BIN)/python scripts/external_postgres.py -- $(BIN)/pytest -q -p no:cacheprovider tests/db

lint: setup
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy
	$(BIN)/python scripts/house_rules.py

format: setup
	$(BIN)/ruff format src tests scripts bench
	$(BIN)/ruff check --fix src tests scripts bench

setup: python-deps node-deps system-deps

python-deps: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

node-deps: node_modules/.installed
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Chromium drives the browser tests; poppler-utils reads PDFs back in tests.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium poppler-utils; \
	fi

# Benchmarks (not part of `make test`); figures go to docs/benchmarks.md.
bench: bench-http bench-rescore

bench-http: setup
	@command -v wrk >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python bench/http_load.py --duration 30 --connections 32

bench-rescore: setup
	REOS_DATA_DIR=var/bench-rescore $(BIN)/python bench/rescore.py --properties 1000000 --reuse
	REOS_DATA_DIR=var/bench-rescore $(BIN)/python bench/score_preview.py

.PHONY: bench-list
bench: bench-list
bench-list: setup
	@command -v wrk >/dev/null 2>&1 || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python bench/lead_list.py --duration 30 --connections 32

.PHONY: bench-import
bench: bench-import
bench-import: setup
	PYTHONPATH=. REOS_DATA_DIR=var/bench-import $(BIN)/python bench/import_1m.py --rows 1000000
	PYTHONPATH=. $(BIN)/python bench/read_xlsx.py --csv var/leads-100k.csv --xlsx var/leads-100k.xlsx

# Re-lock after editing dependencies in pyproject.toml.
lock:
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes -o requirements.lock -q

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage

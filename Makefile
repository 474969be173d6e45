# Two commands do everything on a fresh clone (Python >= 3.11 and make):
#   make run   install the locked runtime dependencies, migrate, load content and serve
#   make test  lint, type-check, check the container files and run the whole test suite
# Without DATABASE_URL both use an embedded PostgreSQL; with it, that server.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := .venv/bin
# The lowest versions pyproject.toml allows for each direct dependency, in an environment of
# their own (the locked .venv is never touched), and the part of the suite run against them:
# the app's import and OpenAPI document, sign-in, the training log, the server's
# own connection handling and the OAuth flow (Authlib's hooks are where a release changes).
LOWEST := .lowest
LOWEST_TESTS := tests/test_openapi.py tests/test_auth.py tests/test_config.py \
	tests/training/test_sessions.py tests/test_connections.py tests/oauth/test_flow.py
# Never let uv download an interpreter: the machine's Python is the one we were asked to use.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install install-runtime run lint typecheck test test-lowest test-under-load bench simulate openapi-examples clean

help: ## Show the available targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV) ## Install the locked dependencies, the dev tools included, into .venv
	$(UV) sync --locked --python $(PYTHON)

# What serving needs: the runtime and the embedded PostgreSQL, without the dev tools.
# --inexact leaves alone what is already there, so `make run` after `make test` does not
# uninstall the dev tools (and the next `make test` would not have to reinstall them);
# `make install` syncs exactly, so it removes anything the lock no longer lists.
install-runtime: $(UV) ## Install the locked runtime dependencies into .venv
	$(UV) sync --locked --inexact --no-dev --python $(PYTHON)

run: install-runtime ## Migrate, load the knowledge base and serve on http://127.0.0.1:8000
	$(BIN)/spotter serve --migrate --load-content

lint: install ## ruff, import contracts and the Dockerfile linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/hadolint --failure-threshold info Dockerfile

typecheck: install ## mypy --strict over the app, the migrations and the tests
	$(BIN)/mypy app migrations tests scripts

test: lint typecheck test-lowest ## Everything CI runs: lint, types, the lower bounds and the whole pytest suite
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=85

test-lowest: $(UV) ## Part of the suite against the lowest dependency versions pyproject.toml declares
	$(UV) venv --quiet --clear --python $(PYTHON) $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e . \
		--group test --group embedded
	$(LOWEST)/bin/python -m pytest -q -p no:cacheprovider $(LOWEST_TESTS)

test-under-load: install ## The same suite while one CPU-bound process per core keeps the machine busy
	$(BIN)/python -m tests.support.load $(MAKE) test

bench: install ## Benchmarks: catalog reads, the rate limiter, the recommender, HTTP vs the floor with wrk, 1k vs 100k exercises, snapshots (not CI)
	$(BIN)/python scripts/bench_kb.py
	$(BIN)/python scripts/bench_ratelimit.py
	$(BIN)/python scripts/bench_recommender.py
	$(BIN)/python scripts/bench_http.py
	$(BIN)/python scripts/bench_logs.py
	$(BIN)/python scripts/bench_scale.py
	$(BIN)/python scripts/bench_snapshot.py

simulate: install ## Every simulator archetype x 20 seeds x 16 weeks: invariant counts, SVGs in .sim/ (not CI)
	$(BIN)/spotter simulate-all --seeds 20 --weeks 16 --out .sim

openapi-examples: install ## Re-capture the OpenAPI response examples (app/openapi_examples/) from the app
	$(BIN)/python scripts/capture_examples.py

clean: ## Remove local environments and caches (keeps the embedded database in .data/)
	rm -rf .venv $(LOWEST) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage

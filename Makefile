# simrooms: `make run` serves on http://127.0.0.1:5000, `make test` runs every check.
# Both build .venv and install what they need first; a stamp skips the pip step until
# pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.simrooms-run.stamp
DEV_STAMP := $(VENV)/.simrooms-dev.stamp
PIP := $(BIN)/python -m pip --disable-pip-version-check

# OpenBLAS gives MLX a fast BLAS (server/blas.py preloads it); the tests also drive Chromium
# and start their own redis-server and PostgreSQL (tests/support/postgres.py).
RUN_DEBS := libopenblas0-pthread
TEST_DEBS := libopenblas0-pthread chromium redis-server postgresql

export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run test lint bench clean system-run system-test system-node system-node-debs

run: $(RUN_STAMP) system-run
	$(BIN)/simrooms serve

test: $(DEV_STAMP) system-test lint
	$(BIN)/pytest

lint: $(DEV_STAMP) system-node
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict env agents server simrooms
	$(BIN)/python -m env.wire_js --check
	$(BIN)/python -m server.realtime.protocol_docs --check
	cd tests/js && npm ci --prefer-offline --no-audit --no-fund
	tests/js/node_modules/.bin/eslint -c tests/js/eslint.config.mjs --max-warnings 0 web/static/js
	tests/js/node_modules/.bin/tsc -p tests/js

bench: $(DEV_STAMP) system-run
	@set -e; for script in bench/[!_]*.py; do \
		[ -e "$$script" ] || { echo "There are no benchmarks in bench/." >&2; exit 1; }; \
		echo "== $$script"; $(BIN)/python "$$script"; \
	done

clean:
	rm -rf build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis bench/out $(RUN_STAMP) $(DEV_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $@ $(RUN_STAMP)

# Installs the Debian packages that are missing, when we are root with apt-get. The server runs
# without OpenBLAS (slower), so `run` only warns; the tests need theirs, so `test` fails.
define apt_install
	@missing=""; \
	for deb in $(1); do \
		dpkg-query -W -f='$${Status}' "$$deb" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$deb"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing$$missing with apt-get."; \
			export DEBIAN_FRONTEND=noninteractive; \
			{ apt-get update -qq && apt-get install -y -qq $$missing; } || $(2); \
		else \
			echo "Not installing$$missing: that needs root and apt-get." >&2; \
		fi; \
	fi
endef

system-run:
	$(call apt_install,$(RUN_DEBS),echo "Could not install$$missing: MLX keeps its slower BLAS." >&2)

system-test:
	$(call apt_install,$(TEST_DEBS),exit 1)

# The JavaScript checks (ESLint, TypeScript) and the official Socket.IO client's test need Node.js
# and npm; machines of this kind have them, a bare Debian gets its own packages.
system-node:
	@command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory NODE_DEBS="nodejs npm" system-node-debs

system-node-debs:
	$(call apt_install,$(NODE_DEBS),exit 1)

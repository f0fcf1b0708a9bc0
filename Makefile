# The two commands a new user copies: `make demo` and `make test`. Both run `make setup` first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench browser node-sdk clean

setup: $(STAMP) browser node-sdk

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "checkout-harness needs Python >= 3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

browser:
	@bash scripts/ensure-browser.sh

# The official Node SDK for tests/test_conformance_node_sdk.py (skipped, saying why, without npm).
node-sdk:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the Node SDK conformance test will be skipped"; \
	elif ! npm install --prefix tests/node --no-audit --no-fund --silent; then \
	echo "npm install in tests/node failed: the Node SDK conformance test will be skipped"; fi

demo: setup
	$(VENV)/bin/checkout-harness run

# The tests, then the style and type checks; either failing fails `make test`.
test: setup
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; rc=1; fi; \
	$(MAKE) --no-print-directory lint || { [ $$rc -ne 0 ] || rc=1; }; exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/gateway_throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis test-artifacts

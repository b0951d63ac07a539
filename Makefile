# Two entry points (see README.md): `make serve` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1
export HF_HUB_OFFLINE := 1
# Extra pip arguments for torch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" on a
# machine where plain `pip install torch` would fetch the multi-GB CUDA build.
TORCH_PIP_ARGS ?=

.PHONY: serve build test lint gpu-test lock clean setup

setup: $(VENV)/.installed node_modules/.installed

# Python: pip and setuptools (the build backend pyproject.toml declares, pinned in requirements/constraints.txt;
# the site's calculators wheel is built with it, offline), torch alone (pip takes the CPU build from the local
# disk), then the exact lock file.
$(VENV)/.installed: requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3 setuptools -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Front end: MathJax and Pyodide, exactly as package-lock.json pins them; the site serves them itself.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

build: setup
	$(BIN)/mkdocs build --strict

serve: build
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

lint: setup
	$(BIN)/ruff check .

# Every test that needs no GPU. pytest's exit code 5 means it collected no test: that is a failure, not a pass.
# The JUnit report feeds benchmarks/bench_test_suite.py (seconds per test module).
test: setup lint
	$(BIN)/python -m pytest -m "not gpu" --junitxml=test-artifacts/junit.xml; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The tests marked `gpu`, on a machine with a CUDA GPU (the same exit-code rule).
gpu-test: setup
	$(BIN)/python -m pytest -m gpu; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no gpu tests" >&2; exit 1; fi; exit $$rc

# Rewrite requirements/lock.txt from the top-level pins in pyproject.toml, in a throw-away environment.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip==25.3 setuptools -c requirements/constraints.txt
	.lock-venv/bin/python -m pip install --quiet torch==2.13.0
	.lock-venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e ".[docs,test,ml]"
	.lock-venv/bin/python -m pip freeze --exclude-editable --exclude llm-compression-handbook \
		| sed 's/^torch==.*/torch==2.13.0/' > requirements/lock.txt  # any build of 2.13.0 (CPU here, CUDA on GPUs)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) node_modules site test-artifacts .pytest_cache

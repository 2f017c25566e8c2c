# edukg — `make run` builds the graph from seeds/ and serves it; `make test` runs the tests.
# Both set everything up first (Debian packages, virtualenv, Python packages); re-running is cheap.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= data/store
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEB_PACKAGES := chromium chromium-driver graphviz fonts-noto-cjk
BENCH_DEB_PACKAGES := wrk

.PHONY: run test setup system-deps venv build serve bench lint clean

run: setup build serve

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

setup: system-deps venv

# Debian packages: headless Chromium + driver (browser tests), graphviz (static exports), CJK fonts.
system-deps:
	@missing=""; for p in $(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

build:
	$(BIN)/kg build seeds --store $(STORE)

serve:
	$(BIN)/kg serve --store $(STORE) --host $(HOST) --port $(PORT)

bench:
	$(MAKE) setup EXTRA_DEB_PACKAGES="$(BENCH_DEB_PACKAGES)"
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check kg tests

clean:
	rm -rf $(VENV) data .pytest_cache

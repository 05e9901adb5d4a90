# Softmax Lab. Quick start: `make lab` (set up and launch), `make test` (set up and test).
# Everything is installed into .venv from the pinned requirements.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.softmax-lab-installed
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# One pytest worker per core, two at most; notebooks stay whole on one worker.
JOBS   ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 2 ] && n=2; echo $$n)
NB     ?=
BENCH_RUNS ?= 3
# The printed address and the browser both open lesson 00.
OPEN_START := --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb notebooks/00_start_here.ipynb
# Jupyter refuses to run as root unless told; containers and CI run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help lab test venv doctor execute bench slides unit unit-and-notebooks nbval e2e chromium fresh-copy lock clean mutate

help:
	@echo "make lab        set up .venv if needed, then start JupyterLab on notebooks/00_start_here.ipynb"
	@echo "make test       set up, then unit tests + strict nbval on every notebook + the browser test"
	@echo "make venv       set-up only (Python 3.11-3.13; PYTHON=python3.12 make venv to choose one)"
	@echo "make doctor     check the environment from the terminal (exit 1 naming what is broken)"
	@echo "make execute    re-run every notebook in place (the one way to refresh stored outputs)"
	@echo "make bench      benchmarks (medians and ratios against a baseline in the same run;"
	@echo "                every lesson from a fresh kernel, BENCH_RUNS=3 times: about 5 min)"
	@echo "make slides     static Reveal.js decks in build/slides/"
	@echo "make fresh-copy NB=01   a pristine copy of a lesson; your edited copy is saved aside first"
	@echo "make unit / nbval / e2e   one part of make test;  make lock   re-pin requirements.txt"
	@echo "make mutate     mutation score of lab_utils/ per module (mutmut; MODULE=lab_utils_env for one)"
	@echo "make clean      remove build/ (screenshots, decks, test work)"

# ---------------------------------------------------------------- set-up
venv: $(STAMP)

# A .venv made in another folder (the repository was moved, renamed or copied)
# has scripts that point at the old place: make it again here.
VENV_MADE_IN := $(shell sed -n '1s|^\#!\(.*\)/bin/python[0-9.]*$$|\1|p' $(VENV)/bin/pip 2>/dev/null)
ifneq ($(VENV_MADE_IN),)
ifeq ($(filter $(VENV_MADE_IN),$(abspath $(VENV)) $(realpath $(VENV))),)
VENV_MOVED := 1
$(info $(VENV) was made in $(VENV_MADE_IN), not here: making it again (about 2 minutes).)
$(STAMP): venv-moved
.PHONY: venv-moved
venv-moved: ;
endif
endif

$(STAMP): requirements.txt pyproject.toml $(wildcard jupyter_config/*)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "No '$(PYTHON)' found. Install Python 3.11, 3.12 or 3.13, then run e.g. PYTHON=python3.12 make $(MAKECMDGOALS)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; ok = (3, 11) <= v <= (3, 13); ok or print("Python %d.%d is not supported (TensorFlow 2.21 with Keras 3.15 needs 3.11-3.13): run e.g. PYTHON=python3.12 make $(or $(MAKECMDGOALS),venv)" % v); sys.exit(0 if ok else 1)'
	@if [ "$(VENV_MOVED)" != 1 ] && [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then \
		echo "Updating $(VENV) ..."; \
	else \
		echo "Creating $(VENV) with $$($(PYTHON) --version) ..."; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)
	@echo "$(VENV) is ready."

# ---------------------------------------------------------------- students
# Bound to 127.0.0.1, token auth and XSRF on (Jupyter's defaults, never turned off).
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(OPEN_START)

doctor: $(STAMP)
	@$(PY) -m lab_utils_env

fresh-copy: $(STAMP)
	@$(PY) tools/fresh_copy.py $(NB)

# ---------------------------------------------------------------- tests
test: $(STAMP) chromium unit-and-notebooks e2e

unit-and-notebooks: $(STAMP)
	$(PY) -m pytest tests notebooks --ignore=tests/e2e $(NBVAL) -n $(JOBS) --dist loadfile -p no:cacheprovider -q

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/e2e -p no:cacheprovider -q

nbval: $(STAMP)
	$(PY) -m pytest notebooks $(NBVAL) -n $(JOBS) --dist loadfile -p no:cacheprovider -q

e2e: $(STAMP) chromium
	$(PY) -m pytest tests/e2e -p no:cacheprovider -rs -q

# Debian's chromium for the browser test; CI runs as root and installs it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's chromium for the browser test ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| echo "Could not install chromium: the browser test will be skipped and say why."; \
		else \
			echo "chromium is not installed and this user cannot apt-get it: the browser test will be skipped and say why."; \
		fi; }

# ---------------------------------------------------------------- maintainers
execute: $(STAMP)
	$(PY) tools/execute_notebooks.py $(NB)

bench: $(STAMP)
	$(PY) benchmarks/bench_explorer.py
	$(PY) benchmarks/bench_notebooks.py --runs $(BENCH_RUNS)

slides: $(STAMP)
	@mkdir -p build/slides
	$(VENV)/bin/jupyter nbconvert --to slides --output-dir build/slides notebooks/[0-9][0-9]_*.ipynb

# Mutation testing (maintainers; not part of make test): docs/mutation.md.
MODULE ?=
mutate: $(STAMP)
	$(PY) tools/mutate.py $(MODULE)

lock:
	$(PY) tools/lock.py $(LOCK_PYTHONS)

clean:
	rm -rf build .pytest_cache

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
# Written by `npm ci` in slides/: the slides' front end is installed (see "slides" below).
SLIDES_NPM := slides/node_modules/.package-lock.json
# Written by `npm ci` in site/: MathJax for the website, axe-core for its browser test.
SITE_NPM := site/node_modules/.package-lock.json
BENCH_RUNS ?= 3
# The printed address and the browser both open lesson 00.
OPEN_START := --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb notebooks/00_start_here.ipynb
# Jupyter refuses to run as root unless told; containers and CI run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help lab test venv doctor execute bench slides site unit unit-and-notebooks check nbval e2e chromium fresh-copy lock present clean assignment autograde hub hub-deps test-hub bench-classroom mutate bubblewrap student-repo

help:
	@echo "make lab        set up .venv if needed, then start JupyterLab on notebooks/00_start_here.ipynb"
	@echo "make test       set up, then unit tests (the website built and checked among them) + strict nbval"
	@echo "                on every notebook + the browser tests + the hub test"
	@echo "make venv       set-up only (Python 3.11-3.13; PYTHON=python3.12 make venv to choose one)"
	@echo "make doctor     check the environment from the terminal (exit 1 naming what is broken)"
	@echo "make execute    re-run every notebook in place (the one way to refresh stored outputs)"
	@echo "make bench      benchmarks (medians and ratios against a baseline in the same run;"
	@echo "                every lesson from a fresh kernel after a baseline of its own, BENCH_RUNS=3 times: about 8 min)"
	@echo "make present NB=01   live Reveal.js slideshow of a lesson (Voila, 127.0.0.1, token)"
	@echo "make slides     offline Reveal.js decks in build/slides/ (open from file://)"
	@echo "make site       the lessons' website in build/site/ from the stored outputs (open from file://)"
	@echo "make hub        a local JupyterHub for trying a class (127.0.0.1, shared password printed)"
	@echo "make test-hub   the hub tests: two students run lesson 01 through the hub; nbgitpuller"
	@echo "make bench-classroom STUDENTS=4   a simulated class on the hub: memory per student, wall time"
	@echo "make fresh-copy NB=01   a pristine copy of a lesson; your edited copy is saved aside first"
	@echo "make assignment           instructors: nbgrader's student version of 07 in build/course/release/"
	@echo "make autograde SUBMISSIONS=DIR   grade a Moodle/Canvas/per-student download, each in a sandbox:"
	@echo "                build/grades.csv + build/course/feedback/ (docs/grading.md)"
	@echo "make student-repo DIR=...   the git repository students get (lessons, helpers, no solutions)"
	@echo "make check     the inner loop: unit tests + strict nbval, 2 workers (no browser, no hub)"
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

# uv (pinned in requirements.txt) installs the exact pins: the same packages as pip,
# with parallel downloads (a fresh .venv in about 45 s on the 2-core CI machine, against
# 2-3 min with pip). It compiles bytecode as pip does, so the first import is not slower.
UV_INSTALL = $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode

$(STAMP): requirements.txt pyproject.toml $(wildcard jupyter_config/*)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "No '$(PYTHON)' found. Install Python 3.11, 3.12 or 3.13, then run e.g. PYTHON=python3.12 make $(MAKECMDGOALS)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; ok = (3, 11) <= v <= (3, 13); ok or print("Python %d.%d is not supported (TensorFlow 2.21 with Keras 3.15 needs 3.11-3.13): run e.g. PYTHON=python3.12 make $(or $(MAKECMDGOALS),venv)" % v); sys.exit(0 if ok else 1)'
	@if [ "$(VENV_MOVED)" != 1 ] && [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then \
		echo "Updating $(VENV) ..."; \
	else \
		echo "Creating $(VENV) with $$($(PYTHON) --version) ..."; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements.txt)"
	$(UV_INSTALL) -r requirements.txt
	$(UV_INSTALL) --no-deps -e .
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

# ---------------------------------------------------------------- instructors
# nbgrader runs in a copy of instructor/ under build/course (git-ignored).
assignment: $(STAMP)
	$(PY) tools/exercises_course.py assignment

# Each submission runs in a bubblewrap sandbox (grading/sandbox.py); the feedback's
# equations are drawn by MathJax under node, from grading/package-lock.json.
GRADING_NPM := grading/node_modules/.package-lock.json

autograde: $(STAMP) bubblewrap $(GRADING_NPM)
	$(PY) tools/exercises_course.py autograde "$(SUBMISSIONS)"

$(GRADING_NPM): grading/package.json grading/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix grading --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm is not installed: feedback pages will show equations as TeX source (apt-get install npm)."; \
	fi

# Debian's bubblewrap isolates each graded submission; CI runs as root and installs it.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's bubblewrap to grade submissions in a sandbox ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null \
			|| echo "Could not install bubblewrap: make autograde will refuse to grade and say why."; \
		else \
			echo "bubblewrap is not installed and this user cannot apt-get it: make autograde will refuse to grade (sudo apt-get install bubblewrap)."; \
		fi; }

# The students' repository: lessons, helpers, unsolved exercises; no solution, no instructor/.
DIR ?=
student-repo: $(STAMP)
	@$(PY) tools/student_repo.py "$(DIR)"

# ---------------------------------------------------------------- tests
test: $(STAMP) chromium bubblewrap $(GRADING_NPM) unit-and-notebooks e2e test-hub

unit-and-notebooks: $(STAMP) bubblewrap $(GRADING_NPM) $(SITE_NPM)
	$(PY) -m pytest tests notebooks --ignore=tests/e2e --ignore=tests/hub $(NBVAL) -n $(JOBS) --dist loadfile -p no:cacheprovider -q

# The inner loop for contributors: everything make test runs but the browser and hub tests.
check: unit-and-notebooks

unit: $(STAMP) bubblewrap $(GRADING_NPM) $(SITE_NPM)
	$(PY) -m pytest tests --ignore=tests/e2e --ignore=tests/hub -p no:cacheprovider -q

nbval: $(STAMP)
	$(PY) -m pytest notebooks $(NBVAL) -n $(JOBS) --dist loadfile -p no:cacheprovider -q

# Two workers (JOBS): JupyterLab's lessons on one, the slides and the website on the
# other (pytest_xdist_make_scheduler in tests/e2e/conftest.py).
e2e: $(STAMP) chromium $(SLIDES_NPM) $(SITE_NPM)
	$(PY) -m pytest tests/e2e -n $(JOBS) --dist loadfile -p no:cacheprovider -rs -q --tracing retain-on-failure --output build/traces

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

# ---------------------------------------------------------------- a class on JupyterHub
# configurable-http-proxy, exactly as hub/package-lock.json pins it.
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
STUDENTS  ?= 4

hub-deps: $(HUB_PROXY)

$(HUB_PROXY): hub/package.json hub/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for JupyterHub's proxy: install Node.js 20 or newer (Debian: apt-get install nodejs npm)."; exit 1; }
	cd hub && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

hub: $(STAMP) $(HUB_PROXY)
	PYTHONDONTWRITEBYTECODE=1 $(PY) hub/run_hub.py

# The hub tests use none of the notebook, browser or worker plugins: not loading them
# saves about a second of CPU at start.
test-hub: $(STAMP) $(HUB_PROXY)
	$(PY) -m pytest tests/hub -p no:cacheprovider -p no:nbval -p no:playwright -p no:xdist -q

bench-classroom: $(STAMP) $(HUB_PROXY)
	PYTHONDONTWRITEBYTECODE=1 $(PY) benchmarks/bench_classroom.py --students $(STUDENTS)

# ---------------------------------------------------------------- maintainers
execute: $(STAMP)
	$(PY) tools/execute_notebooks.py $(NB)

bench: $(STAMP)
	$(PY) benchmarks/bench_explorer.py
	$(PY) benchmarks/bench_notebooks.py --runs $(BENCH_RUNS)

# ---------------------------------------------------------------- slides
# reveal.js, MathJax, the widget renderer and ipympl's front end, from npm at
# the versions in slides/package-lock.json (slides/node_modules/ is never committed).
$(SLIDES_NPM): slides/package.json slides/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed once to fetch the slides' front end: install Node.js (e.g. apt-get install npm)."; exit 1; }
	npm ci --prefix slides --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Live slides: Voila on 127.0.0.1 with a fresh token; prints the one URL to open.
present: $(STAMP) $(SLIDES_NPM)
	@$(PY) tools/slides.py present $(NB)

# Offline decks: build/slides/NN_*.slides.html with the files they load in build/slides/vendor/.
slides: $(STAMP) $(SLIDES_NPM)
	$(PY) tools/slides.py decks

# Mutation testing (maintainers; not part of make test): docs/mutation.md.
MODULE ?=
mutate: $(STAMP)
	$(PY) tools/mutate.py $(MODULE)

# One resolution for Python 3.11-3.13 on every platform: markers where pins differ,
# tensorflow-cpu on Linux x86-64 and tensorflow elsewhere (requirements.in's markers).
LOCK_COMMAND := uv pip compile --universal --python-version 3.11 --no-annotate requirements.in -o requirements.txt
lock: $(STAMP)
	@test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet --disable-pip-version-check $$(grep '^uv==' requirements.in)
	$(VENV)/bin/$(LOCK_COMMAND) --quiet --custom-compile-command "make lock  ($(LOCK_COMMAND))"

clean:
	rm -rf build .pytest_cache

# ---------------------------------------------------------------- the lessons' website
# MathJax (copied into the site) and axe-core (the browser test's accessibility
# check), at the versions in site/package-lock.json.
$(SITE_NPM): site/package.json site/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed once to fetch MathJax for the website: install Node.js (e.g. apt-get install npm)."; exit 1; }
	npm ci --prefix site --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# build/site/ from the stored outputs (nothing runs, nothing is fetched).
# The "Run it on your hub" links: softmax_hub in site/conf.py, or for one build
# make site HUB_URL=https://hub.example.edu REPO_URL=https://github.com/you/softmax-lab-students BRANCH=main
# (REPO_URL: where you pushed `make student-repo`'s repository)
SITE_ARGS := $(if $(HUB_URL),-D softmax_hub.hub_url=$(HUB_URL)) $(if $(REPO_URL),-D softmax_hub.repo_url=$(REPO_URL)) $(if $(BRANCH),-D softmax_hub.branch=$(BRANCH))
site: $(STAMP) $(SITE_NPM)
	$(PY) site/build_site.py $(SITE_ARGS)

# The course's commands. Each one bootstraps .venv first, so on a fresh machine
#   make lab    opens the course in JupyterLab
#   make test   runs every test (what .ci/run calls)
# need nothing but Python 3.10+ and make.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := autoencoder-course
PYTEST_ARGS ?=

.PHONY: help install lab test test-fast notebooks check-pairs slides warm site clean

help:
	@echo "make lab        open the course in JupyterLab (sets everything up the first time)"
	@echo "make test       run all tests: units, notebooks at their defaults (nbval), pairs, browser"
	@echo "make test-fast  unit tests only (no notebooks, no browser)"
	@echo "make notebooks  re-execute every notebooks/NN_*.py into its .ipynb"
	@echo "make warm       before a lecture: train and cache every lesson's models once"
	@echo "make slides     every lesson as offline reveal.js slides in build/slides/"
	@echo "make site       the course as a website from the committed notebooks: build/site/index.html"
	@echo "make clean      remove build/ (data cache, checkpoints, results)"

install: $(STAMP)

# Installs the course with the pinned versions of constraints.txt; course.lab then
# registers the named kernel in the venv and gives JupyterLab the course's settings
# (paired .py files open as notebooks, no news pop-up). The installer is uv (pinned in
# constraints.txt too): it fetches, unpacks and byte-compiles torch's 3 GB of wheels in
# parallel, and a fresh install takes 49 s where pip took 91 s. Byte-compiling is asked
# for: where PYTHONDONTWRITEBYTECODE is set, as on CI, nothing else would write .pyc
# files, and every process would compile torch anew (+3 s each). Where uv cannot be
# installed or fails, pip does the job.
$(STAMP): pyproject.toml constraints.txt src/course/lab_settings.json src/course/lab.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	@if $(PY) -m pip install --quiet -c constraints.txt uv && \
	    $(PY) -m uv pip install --python $(PY) --quiet --compile-bytecode -c constraints.txt -e .; then \
	    echo "installed with uv"; \
	else \
	    echo "uv could not install the course: pip installs it instead"; \
	    $(PY) -m pip install --quiet -c constraints.txt -e .; \
	fi
	$(PY) -m course.lab --setup-only
	touch $(STAMP)

# python -m course.lab serves the project root and opens lesson 00 (as root, it adds
# --allow-root: containers often run as root). LAB_ARGS go to JupyterLab.
LAB_ARGS ?=
lab: $(STAMP)
	$(PY) -m course.lab $(LAB_ARGS)

# make test runs pytest twice; PYTEST_ARGS go to both.
#  1. unit tests, nbval (every committed lesson re-run at its defaults: its claims are
#     asserted) and the pair checks, over TEST_WORKERS processes (pytest-xdist; a lesson's
#     cells stay together in one, the longest files go first, and each process and its
#     kernels get cores/N threads);
#  2. what reads nbval's run (tests marked after_nbval), over TEST_WORKERS processes too:
#     each lesson's recorded figures, and every lesson in JupyterLab at its defaults from
#     the checkpoints nbval has just cached (build/test-run; each process has its own
#     JupyterLab and Chromium), with screenshots in build/screenshots/index.html.
# The website is built by tests/test_site.py's fixture (when build/site is older than the
# notebooks), in one process while the other runs a lesson. Run 2 collects only the test
# files that mention after_nbval: collecting all of them again costs each of its three
# processes 5 s, and it hands them out one at a time (--maxschedchunk 1), slowest first, so
# that neither process is left with a queue while the other idles. --durations shows where
# the time goes. pytest exits 5 when it collects nothing: that is a broken suite, not a pass.
TEST_WORKERS ?= 2
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
AFTER_NBVAL_FILES = $(shell grep -l after_nbval tests/test_*.py)
test: $(STAMP)
	@$(PY) -m pytest -p course.notebooks -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder notebooks tests \
	    -m "not after_nbval" $(NBVAL) --durations=20 $(PYTEST_ARGS); rc1=$$?; \
	$(PY) -m pytest -p course.notebooks -n $(TEST_WORKERS) --maxschedchunk 1 $(AFTER_NBVAL_FILES) -m after_nbval \
	    --durations=20 $(PYTEST_ARGS); rc2=$$?; \
	for rc in $$rc1 $$rc2; do \
	    if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the test suite is missing" >&2; exit 1; fi; \
	    if [ $$rc -ne 0 ]; then exit $$rc; fi; \
	done

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not notebook and not browser" $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m course.notebooks build

# Lecture mode (course.slides): warm runs every lesson once at its defaults so that each
# re-runs from the checkpoint cache; slides exports the committed notebooks, unexecuted.
warm: $(STAMP)
	$(PY) -m course.slides warm

slides: $(STAMP)
	$(PY) -m course.slides export

# The course website (course.site): the committed notebooks as they are, nothing re-run.
site: $(STAMP)
	$(PY) -m course.site

check-pairs: $(STAMP)
	$(PY) -m course.notebooks check

clean:
	rm -rf build
